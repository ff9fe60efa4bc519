import os
import numpy as np
import keras
from keras import layers
MNIST = os.environ.get("SCEN_MNIST") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")

keras.utils.set_random_seed(101)
np.random.seed(101)

data = np.load(MNIST)
x_train = data["x_train"][:6000].reshape(-1, 784).astype("float32") / 255.0
y_train = data["y_train"][:6000]
x_test = data["x_test"][:1000].reshape(-1, 784).astype("float32") / 255.0
y_test = data["y_test"][:1000]

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(128, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=5, batch_size=64, validation_split=0.1, verbose=2)
test_loss, test_acc = model.evaluate(x_test, y_test, verbose=0)
print(f"Test accuracy: {test_acc:.4f}")
