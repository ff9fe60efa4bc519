# One-step-ahead forecast of hourly energy load (daily + weekly cycle) with a
# small GRU. Inputs are the last 24 hours, scaled with train statistics.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(606)
rng = np.random.default_rng(606)

hours = np.arange(24 * 7 * 30)
load = (100 + 20 * np.sin(2 * np.pi * hours / 24) + 8 * np.sin(2 * np.pi * hours / (24 * 7))
        + rng.normal(0, 3, size=hours.shape))

split_t = int(0.8 * len(load))
mu, sd = load[:split_t].mean(), load[:split_t].std()
series = ((load - mu) / sd).astype("float32")

window = 24
starts = np.arange(0, len(series) - window, 2)
x = np.stack([series[s:s + window] for s in starts])[..., None]
y = series[starts + window]
is_train = starts + window < split_t
x_train, y_train = x[is_train], y[is_train]
x_val, y_val = x[~is_train], y[~is_train]
print("train windows:", len(x_train), "val windows:", len(x_val))

model = keras.Sequential([
    keras.Input(shape=(window, 1)),
    layers.GRU(32),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse", metrics=["mae"])
model.fit(x_train, y_train, epochs=20, batch_size=64,
          validation_data=(x_val, y_val), verbose=2)

pred = model.predict(x_val, verbose=0)[:, 0]
naive = x_val[:, -1, 0]
print("val MAE (MW): model %.2f, naive last-value %.2f" % (
    np.abs(pred - y_val).mean() * sd, np.abs(naive - y_val).mean() * sd))
