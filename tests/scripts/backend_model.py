"""A model whose width depends on the backend: compare must refuse to load one into the other."""

import numpy as np

import keras

units = 4 if keras.backend.backend() == "torch" else 5
x = np.ones((32, 3), dtype="float32")
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units), keras.layers.Dense(1)])
model.compile("sgd", "mse")
model.fit(x, x[:, :1], batch_size=8, epochs=1)
