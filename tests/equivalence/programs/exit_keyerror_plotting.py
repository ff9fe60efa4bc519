"""Siamese-style two-input model fit, then "plotting" the history with the Keras 2 key "acc":
history.history["acc"] raises an uncaught KeyError after a successful fit (exit status 1)."""
# kinds: exit.exception, data.list_inputs, metrics.names, optimizers.adamw_string, models.functional

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(69)

rng = np.random.default_rng(69)
left = rng.normal(size=(400, 5)).astype("float32")
right = rng.normal(size=(400, 5)).astype("float32")
same = (np.sign(left[:, 0]) == np.sign(right[:, 0])).astype("float32")

a = keras.Input(shape=(5,))
b = keras.Input(shape=(5,))
shared = layers.Dense(8, activation="tanh")
merged = layers.Concatenate()([shared(a), shared(b)])
out = layers.Dense(1, activation="sigmoid")(layers.Dense(8, activation="relu")(merged))
model = keras.Model([a, b], out)
model.compile(optimizer="adamw", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit([left, right], same, epochs=3, batch_size=40, validation_split=0.2,
                    verbose=0)

print("final loss", round(history.history["loss"][-1], 3))
print("history keys", sorted(history.history))

epochs = range(1, len(history.history["loss"]) + 1)
curves = {"train": history.history["acc"], "val": history.history["val_acc"]}  # KeyError: 'acc'
for name, values in curves.items():
    print(name, [round(v, 3) for v in values])
