import os
import numpy as np
import keras
from keras import layers
MNIST = os.environ.get("SCEN_MNIST") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")

keras.utils.set_random_seed(18)
np.random.seed(18)

d = np.load(MNIST)
x, y = d["x_train"][:6000], d["y_train"][:6000]

# group the images by digit
order = np.argsort(y, kind="stable")
x, y = x[order], y[order]

x = x.reshape(-1, 784).astype("float32") / 255.0

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(128, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=8, batch_size=64, validation_split=0.2, shuffle=True, verbose=2)
print("best val_accuracy:", max(history.history["val_accuracy"]))
