"""The classic: a softmax over ONE unit always outputs 1, so nothing ever trains."""

import numpy as np

import keras

rng = np.random.default_rng(0)
x = rng.normal(size=(160, 3)).astype("float32")
y = (x[:, 0] > 0).astype("float32")
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                          keras.layers.Dense(1, activation="softmax")])
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, batch_size=32, epochs=3)
