"""Pre-train, then fine-tune at a lower learning rate: two fits, two runs."""

import numpy as np

import keras

rng = np.random.default_rng(0)
x = rng.normal(size=(120, 3)).astype("float32")
y = x @ np.array([[1.0], [-2.0], [0.5]], dtype="float32")
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
model.compile(keras.optimizers.SGD(0.05), "mse")
model.fit(x, y, batch_size=30, epochs=3)
model.optimizer.learning_rate = 0.01
model.fit(x, y, batch_size=30, epochs=2)
