"""Small CNN on an MNIST subset with plain SGD (no momentum)."""
import os
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(16)

MNIST = os.environ.get("SCEN_MNIST") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")
with np.load(MNIST) as d:
    x_train, y_train = d["x_train"][:4000], d["y_train"][:4000]
    x_test, y_test = d["x_test"][:1000], d["y_test"][:1000]
x_train = (x_train.astype("float32") / 255.0)[..., None]
x_test = (x_test.astype("float32") / 255.0)[..., None]

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(8, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(16, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(32, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=3, batch_size=32, validation_split=0.1, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test acc {acc:.4f}")
