# Churn model for our subscription data. The loss drops to basically zero right away
# (like 6e-08) but accuracy never moves from the first epoch, and val_accuracy
# is the same number every epoch. How can the loss be ~0 and the model be this bad?
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(42)
rng = np.random.default_rng(42)

n = 5000
tenure_months = rng.integers(1, 72, size=n)
monthly_charges = rng.normal(70, 25, size=n).clip(15, 150)
support_calls = rng.poisson(1.5, size=n)
contract_2yr = rng.integers(0, 2, size=n)
autopay = rng.integers(0, 2, size=n)
logit = (-0.05 * (tenure_months - 30) + 0.03 * (monthly_charges - 70)
         + 0.6 * (support_calls - 1.5) - 1.2 * contract_2yr - 0.5 * autopay)
churned = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("float32")

X = np.stack([tenure_months, monthly_charges, support_calls, contract_2yr, autopay],
             axis=1).astype("float32")
mean, std = X[:4000].mean(axis=0), X[:4000].std(axis=0)
X = (X - mean) / std
x_train, y_train = X[:4000], churned[:4000]
x_test, y_test = X[4000:], churned[4000:]
print("churn rate:", y_train.mean())

model = keras.Sequential([
    keras.Input(shape=(5,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss="categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=128,
          validation_split=0.2, verbose=2)

loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4g}  test accuracy {acc:.4f}")
