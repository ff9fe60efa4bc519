"""GRU classifier for 3-axis accelerometer windows (walking / running / sitting / stairs)."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(109)
rng = np.random.default_rng(109)

n, steps = 2400, 50
t = np.arange(steps) / 25.0                       # 25 Hz, 2-second windows
freq = {0: 1.8, 1: 2.4, 2: 0.0, 3: 1.4}            # dominant step frequency per activity
amp = {0: 1.0, 1: 1.4, 2: 0.05, 3: 1.1}
y = rng.integers(0, 4, n)
X = np.empty((n, steps, 3), dtype="float32")
for i, c in enumerate(y):
    phase = rng.uniform(0, 2 * np.pi)
    base = amp[c] * np.sin(2 * np.pi * freq[c] * t + phase)
    X[i, :, 0] = base + rng.normal(0, 0.6, steps)
    X[i, :, 1] = 0.5 * base + (0.3 if c == 3 else 0.0) + rng.normal(0, 0.6, steps)
    X[i, :, 2] = 1.0 + 0.3 * base + rng.normal(0, 0.6, steps)

x_train, x_test, y_train, y_test = X[:2000], X[2000:], y[:2000], y[2000:]
mean, std = x_train.mean((0, 1)), x_train.std((0, 1))
x_train, x_test = (x_train - mean) / std, (x_test - mean) / std

inputs = keras.Input(shape=(steps, 3))
h = layers.Conv1D(32, 5, strides=2, padding="same", activation="relu")(inputs)
h = layers.GRU(32)(h)
h = layers.Dense(32, activation="relu")(h)
outputs = layers.Dense(4, activation="softmax")(h)
model = keras.Model(inputs, outputs, name="har_gru")
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, y_train, validation_split=0.15, epochs=12, batch_size=64, verbose=2)
print("test [loss, acc]:", model.evaluate(x_test, y_test, verbose=0))
