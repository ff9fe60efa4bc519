# Small CNN that should tell whether an arrow on a 24x24 icon points left or right.
# I added some data augmentation to make it more robust, but now training
# accuracy is stuck at ~50% and validation accuracy is a coin flip too.
# The task looks trivial to me - what am I missing?
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(7)
rng = np.random.default_rng(7)


def make_arrow(direction, size=24):
    img = np.zeros((size, size), dtype="float32")
    cy = rng.integers(8, size - 8)
    cx = rng.integers(9, size - 9)
    length = rng.integers(4, 7)
    for d in range(length):  # triangle head
        half = length - d
        col = cx + d if direction == 1 else cx - d
        img[cy - half:cy + half + 1, col] = 1.0
    tail = np.arange(cx - 6, cx) if direction == 1 else np.arange(cx + 1, cx + 7)
    img[cy - 1:cy + 2, np.clip(tail, 0, size - 1)] = 1.0
    img += rng.normal(0, 0.15, img.shape).astype("float32")
    return img


n = 2000
y = rng.integers(0, 2, size=n)          # 0 = points left, 1 = points right
X = np.stack([make_arrow(d) for d in y])[..., None].astype("float32")
y = y.astype("float32")
X_train, y_train = X[:1600], y[:1600]
X_val, y_val = X[1600:], y[1600:]

data_augmentation = keras.Sequential([
    layers.RandomFlip("horizontal"),
])

inputs = keras.Input(shape=(24, 24, 1))
x = data_augmentation(inputs)
x = layers.Conv2D(8, 3, activation="relu", padding="same")(x)
x = layers.MaxPooling2D()(x)
x = layers.Conv2D(16, 3, activation="relu", padding="same")(x)
x = layers.MaxPooling2D()(x)
x = layers.Flatten()(x)
x = layers.Dense(32, activation="relu")(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)

model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(X_train, y_train, validation_data=(X_val, y_val),
          epochs=8, batch_size=64, verbose=2)

loss, acc = model.evaluate(X_val, y_val, verbose=0)
print(f"val accuracy: {acc:.3f}")
