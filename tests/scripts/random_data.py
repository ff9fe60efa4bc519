"""Data made with Keras's random ops: each backend draws other numbers."""

import keras

x = keras.ops.convert_to_numpy(keras.random.normal((64, 3), seed=1))
y = x.sum(axis=1, keepdims=True)
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
model.compile("sgd", "mse")
model.fit(x, y, batch_size=16, epochs=2)
