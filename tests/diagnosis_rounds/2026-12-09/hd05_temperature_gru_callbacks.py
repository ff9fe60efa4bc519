# Forecasting the next hourly temperature reading from the last 24 hours with a GRU.
# ReduceLROnPlateau + EarlyStopping(restore_best_weights) to not babysit the lr.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(16)
rng = np.random.default_rng(16)

hours = np.arange(24 * 90)
temp = (12 + 7 * np.sin(2 * np.pi * (hours - 9) / 24)
        + 4 * np.sin(2 * np.pi * hours / (24 * 30))
        + np.cumsum(rng.normal(0, 0.25, hours.size)) * 0.2
        + rng.normal(0, 0.4, hours.size))

WINDOW = 24
X = np.stack([temp[i:i + WINDOW] for i in range(len(temp) - WINDOW)])
y = temp[WINDOW:]
split = int(0.8 * len(X))
mu, sd = temp[:split].mean(), temp[:split].std()
X = ((X - mu) / sd)[..., None].astype("float32")
y = ((y - mu) / sd).astype("float32")
x_train, y_train, x_test, y_test = X[:split], y[:split], X[split:], y[split:]

model = keras.Sequential([
    keras.Input(shape=(WINDOW, 1)),
    layers.GRU(24),
    layers.Dense(16, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse", metrics=["mae"])
callbacks = [
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, verbose=1),
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=4, restore_best_weights=True),
]
model.fit(x_train, y_train, validation_split=0.15, epochs=12, batch_size=64,
          callbacks=callbacks, verbose=2)

pred = model.predict(x_test, verbose=0).ravel() * sd + mu
true = y_test * sd + mu
naive = x_test[:, -1, 0] * sd + mu
print(f"test MAE {np.abs(pred - true).mean():.3f} C, naive last-hour MAE "
      f"{np.abs(naive - true).mean():.3f} C")
