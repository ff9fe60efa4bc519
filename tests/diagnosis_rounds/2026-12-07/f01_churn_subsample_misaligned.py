"""Customer churn MLP trained on a random 3,000-row subsample of a 20k-row table."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(11)
rng = np.random.default_rng(11)

# ---- synthetic customer table (20k rows) -----------------------------------
n = 20000
tenure_months = rng.integers(1, 72, n)
monthly_charges = rng.normal(70, 25, n).clip(15, 150)
support_calls = rng.poisson(1.5, n)
contract_len = rng.choice([1, 12, 24], n, p=[0.5, 0.3, 0.2])
late_payments = rng.poisson(0.8, n)
X_all = np.stack([tenure_months, monthly_charges, support_calls,
                  contract_len, late_payments], axis=1).astype("float32")
logit = (-0.05 * tenure_months + 0.03 * monthly_charges + 0.6 * support_calls
         - 0.08 * contract_len + 0.7 * late_payments - 1.5)
y_all = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("float32")

# ---- take a smaller sample so experiments run fast -------------------------
X = X_all[np.random.choice(n, 3000, replace=False)]
y = y_all[np.random.choice(n, 3000, replace=False)]

mean, std = X.mean(axis=0), X.std(axis=0)
X = (X - mean) / std

split = 2400
x_train, x_val = X[:split], X[split:]
y_train, y_val = y[:split], y[split:]

model = keras.Sequential([
    keras.Input(shape=(5,)),
    layers.Dense(128, activation="relu"),
    layers.Dense(128, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val),
          epochs=15, batch_size=64, verbose=2)

print("churn rate in sample:", y.mean().round(3))
loss, acc = model.evaluate(x_val, y_val, verbose=0)
print(f"val loss {loss:.4f}  val acc {acc:.4f}")
