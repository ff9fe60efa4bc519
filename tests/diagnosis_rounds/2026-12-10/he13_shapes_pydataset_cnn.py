import math
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

SIZE = 20
CLASSES = ["square", "cross", "ring", "triangle"]


def draw(kind):
    img = np.zeros((SIZE, SIZE), dtype="float32")
    cy, cx = rng.integers(6, SIZE - 6, size=2)
    r = rng.integers(3, 6)
    yy, xx = np.mgrid[0:SIZE, 0:SIZE]
    if kind == 0:
        m = (np.maximum(np.abs(yy - cy), np.abs(xx - cx)) == r)
    elif kind == 1:
        m = ((np.abs(yy - cy) <= r) & (xx == cx)) | ((np.abs(xx - cx) <= r) & (yy == cy))
    elif kind == 2:
        d = np.sqrt((yy - cy) ** 2 + (xx - cx) ** 2)
        m = np.abs(d - r) < 0.7
    else:
        m = (yy - cy <= r) & (yy - cy >= -r) & (np.abs(xx - cx) <= (yy - cy + r) / 2) & (
            (yy - cy == r) | (np.abs(xx - cx) >= (yy - cy + r) / 2 - 1)
        )
    img[m] = 1.0
    img += rng.normal(0, 0.25, img.shape)
    return img


def make_set(n):
    y = rng.integers(0, len(CLASSES), n)
    x = np.stack([draw(k) for k in y])[..., None]
    return x.astype("float32"), y


x_train, y_train = make_set(2400)
x_val, y_val = make_set(400)
x_test, y_test = make_set(400)


class ShapeSequence(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size=64, augment=False, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x, y
        self.batch_size = batch_size
        self.augment = augment
        self.indices = np.arange(len(x))
        self.rng = np.random.default_rng(1)

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, idx):
        batch = self.indices[idx * self.batch_size : (idx + 1) * self.batch_size]
        xb = self.x[batch].copy()
        if self.augment:
            flip = self.rng.random(len(xb)) < 0.5
            xb[flip] = xb[flip][:, :, ::-1, :]  # left-right flip keeps every shape's class
        return xb, self.y[batch]

    def on_epoch_end(self):
        if self.augment:
            self.rng.shuffle(self.indices)


model = keras.Sequential(
    [
        keras.Input(shape=(SIZE, SIZE, 1)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(2),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(len(CLASSES), activation="softmax"),
    ]
)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(
    ShapeSequence(x_train, y_train, augment=True),
    validation_data=ShapeSequence(x_val, y_val),
    epochs=8,
    verbose=2,
)
loss, acc = model.evaluate(ShapeSequence(x_test, y_test), verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.4f}")
