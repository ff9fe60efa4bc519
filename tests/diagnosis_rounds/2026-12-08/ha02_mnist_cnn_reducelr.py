# Small convnet on MNIST (4000 images) with a held-out validation set and
# ReduceLROnPlateau.
import os

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(202)
rng = np.random.default_rng(202)

MNIST = os.environ.get("SCEN_MNIST") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")
with np.load(MNIST) as d:
    x_train, y_train = d["x_train"][:4000], d["y_train"][:4000]

x = (x_train.astype("float32") / 255.0)[..., None]
y = y_train.astype("int64")
perm = rng.permutation(len(x))
x, y = x[perm], y[perm]
x_tr, y_tr = x[:3200], y[:3200]
x_val, y_val = x[3200:], y[3200:]

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(8, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(16, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dropout(0.3),
    layers.Dense(64, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(2e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])

reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5,
                                              patience=1, min_lr=1e-5, verbose=1)
model.fit(x_tr, y_tr, epochs=12, batch_size=64, validation_data=(x_val, y_val),
          callbacks=[reduce_lr], verbose=2)

loss, acc = model.evaluate(x_val, y_val, verbose=0)
print("validation accuracy: %.4f" % acc)
