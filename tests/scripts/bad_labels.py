"""Labels 0..4 for a three-class head: Keras on torch raises inside fit."""

import numpy as np

import keras

x = np.random.default_rng(0).normal(size=(64, 4)).astype("float32")
y = np.arange(64) % 5
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
model.compile("adam", "sparse_categorical_crossentropy")
print("bad_labels: about to fit")
model.fit(x, y, epochs=2, batch_size=16)
print("bad_labels: after fit")  # never reached: fit raises, and the script stops there
