"""MNIST MLP with L2 weight regularization on every layer to 'avoid overfitting'."""
import os
import numpy as np
import keras
from keras import layers, regularizers

keras.utils.set_random_seed(8)

MNIST = os.environ.get("SCEN_MNIST") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")
with np.load(MNIST) as d:
    x_train, y_train = d["x_train"][:5000], d["y_train"][:5000]
    x_test, y_test = d["x_test"][:2000], d["y_test"][:2000]
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
x_test = x_test.reshape(-1, 784).astype("float32") / 255.0

reg = regularizers.l2(0.5)
model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(256, activation="relu", kernel_regularizer=reg),
    layers.Dense(128, activation="relu", kernel_regularizer=reg),
    layers.Dense(10, activation="softmax", kernel_regularizer=reg),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=128, validation_split=0.1, verbose=2)
print("test [loss, acc]:", model.evaluate(x_test, y_test, verbose=0))
