# Feeding MNIST through my own keras.utils.PyDataset (the real project streams
# images from disk, this is the MNIST version of it). Training accuracy hits 100%
# after a couple of epochs but validation accuracy is stuck around 72%, while
# plain model.fit(x, y) on the same arrays gets ~94%. Same model, same epochs.
import math
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(1)

data = np.load("/work/shared/data/mnist.npz")
x_train, y_train = data["x_train"][:12800], data["y_train"][:12800]
x_test, y_test = data["x_test"][:5000], data["y_test"][:5000]


class MnistBatches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size=128, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x, y
        self.batch_size = batch_size

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, idx):
        batch_x = self.x[idx:idx + self.batch_size].astype("float32") / 255.0
        batch_y = self.y[idx:idx + self.batch_size]
        return batch_x.reshape(-1, 784), batch_y


train_ds = MnistBatches(x_train, y_train)
x_val = x_test.reshape(-1, 784).astype("float32") / 255.0

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(256, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(128, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(train_ds, validation_data=(x_val, y_test), epochs=5, verbose=2)

loss, acc = model.evaluate(x_val, y_test, verbose=0)
print(f"test accuracy: {acc:.4f}")
