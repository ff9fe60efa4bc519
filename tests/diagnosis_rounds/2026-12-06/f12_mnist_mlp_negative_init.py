import os
import numpy as np
import keras
from keras import layers
MNIST = os.environ.get("SCEN_MNIST") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")

keras.utils.set_random_seed(4)
np.random.seed(4)

d = np.load(MNIST)
x_train = d["x_train"][:6000].reshape(-1, 784).astype("float32") / 255
y_train = d["y_train"][:6000]
x_test = d["x_test"][:1000].reshape(-1, 784).astype("float32") / 255
y_test = d["y_test"][:1000]

init = keras.initializers.RandomNormal(mean=-0.1, stddev=0.05)

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(256, activation="relu", kernel_initializer=init),
    layers.Dense(128, activation="relu", kernel_initializer=init),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=64, validation_split=0.1, verbose=2)
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print("test accuracy:", test_acc)
