"""A keras.io-style Keras 3 example that picks its backend itself: os.environ["KERAS_BACKEND"] =
"tensorflow" before import keras; a small Conv1D/MLP classifier with metric objects."""
# kinds: backend.tensorflow, metrics.objects, models.convnet, data.validation_split, optimizers.adam_string

import os

os.environ["KERAS_BACKEND"] = "tensorflow"

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(63)

rng = np.random.default_rng(63)
x = rng.normal(size=(480, 16, 1)).astype("float32")
y = (x[:, :8, 0].mean(axis=1) > x[:, 8:, 0].mean(axis=1)).astype("float32")

model = keras.Sequential([
    keras.Input(shape=(16, 1)),
    layers.Conv1D(8, 3, activation="relu"),
    layers.Flatten(),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy",
              metrics=[keras.metrics.BinaryAccuracy(), keras.metrics.AUC(name="auc")])
history = model.fit(x, y, epochs=5, batch_size=32, validation_split=0.2, verbose=0)

print("backend", keras.backend.backend())
print("final val accuracy", round(history.history["val_binary_accuracy"][-1], 3))
print("final val auc", round(history.history["val_auc"][-1], 3))
print("history keys", sorted(history.history))
