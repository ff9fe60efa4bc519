"""Uses Keras's own TensorBoard callback, which needs TensorFlow even on the torch backend."""

import sys

import numpy as np

import keras

x = np.random.default_rng(0).normal(size=(40, 2)).astype("float32")
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
model.compile("sgd", "mse")
model.fit(x, x[:, :1], batch_size=10, epochs=2,
          callbacks=[keras.callbacks.TensorBoard(sys.argv[1], histogram_freq=1)])
