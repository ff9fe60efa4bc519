import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(20)
np.random.seed(20)

# next-step forecasting on a noisy multi-frequency series
N = 3000
t = np.arange(N + 40)
series = np.sin(0.07 * t) + 0.5 * np.sin(0.23 * t + 1.0) + np.random.normal(0, 0.1, len(t))
series = series.astype("float32")

window = 24
X = np.stack([series[i:i + window] for i in range(N)])[..., None]
y = series[window:window + N]

split = 2400
x_train, y_train, x_val, y_val = X[:split], y[:split], X[split:], y[split:]

model = keras.Sequential([
    keras.Input(shape=(window, 1)),
    layers.LSTM(32),
    layers.Dense(1),
])
optimizer = keras.optimizers.SGD(learning_rate=0.05, momentum=0.9, clipvalue=1e-5)
model.compile(optimizer=optimizer, loss="mse")
model.fit(x_train, y_train, epochs=6, batch_size=32, validation_data=(x_val, y_val), verbose=2)
print("val mse:", model.evaluate(x_val, y_val, verbose=0), "series var:", float(y_val.var()))
