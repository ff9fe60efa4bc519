import os
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

path = os.environ.get("SCEN_MNIST", "/work/shared/data/mnist.npz")
with np.load(path) as data:
    x_all, y_all = data["x_train"], data["y_train"]
    x_test, y_test = data["x_test"], data["y_test"]

idx = rng.choice(len(x_all), size=8000, replace=False)
x_train, y_train = x_all[idx], y_all[idx]
test_idx = rng.choice(len(x_test), size=2000, replace=False)
x_test, y_test = x_test[test_idx], y_test[test_idx]

x_train = x_train.reshape(-1, 784)
x_test = x_test.reshape(-1, 784)

model = keras.Sequential(
    [
        keras.Input(shape=(784,), dtype="uint8"),
        layers.Rescaling(1.0 / 255),
        layers.Dense(256, use_bias=False),
        layers.BatchNormalization(),
        layers.Activation("relu"),
        layers.Dropout(0.3),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.2),
        layers.Dense(10, activation="softmax"),
    ]
)
lr = keras.optimizers.schedules.ExponentialDecay(1e-3, decay_steps=200, decay_rate=0.8)
model.compile(
    optimizer=keras.optimizers.Adam(lr),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x_train, y_train, batch_size=128, epochs=8, validation_split=0.1, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.4f}")
