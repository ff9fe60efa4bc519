import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(2023)
rng = np.random.default_rng(2023)

# 5-class Gaussian-cluster problem with 20 features (unscaled, like raw sensor data)
num_classes = 5
n = 6000
centers = rng.normal(0, 1.0, size=(num_classes, 20))
y = rng.integers(0, num_classes, n)
X = centers[y] + rng.normal(0, 1.2, size=(n, 20))
scales = rng.uniform(0.5, 50, 20)
X = (X * scales + rng.uniform(-100, 100, 20)).astype("float32")
y_onehot = keras.utils.to_categorical(y, num_classes)

x_train, y_train = X[:4800], y_onehot[:4800]
x_test, y_test = X[4800:], y_onehot[4800:]

model = keras.Sequential([
    keras.Input(shape=(20,)),
    layers.BatchNormalization(),
    layers.Dense(64),
    layers.BatchNormalization(),
    layers.Activation("relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(num_classes, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
              loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=20, batch_size=128, validation_split=0.2, verbose=2)

loss, acc = model.evaluate(x_test, y_test, verbose=0)
print("Test loss: %.4f  Test accuracy: %.4f" % (loss, acc))
