import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(22)
np.random.seed(22)

# building energy regression from 8 sensors; some readings missing
n = 3000
X = np.random.normal(0, 1, (n, 8))
y = 2.0 * X[:, 0] - 1.0 * X[:, 1] + 0.5 * X[:, 2] * X[:, 3] + np.random.normal(0, 0.3, n)
missing = np.random.rand(n) < 0.02
X[missing, 5] = np.nan          # sensor 5 sometimes drops out
X = X.astype("float32")
y = y.astype("float32")

# standardize
mu = np.nanmean(X, axis=0)
sd = np.nanstd(X, axis=0)
X = (X - mu) / sd

inputs = keras.Input(shape=(8,))
h = layers.Dense(64, activation="relu")(inputs)
h = layers.Dense(32, activation="relu")(h)
out = layers.Dense(1)(h)
model = keras.Model(inputs, out)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(X[:2400], y[:2400], epochs=10, batch_size=32, validation_data=(X[2400:], y[2400:]), verbose=2)
print("val:", model.evaluate(X[2400:], y[2400:], verbose=0))
