"""Data drawn from NumPy's global generator, which `--seed` seeds: each seed its own data."""

import numpy as np

import keras

x = np.random.normal(size=(120, 3)).astype("float32")
y = (x @ np.array([1.0, -2.0, 0.5]) > 0).astype("float32")
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(6, activation="tanh"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile(keras.optimizers.SGD(0.1), "binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size=16, epochs=3)
