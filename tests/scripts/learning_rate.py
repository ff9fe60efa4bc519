"""A tiny regression, as `python learning_rate.py [LR [FITS]]` runs it: SGD at LR (0.05), then
FITS - 1 more fits of the same model (1 fit)."""

import sys

import numpy as np

import keras

lr = float(sys.argv[1]) if len(sys.argv) > 1 else 0.05
fits = int(sys.argv[2]) if len(sys.argv) > 2 else 1
rng = np.random.default_rng(0)
x = rng.normal(size=(64, 3)).astype("float32")
y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                          keras.layers.Dense(1)])
model.compile(keras.optimizers.SGD(lr), "mse")
for _ in range(fits):
    model.fit(x, y, batch_size=16, epochs=3)
print("trained")
