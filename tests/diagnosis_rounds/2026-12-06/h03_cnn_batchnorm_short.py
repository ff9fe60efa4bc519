import os
import numpy as np
import keras
from keras import layers
MNIST = os.environ.get("SCEN_MNIST") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")

keras.utils.set_random_seed(103)
np.random.seed(103)

with np.load(MNIST) as f:
    x_train, y_train = f["x_train"][:2500], f["y_train"][:2500]
    x_test, y_test = f["x_test"][:1000], f["y_test"][:1000]
x_train = x_train[..., np.newaxis].astype("float32") / 255.0
x_test = x_test[..., np.newaxis].astype("float32") / 255.0

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(16, 3, padding="same", use_bias=False),
    layers.BatchNormalization(momentum=0.9),
    layers.Activation("relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, padding="same", use_bias=False),
    layers.BatchNormalization(momentum=0.9),
    layers.Activation("relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=3, batch_size=32, validation_data=(x_test, y_test), verbose=2)
print("test:", model.evaluate(x_test, y_test, verbose=0))
