"""Data that is not arrays: a Python generator, then a keras.utils.PyDataset."""

import numpy as np

import keras

rng = np.random.default_rng(0)
x = rng.normal(size=(96, 4)).astype("float32")
y = (x.sum(axis=1) > 0).astype("int64")


def batches():
    while True:
        for i in range(0, 96, 32):
            yield x[i:i + 32], y[i:i + 32]


class Batches(keras.utils.PyDataset):
    def __len__(self):
        return 3

    def __getitem__(self, i):
        return x[32 * i:32 * i + 32], y[32 * i:32 * i + 32]


model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(batches(), steps_per_epoch=3, epochs=2)
model.fit(Batches(), epochs=2)
