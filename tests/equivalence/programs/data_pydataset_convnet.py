"""Conv2D classifier on 8x8 images fed by keras.utils.PyDataset subclasses for training (shuffled
in on_epoch_end with its own seeded rng) and for validation_data; a callback keeps the logs."""
# kinds: data.pydataset, data.validation_data, models.convnet, callbacks.custom_records_logs, optimizers.adam_object

import math

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(37)


class ImageSequence(keras.utils.PyDataset):
    def __init__(self, images, labels, batch_size=32, shuffle=False, **kwargs):
        super().__init__(**kwargs)
        self.images, self.labels = images, labels
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.order = np.arange(len(images))
        self.rng = np.random.default_rng(0)

    def __len__(self):
        return math.ceil(len(self.images) / self.batch_size)

    def __getitem__(self, idx):
        rows = self.order[idx * self.batch_size:(idx + 1) * self.batch_size]
        return self.images[rows], self.labels[rows]

    def on_epoch_end(self):
        if self.shuffle:
            self.rng.shuffle(self.order)


class History2(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.rows = []

    def on_epoch_end(self, epoch, logs=None):
        self.rows.append({k: round(float(v), 3) for k, v in sorted((logs or {}).items())})


rng = np.random.default_rng(37)
n = 480
images = rng.normal(size=(n, 8, 8, 1)).astype("float32") * 0.5
labels = rng.integers(0, 3, size=n)
images[labels == 0, 2:6, 3:5, 0] += 1.5   # vertical bar
images[labels == 1, 3:5, 2:6, 0] += 1.5   # horizontal bar

train = ImageSequence(images[:384], labels[:384], batch_size=32, shuffle=True)
val = ImageSequence(images[384:], labels[384:], batch_size=48)

model = keras.Sequential([
    keras.Input(shape=(8, 8, 1)),
    layers.Conv2D(8, 3, activation="relu"),
    layers.Conv2D(8, 3, activation="relu"),
    layers.Flatten(),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
logs = History2()
history = model.fit(train, validation_data=val, epochs=5, callbacks=[logs], verbose=0)

for i, row in enumerate(logs.rows):
    print("epoch", i, row)
print("evaluate", [round(float(v), 3) for v in model.evaluate(val, verbose=0)])
print("history keys", sorted(history.history))
