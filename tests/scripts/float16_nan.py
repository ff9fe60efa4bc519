"""A model run entirely in float16 (floatx), tanh output with binary cross-entropy, SGD, batch 1:
the weights go NaN and torch's binary cross-entropy raises about its *input* (the predictions)."""
import numpy as np

import keras

keras.config.set_floatx("float16")
rng = np.random.default_rng(15)
x = (rng.normal(size=(300, 6)) * 4).astype("float16")
y = (x[:, 0] - x[:, 1] > 0).astype("float16")
model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(32, activation="relu"),
                          keras.layers.Dense(1, activation="tanh")])
model.compile(loss="binary_crossentropy", optimizer=keras.optimizers.SGD(0.3),
              metrics=["accuracy"])
model.fit(x, y, epochs=4, batch_size=1, verbose=0)
