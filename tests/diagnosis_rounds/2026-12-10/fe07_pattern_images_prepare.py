import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Synthetic 8-bit grayscale "camera" images of 4 texture classes
n, size, n_classes = 2400, 24, 4
yy, xx = np.mgrid[0:size, 0:size]


def render(label):
    f = rng.uniform(0.35, 0.6)
    ph = rng.uniform(0, 2 * np.pi)
    if label == 0:
        pat = np.sin(f * yy + ph)
    elif label == 1:
        pat = np.sin(f * xx + ph)
    elif label == 2:
        pat = np.sin(f * (xx + yy) / 1.4 + ph)
    else:
        cy, cx = rng.uniform(8, 16, size=2)
        pat = np.sin(f * np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2) + ph)
    img = 90 + 60 * pat + rng.normal(0, 20, size=(size, size))
    return np.clip(img, 0, 255).astype(np.uint8)


labels = rng.integers(0, n_classes, size=n)
raw = np.stack([render(c) for c in labels])[..., None]   # (n, 24, 24, 1) uint8


def prepare(images, augment=False):
    out = np.empty_like(images)
    for i, img in enumerate(images):
        img = img / 255.0
        if augment and rng.random() < 0.5:
            img = img[::-1, :, :]
        out[i] = img
    return out


x_train, y_train = prepare(raw[:2000], augment=True), labels[:2000]
x_test, y_test = prepare(raw[2000:]), labels[2000:]

model = keras.Sequential([
    keras.Input(shape=(size, size, 1)),
    layers.Conv2D(16, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(32, activation="relu"),
    layers.Dense(n_classes, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=64, epochs=6, validation_split=0.15, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.4f}")
