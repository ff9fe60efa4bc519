import os
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

path = os.environ.get("SCEN_MNIST", "/work/shared/data/mnist.npz")
with np.load(path) as f:
    x_train, y_train = f["x_train"], f["y_train"]
    x_test, y_test = f["x_test"], f["y_test"]

idx = rng.choice(len(x_train), 4000, replace=False)
x_train, y_train = x_train[idx][..., None], y_train[idx]
tidx = rng.choice(len(x_test), 1000, replace=False)
x_test, y_test = x_test[tidx][..., None], y_test[tidx]

# model works on [0, 1] floats
model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(16, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dropout(0.3),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train.astype("float32") / 255.0, y_train, batch_size=64, epochs=5,
          validation_split=0.1, verbose=2)

# serving model takes raw uint8 images straight from the camera pipeline
serving_model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Rescaling(1.0 / 255),
    keras.models.clone_model(model),
])
serving_model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
loss, acc = serving_model.evaluate(x_test.astype("float32"), y_test, verbose=0)
print(f"serving model test loss {loss:.4f}  test accuracy {acc:.4f}")
