# Simple MLP on a 4000-image subset of MNIST, with EarlyStopping on val_loss.
import os

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(101)

MNIST = os.environ.get("SCEN_MNIST") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")
with np.load(MNIST) as d:
    x_train, y_train = d["x_train"][:4000], d["y_train"][:4000]

x_train = x_train.reshape(-1, 784).astype("float32") / 255.0

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.3),
    layers.Dense(64, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])

early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2,
                                      restore_best_weights=True)
history = model.fit(x_train, y_train, epochs=25, batch_size=64,
                    validation_split=0.2, callbacks=[early], verbose=2)

print("epochs run:", len(history.history["loss"]))
print("best val_loss: %.4f" % min(history.history["val_loss"]))
print("val accuracy at best epoch: %.4f" % history.history["val_accuracy"][int(np.argmin(history.history["val_loss"]))])
