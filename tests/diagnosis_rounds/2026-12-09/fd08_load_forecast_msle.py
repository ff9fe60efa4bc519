# Next-hour electricity load from the previous 48 hours (Conv1D).
# Loads swing a lot between seasons, so I standardise everything and use MSLE
# (read it's good for targets with a big range). Training loss gets small fast,
# but the forecasts are flat for the whole lower half of the range and the
# MAE in MW is awful -- R^2 around 0 on the test months, a naive "same as last hour" is 3x better.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(23)
rng = np.random.default_rng(23)

hours = np.arange(24 * 200)
load = (500 + 120 * np.sin(2 * np.pi * hours / 24 - 1.2)
        + 60 * np.sin(2 * np.pi * hours / (24 * 7))
        - 150 * np.cos(2 * np.pi * hours / (24 * 180))
        + np.cumsum(rng.normal(0, 4, hours.size)) * 0.3
        + rng.normal(0, 15, hours.size))

WINDOW = 48
X = np.stack([load[i:i + WINDOW] for i in range(len(load) - WINDOW)])
y = load[WINDOW:]
split = int(0.8 * len(X))
mu, sd = load[:split + WINDOW].mean(), load[:split + WINDOW].std()
X_s = ((X - mu) / sd)[..., None].astype("float32")
y_s = ((y - mu) / sd).astype("float32")
x_train, y_train, x_test, y_test = X_s[:split], y_s[:split], X_s[split:], y_s[split:]

model = keras.Sequential([
    keras.Input(shape=(WINDOW, 1)),
    layers.Conv1D(16, 5, activation="relu", padding="same"),
    layers.MaxPooling1D(2),
    layers.Conv1D(16, 5, activation="relu", padding="same"),
    layers.GlobalAveragePooling1D(),
    layers.Dense(32, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(2e-3),
              loss="mean_squared_logarithmic_error", metrics=["mae"])
model.fit(x_train, y_train, validation_split=0.1, epochs=10, batch_size=128, verbose=2)

pred = model.predict(x_test, verbose=0).ravel() * sd + mu
true = y_test * sd + mu
naive = x_test[:, -1, 0] * sd + mu
r2 = 1 - np.sum((true - pred) ** 2) / np.sum((true - true.mean()) ** 2)
print(f"test MAE {np.abs(true - pred).mean():.1f} MW, R^2 {r2:.3f}, "
      f"naive last-hour MAE {np.abs(true - naive).mean():.1f} MW")
