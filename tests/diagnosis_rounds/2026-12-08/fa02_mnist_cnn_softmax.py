# Small CNN on MNIST. Accuracy goes up (70%+) but the loss barely moves, it is
# still stuck around 1.5-1.8 after 8 epochs, nowhere near the ~0.1 I see in
# tutorials. Is my loss broken?
import os

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(11)

MNIST = os.environ.get("SCEN_MNIST") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")
with np.load(MNIST) as d:
    x_train, y_train = d["x_train"][:4000], d["y_train"][:4000]

x_train = (x_train.astype("float32") / 255.0)[..., None]
y_train = keras.utils.to_categorical(y_train, 10)

inputs = keras.Input(shape=(28, 28, 1))
x = layers.Conv2D(8, 3, activation="relu")(inputs)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(16, 3, activation="relu")(x)
x = layers.MaxPooling2D()(x)
x = layers.Flatten()(x)
x = layers.Dense(64, activation="relu")(x)
logits = layers.Dense(10, activation="softmax")(x)
outputs = layers.Activation("softmax", name="probs")(logits)
model = keras.Model(inputs, outputs)

model.compile(optimizer="adam",
              loss="categorical_crossentropy",
              metrics=["accuracy"])
model.summary()

model.fit(x_train, y_train, epochs=8, batch_size=64,
          validation_split=0.2, verbose=2)

probs = model.predict(x_train[:5], verbose=0)
print("max prob per sample:", probs.max(axis=1))
