import os
import numpy as np
import keras
from keras import layers
MNIST = os.environ.get("SCEN_MNIST") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")

keras.utils.set_random_seed(42)
np.random.seed(42)

data = np.load(MNIST)
x_train, y_train = data["x_train"][:6000], data["y_train"][:6000]
x_test, y_test = data["x_test"][:1000], data["y_test"][:1000]

x_train = x_train.reshape(-1, 784).astype("float32")
x_test = x_test.reshape(-1, 784).astype("float32")

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(128, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
              loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=64, validation_split=0.1, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f} test acc {acc:.4f}")
