# Training a small CNN on a subset of MNIST (keras-io "simple convnet" style, shrunk
# so it runs quickly on my laptop CPU).
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(123)

num_classes = 10
with np.load("/work/shared/data/mnist.npz") as data:
    x_train, y_train = data["x_train"][:5000], data["y_train"][:5000]
    x_test, y_test = data["x_test"][:2000], data["y_test"][:2000]

x_train = x_train.astype("float32") / 255.0
x_test = x_test.astype("float32") / 255.0
x_train = np.expand_dims(x_train, -1)
x_test = np.expand_dims(x_test, -1)
y_train = keras.utils.to_categorical(y_train, num_classes)
y_test = keras.utils.to_categorical(y_test, num_classes)

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(8, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Conv2D(16, kernel_size=(3, 3), activation="relu"),
    layers.MaxPooling2D(pool_size=(2, 2)),
    layers.Flatten(),
    layers.Dense(32, activation="relu"),
    layers.Dense(num_classes, activation="softmax"),
])
model.summary()

model.compile(loss="categorical_crossentropy", optimizer=keras.optimizers.Adam(2e-3), metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=64, epochs=5, validation_split=0.1, verbose=2)

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
