"""MNIST CNN 'fine-tuning': freeze the convolutional feature extractor, train the head."""
import os
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(21)

MNIST = os.environ.get("SCEN_MNIST") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")
with np.load(MNIST) as d:
    x_train, y_train = d["x_train"][:4000], d["y_train"][:4000]
    x_test, y_test = d["x_test"][:1000], d["y_test"][:1000]
x_train = (x_train.astype("float32") / 255.0)[..., None]
x_test = (x_test.astype("float32") / 255.0)[..., None]


def build_model():
    inputs = keras.Input(shape=(28, 28, 1))
    x = layers.Conv2D(8, 3, activation="relu", name="conv1")(inputs)
    x = layers.MaxPooling2D()(x)
    x = layers.Conv2D(16, 3, activation="relu", name="conv2")(x)
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.Dense(32, activation="relu", name="head_dense")(x)
    outputs = layers.Dense(10, activation="softmax", name="head_out")(x)
    return keras.Model(inputs, outputs)


model = build_model()
# freeze the feature extractor
for layer in model.layers:
    layer.trainable = False

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=5, batch_size=64, validation_split=0.1, verbose=2)
print("test [loss, acc]:", model.evaluate(x_test, y_test, verbose=0))
