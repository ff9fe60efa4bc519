import os
import numpy as np
import keras
from keras import layers
MNIST = os.environ.get("SCEN_MNIST") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")

keras.utils.set_random_seed(2024)
np.random.seed(2024)

data = np.load(MNIST)
x_train = data["x_train"][:2560].astype("float32") / 255.0
y_train = data["y_train"][:2560]
x_test = data["x_test"][:1000].astype("float32") / 255.0
y_test = data["y_test"][:1000]

# shuffle training data
np.random.shuffle(x_train)
np.random.shuffle(y_train)

x_train = np.expand_dims(x_train, -1)
x_test = np.expand_dims(x_test, -1)
y_train = keras.utils.to_categorical(y_train, 10)
y_test = keras.utils.to_categorical(y_test, 10)

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(8, (3, 3), activation="relu"),
    layers.MaxPooling2D((2, 2)),
    layers.Flatten(),
    layers.Dense(64, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=128, epochs=8, validation_split=0.2, verbose=2)
print("test:", model.evaluate(x_test, y_test, verbose=0))
