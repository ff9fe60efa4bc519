"""Subclassed LSTM model forecasting traffic counts 1 step ahead; quick 2-epoch run."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(17)
rng = np.random.default_rng(17)

t = np.arange(5000)
traffic = (300 + 150 * np.sin(2 * np.pi * t / 96) + 60 * np.sin(2 * np.pi * t / (96 * 7))
           + rng.normal(0, 15, t.size))
traffic = (traffic - traffic[:4000].mean()) / traffic[:4000].std()

window = 32
X = np.stack([traffic[i:i + window] for i in range(len(traffic) - window)])[..., None].astype("float32")
y = traffic[window:].astype("float32")
x_train, y_train, x_val, y_val = X[:4000], y[:4000], X[4000:], y[4000:]


class Forecaster(keras.Model):
    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.lstm = layers.LSTM(units)
        self.head = layers.Dense(1)

    def call(self, inputs):
        return self.head(self.lstm(inputs))


model = Forecaster()
model.compile(optimizer=keras.optimizers.Adam(1e-4), loss="mse", metrics=["mae"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=2, batch_size=64, verbose=2)
print("val [mse, mae]:", model.evaluate(x_val, y_val, verbose=0))
