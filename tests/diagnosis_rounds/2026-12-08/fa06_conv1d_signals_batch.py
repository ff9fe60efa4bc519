# Conv1D classifier for 3 kinds of vibration signals. To speed things up I feed
# the whole training set as one batch (it fits in memory easily). Training is
# fast now but the loss hardly moves and the accuracy stays low.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(17)
rng = np.random.default_rng(17)

n, length = 3000, 64
t = np.linspace(0, 1, length)
y = rng.integers(0, 3, size=n)
freq = np.where(y == 0, 3.0, np.where(y == 1, 5.0, 8.0)) + rng.normal(0, 0.4, size=n)
phase = rng.uniform(0, 2 * np.pi, size=n)
x = np.sin(2 * np.pi * freq[:, None] * t[None, :] + phase[:, None])
x = x + 0.6 * rng.normal(size=x.shape)
x = x[..., None].astype("float32")

x_train, y_train = x[:2400], y[:2400]
x_val, y_val = x[2400:], y[2400:]

model = keras.Sequential([
    keras.Input(shape=(length, 1)),
    layers.Conv1D(16, 5, activation="relu", padding="same"),
    layers.MaxPooling1D(2),
    layers.Conv1D(32, 5, activation="relu", padding="same"),
    layers.GlobalAveragePooling1D(),
    layers.Dense(32, activation="relu"),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])

model.fit(x_train, y_train, epochs=12, batch_size=len(x_train),
          validation_data=(x_val, y_val), verbose=2)
print(model.evaluate(x_val, y_val, verbose=0))
