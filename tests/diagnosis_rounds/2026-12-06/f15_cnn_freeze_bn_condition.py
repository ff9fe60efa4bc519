import os
import numpy as np
import keras
from keras import layers
MNIST = os.environ.get("SCEN_MNIST") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")

keras.utils.set_random_seed(23)
np.random.seed(23)

d = np.load(MNIST)
x_train = (d["x_train"][:3000] / 255.0).astype("float32").reshape(-1, 28, 28, 1)
y_train = d["y_train"][:3000]
x_test = (d["x_test"][:1000] / 255.0).astype("float32").reshape(-1, 28, 28, 1)
y_test = d["y_test"][:1000]

inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(16, 3, padding="same")(inputs)
x = layers.BatchNormalization()(x)
x = layers.Activation("relu")(x)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(32, 3, padding="same")(x)
x = layers.BatchNormalization()(x)
x = layers.Activation("relu")(x)
x = layers.GlobalAveragePooling2D()(x)
outputs = layers.Dense(10, activation="softmax")(x)
model = keras.Model(inputs, outputs)

# keep the batchnorm statistics fixed
for layer in model.layers:
    if "batch_normalization" or "bn" in layer.name:
        layer.trainable = False

model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=5, batch_size=64, validation_split=0.1, verbose=2)
print("test loss/acc:", model.evaluate(x_test, y_test, verbose=0))
