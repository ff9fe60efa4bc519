"""Predict tomorrow's minimum temperature (deg C) for a northern weather station."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(7)
rng = np.random.default_rng(7)

n = 3000
day_of_year = rng.integers(0, 365, n)
season = np.cos(2 * np.pi * (day_of_year - 15) / 365)          # +1 mid-January
today_min = -8 - 10 * season + rng.normal(0, 3, n)               # deg C, often negative
pressure = rng.normal(1013, 8, n)
wind = rng.gamma(2, 2.5, n)
cloud = rng.uniform(0, 1, n)
tomorrow_min = (0.7 * today_min - 3 * season + 0.08 * (pressure - 1013)
                + 2.5 * cloud - 0.2 * wind + rng.normal(0, 1.5, n))

X = np.stack([np.sin(2 * np.pi * day_of_year / 365), season, today_min,
              pressure, wind, cloud], 1).astype("float32")
y = tomorrow_min.astype("float32")
X = (X - X.mean(0)) / X.std(0)
print(f"target range {y.min():.1f} .. {y.max():.1f} C, {np.mean(y < 0):.0%} below zero")

x_train, x_val = X[:2400], X[2400:]
y_train, y_val = y[:2400], y[2400:]

model = keras.Sequential([
    keras.Input(shape=(6,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(1, activation="relu"),
])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=15, batch_size=64, verbose=2)
pred = model.predict(x_val, verbose=0).ravel()
print(f"val MAE {np.mean(np.abs(pred - y_val)):.2f} C; predictions range {pred.min():.2f} .. {pred.max():.2f}")
