"""LSTM next-hour temperature forecaster on a synthetic hourly series."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(106)
rng = np.random.default_rng(106)

hours = np.arange(5000)
temp = (12 + 8 * np.sin(2 * np.pi * (hours - 6) / 24) + 5 * np.sin(2 * np.pi * hours / (24 * 30))
        + rng.normal(0, 0.5, hours.size))
split_t = 4000
mean, std = temp[:split_t].mean(), temp[:split_t].std()
z = (temp - mean) / std

window = 24
X = np.stack([z[i:i + window] for i in range(len(z) - window)])[..., None].astype("float32")
y = z[window:].astype("float32")
n_train = split_t - window
x_train, y_train, x_val, y_val = X[:n_train], y[:n_train], X[n_train:], y[n_train:]

model = keras.Sequential([
    keras.Input(shape=(window, 1)),
    layers.LSTM(32),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse", metrics=["mae"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=6, batch_size=128, verbose=2)
mse = model.evaluate(x_val, y_val, verbose=0)[0]
naive = np.mean((x_val[:, -1, 0] - y_val) ** 2)
print(f"val mse {mse:.4f} (persistence baseline {naive:.4f}); val MAE in deg C {np.sqrt(mse) * std:.2f} rmse")
