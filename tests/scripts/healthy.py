"""A healthy classifier: two separable blobs, a softmax over two classes."""

import numpy as np

import keras

rng = np.random.default_rng(0)
x = np.concatenate([rng.normal(-1, 0.5, (100, 2)), rng.normal(1, 0.5, (100, 2))]).astype("float32")
y = np.repeat([0, 1], 100)
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(2, activation="softmax")])
model.compile(keras.optimizers.Adam(0.05), "sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x, y, batch_size=20, epochs=4, validation_split=0.2)
print("healthy: trained")
