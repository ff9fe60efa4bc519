"""MNIST classifier built as encoder -> latent -> classifier head (functional API)."""
import os
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(6)

MNIST = os.environ.get("SCEN_MNIST") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")
with np.load(MNIST) as d:
    x_train, y_train = d["x_train"][:4000], d["y_train"][:4000]
    x_test, y_test = d["x_test"][:2000], d["y_test"][:2000]
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
x_test = x_test.reshape(-1, 784).astype("float32") / 255.0

latent_dim = 1  # size of the compressed representation

inputs = keras.Input(shape=(784,))
h = layers.Dense(256, activation="relu")(inputs)
h = layers.Dense(128, activation="relu")(h)
z = layers.Dense(latent_dim, activation="relu", name="latent")(h)
h = layers.Dense(64, activation="relu")(z)
outputs = layers.Dense(10, activation="softmax")(h)
model = keras.Model(inputs, outputs)

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=128, validation_split=0.15, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test acc {acc:.4f}")
