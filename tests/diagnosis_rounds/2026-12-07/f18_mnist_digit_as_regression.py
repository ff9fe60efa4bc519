"""MNIST digits predicted with a single linear output and MSE loss."""
import os
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(19)

MNIST = os.environ.get("SCEN_MNIST") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")
with np.load(MNIST) as d:
    x_train, y_train = d["x_train"][:5000], d["y_train"][:5000].astype("float32")
    x_test, y_test = d["x_test"][:2000], d["y_test"][:2000].astype("float32")
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
x_test = x_test.reshape(-1, 784).astype("float32") / 255.0

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(128, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=8, batch_size=64, validation_split=0.1, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
rounded = np.clip(np.round(model.predict(x_test, verbose=0).ravel()), 0, 9)
print(f"test mse {loss:.3f}  test acc {acc:.4f}  rounded-prediction acc {(rounded == y_test).mean():.4f}")
