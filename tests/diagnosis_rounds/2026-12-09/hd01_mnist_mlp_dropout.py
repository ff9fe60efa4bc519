# Plain MNIST MLP baseline on a 6k subset, with fairly heavy dropout (0.5) because
# the full model will be trained on a small labelled set later on.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(1)

data = np.load("/work/shared/data/mnist.npz")
x_train = data["x_train"][:6000].reshape(-1, 784).astype("float32") / 255.0
y_train = data["y_train"][:6000]
x_test = data["x_test"][:2000].reshape(-1, 784).astype("float32") / 255.0
y_test = data["y_test"][:2000]

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.5),
    layers.Dense(64, activation="relu"),
    layers.Dropout(0.5),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(2e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_split=0.1, epochs=8, batch_size=128, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.4f}")
