"""Two concentric rings (inner = class 0, outer = class 1) classified with an MLP."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(15)
rng = np.random.default_rng(15)

n = 3000
r = np.where(rng.random(n) < 0.5, rng.normal(1.0, 0.15, n), rng.normal(2.0, 0.15, n))
theta = rng.uniform(0, 2 * np.pi, n)
X = np.stack([r * np.cos(theta), r * np.sin(theta)], 1).astype("float32")
y = (r > 1.5).astype("float32")

x_train, x_val = X[:2400], X[2400:]
y_train, y_val = y[:2400], y[2400:]

model = keras.Sequential([
    keras.Input(shape=(2,)),
    layers.Dense(64),
    layers.Dense(64),
    layers.Dense(32),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=20, batch_size=64, verbose=2)
print("val [loss, acc]:", model.evaluate(x_val, y_val, verbose=0))
