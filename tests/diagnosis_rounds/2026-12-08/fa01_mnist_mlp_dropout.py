# MNIST MLP - accuracy is stuck around 10% and the loss sits at 2.30 for every
# epoch. I added dropout after every layer because I read it prevents
# overfitting. Even plain MNIST won't train, what am I doing wrong?
import os

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(7)

MNIST = os.environ.get("SCEN_MNIST") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")
with np.load(MNIST) as d:
    x_train, y_train = d["x_train"][:4000], d["y_train"][:4000]

x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
y_train = y_train.astype("int64")

keep_prob = 0.9  # keep 90% of the units

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(256, activation="relu"),
    layers.Dropout(keep_prob),
    layers.Dense(128, activation="relu"),
    layers.Dropout(keep_prob),
    layers.Dense(64, activation="relu"),
    layers.Dropout(keep_prob),
    layers.Dense(10, activation="softmax"),
])

model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])

history = model.fit(x_train, y_train, epochs=10, batch_size=64,
                    validation_split=0.2, verbose=2)

print("final train acc:", history.history["accuracy"][-1])
print("final val acc:", history.history["val_accuracy"][-1])
