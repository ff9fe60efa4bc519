"""MNIST subset assembled class by class (like reading digit folders 0..9), fit without shuffling."""
import os
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(20)

MNIST = os.environ.get("SCEN_MNIST") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")
with np.load(MNIST) as d:
    x_all, y_all = d["x_train"], d["y_train"]
    x_test, y_test = d["x_test"][:2000], d["y_test"][:2000]

# 500 images per digit, read folder by folder
x_train = np.concatenate([x_all[y_all == c][:500] for c in range(10)])
y_train = np.concatenate([np.full(500, c) for c in range(10)])
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
x_test = x_test.reshape(-1, 784).astype("float32") / 255.0

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(128, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=6, batch_size=32, shuffle=False,
          validation_data=(x_test, y_test), verbose=2)
pred = model.predict(x_test, verbose=0).argmax(1)
print("test acc:", (pred == y_test).mean().round(4), " predicted class histogram:", np.bincount(pred, minlength=10))
