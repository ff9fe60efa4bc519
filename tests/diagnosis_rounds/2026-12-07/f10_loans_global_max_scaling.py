"""Loan default classifier; all features scaled into [0, 1] with one max()."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(10)
rng = np.random.default_rng(10)

n = 5000
annual_income = rng.lognormal(11.0, 0.5, n)          # dollars, up to ~400k
debt_to_income = rng.beta(2, 5, n)                   # 0..1
late_payments = rng.poisson(1.0, n)                  # count
credit_util = rng.beta(2, 3, n)                      # 0..1
years_employed = rng.exponential(5, n).clip(0, 40)
score = (3.0 * debt_to_income + 0.8 * late_payments + 2.0 * credit_util
         - 0.08 * years_employed - 0.000004 * annual_income - 2.3)
y = (score + rng.normal(0, 0.5, n) > 0).astype("float32")
X = np.stack([annual_income, debt_to_income, late_payments, credit_util, years_employed], 1)

X = (X / X.max()).astype("float32")      # scale to [0, 1]
print("default rate:", y.mean().round(3))

x_train, x_val = X[:4000], X[4000:]
y_train, y_val = y[:4000], y[4000:]

model = keras.Sequential([
    keras.Input(shape=(5,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=15, batch_size=128, verbose=2)
print("val [loss, acc]:", model.evaluate(x_val, y_val, verbose=0))
