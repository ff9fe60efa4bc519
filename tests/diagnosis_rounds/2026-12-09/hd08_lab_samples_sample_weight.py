# Classifying soil samples into 3 types from 10 lab measurements. Part of the data
# comes from an older lab with noisier labels, so those rows get a smaller
# sample_weight. One-hot labels with a bit of label smoothing, SGD + Nesterov,
# just a few epochs since it converges quickly.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(33)
rng = np.random.default_rng(33)

n, d, k = 6000, 10, 3
means = rng.normal(0, 1.5, size=(k, d))
y = rng.integers(0, k, size=n)
X = (means[y] + rng.normal(0, 1.0, size=(n, d))).astype("float32")
old_lab = rng.random(n) < 0.3
noisy = old_lab & (rng.random(n) < 0.25)
y_obs = y.copy()
y_obs[noisy] = rng.integers(0, k, size=noisy.sum())
weights = np.where(old_lab, 0.3, 1.0).astype("float32")

mu, sd = X[:5000].mean(axis=0), X[:5000].std(axis=0)
X = (X - mu) / sd
Y = keras.utils.to_categorical(y_obs, k)
x_train, Y_train, w_train = X[:5000], Y[:5000], weights[:5000]
x_test, y_test_true = X[5000:], y[5000:]

model = keras.Sequential([
    keras.Input(shape=(d,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(k, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9, nesterov=True),
              loss=keras.losses.CategoricalCrossentropy(label_smoothing=0.1),
              metrics=["accuracy"])
model.fit(x_train, Y_train, sample_weight=w_train, validation_split=0.1,
          epochs=4, batch_size=64, verbose=2)
pred = model.predict(x_test, verbose=0).argmax(axis=1)
print("test accuracy vs clean labels:", (pred == y_test_true).mean())
