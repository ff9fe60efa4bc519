# Multi-label tagging: each item can have any subset of 5 tags. Sigmoid outputs
# with binary crossentropy, one unit per tag.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(808)
rng = np.random.default_rng(808)

n, d, n_tags = 4000, 20, 5
x = rng.normal(size=(n, d)).astype("float32")
W = rng.normal(size=(d, n_tags))
scores = x @ W / np.sqrt(d) * 2.0
scores[:, 0] += 1.5 * x[:, 0] * x[:, 1]
scores[:, 3] += np.abs(x[:, 2]) - 0.8
thresholds = np.array([0.5, 0.0, 0.8, 0.0, -0.3])
y = (scores + 0.3 * rng.normal(size=scores.shape) > thresholds).astype("float32")
print("tag frequencies:", y.mean(axis=0).round(3))

x_train, y_train = x[:3200], y[:3200]
x_test, y_test = x[3200:], y[3200:]

model = keras.Sequential([
    keras.Input(shape=(d,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(n_tags, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy",
              metrics=[keras.metrics.BinaryAccuracy(name="bin_acc"),
                       keras.metrics.Precision(name="precision"),
                       keras.metrics.Recall(name="recall")])
model.fit(x_train, y_train, epochs=15, batch_size=64, validation_split=0.2, verbose=2)

pred = model.predict(x_test, verbose=0) > 0.5
print("per-tag test accuracy:", (pred == y_test.astype(bool)).mean(axis=0).round(3))
print("exact-match ratio: %.3f" % (pred == y_test.astype(bool)).all(axis=1).mean())
