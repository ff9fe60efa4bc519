"""Telecom churn model; features exported from the billing warehouse."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(13)
rng = np.random.default_rng(13)

n = 4000
tenure = rng.integers(1, 72, n).astype(float)
monthly = rng.normal(65, 20, n).clip(20, 120)
support_tickets = rng.poisson(1.2, n).astype(float)
has_fiber = rng.integers(0, 2, n).astype(float)
p = 1 / (1 + np.exp(-(-1.0 - 0.03 * tenure + 0.02 * monthly + 0.4 * support_tickets + 0.5 * has_fiber)))
churned = (rng.random(n) < p).astype("float32")
# early-termination fee on the account (billing system, $)
termination_fee = churned * rng.uniform(50, 200, n)

X = np.stack([tenure, monthly, support_tickets, has_fiber, termination_fee], 1).astype("float32")
X = (X - X.mean(0)) / X.std(0)
y = churned

x_train, x_test = X[:3200], X[3200:]
y_train, y_test = y[:3200], y[3200:]

model = keras.Sequential([
    keras.Input(shape=(5,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=64, validation_split=0.2, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"churn rate {y.mean():.3f}; test acc {acc:.4f}  test loss {loss:.4f}")
