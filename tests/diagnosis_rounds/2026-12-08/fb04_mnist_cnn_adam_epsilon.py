# Small CNN on MNIST (subset). I set epsilon=1.0 in Adam because the docs say
# 1.0 or 0.1 can be a good choice (it was for Inception) and I had some
# instability before. Now it trains but accuracy crawls and is far below the
# 97-98% everyone gets with this architecture.
import os
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(5)

MNIST = os.environ.get("SCEN_MNIST") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")
with np.load(MNIST) as d:
    x_train, y_train = d["x_train"][:4000], d["y_train"][:4000]
    x_test, y_test = d["x_test"][:1000], d["y_test"][:1000]

x_train = (x_train.astype("float32") / 255.0)[..., None]
x_test = (x_test.astype("float32") / 255.0)[..., None]

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(16, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(64, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
opt = keras.optimizers.Adam(learning_rate=1e-3, epsilon=1.0)
model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_split=0.1, epochs=6, batch_size=64, verbose=2)

test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: {test_acc:.3f}")
