"""Hourly electricity load: predict the next hour from the previous 24 hours (Conv1D + GRU)."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(14)
rng = np.random.default_rng(14)

hours = np.arange(6000)
load = (50 + 12 * np.sin(2 * np.pi * hours / 24) + 6 * np.sin(2 * np.pi * hours / (24 * 7))
        + np.cumsum(rng.normal(0, 0.4, hours.size)) * 0.3 + rng.normal(0, 3.0, hours.size))
load = (load - load[:4800].mean()) / load[:4800].std()

window = 24
X, y = [], []
for i in range(len(load) - window - 1):
    X.append(load[i:i + window + 1])   # last 24 hours
    y.append(load[i + window])         # next hour
X = np.array(X, dtype="float32")[..., None]
y = np.array(y, dtype="float32")

split = 4500
x_train, y_train, x_val, y_val = X[:split], y[:split], X[split:], y[split:]

inputs = keras.Input(shape=X.shape[1:])
h = layers.Conv1D(16, 3, padding="same", activation="relu")(inputs)
h = layers.GRU(32)(h)
outputs = layers.Dense(1)(h)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse", metrics=["mae"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=6, batch_size=128, verbose=2)

naive = np.mean((x_val[:, -2, 0] - y_val) ** 2)
print(f"val mse {model.evaluate(x_val, y_val, verbose=0)[0]:.4f}  (persistence baseline mse {naive:.4f})")
