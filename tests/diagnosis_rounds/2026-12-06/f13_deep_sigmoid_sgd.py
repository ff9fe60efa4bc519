import os
import numpy as np
import keras
from keras import layers
MNIST = os.environ.get("SCEN_MNIST") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")

keras.utils.set_random_seed(8)
np.random.seed(8)

d = np.load(MNIST)
x_train = d["x_train"][:4000].reshape(-1, 784).astype("float32") / 255.0
y_train = keras.utils.to_categorical(d["y_train"][:4000], 10)
x_test = d["x_test"][:1000].reshape(-1, 784).astype("float32") / 255.0
y_test = keras.utils.to_categorical(d["y_test"][:1000], 10)

model = keras.Sequential()
model.add(keras.Input(shape=(784,)))
for _ in range(10):
    model.add(layers.Dense(64, activation="sigmoid"))
model.add(layers.Dense(10, activation="softmax"))

model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
              loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=12, batch_size=64, validation_data=(x_test, y_test), verbose=2)
print(model.evaluate(x_test, y_test, verbose=0))
