# MNIST MLP with mixup augmentation (read that it regularises better than dropout).
# Training accuracy is stuck around 50% and test accuracy is much lower than the
# plain MLP I had before (~90%). Loss stays high (~1.5). Is mixup just bad for MNIST?
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(21)
rng = np.random.default_rng(21)

data = np.load("/work/shared/data/mnist.npz")
x_train = data["x_train"][:6000].reshape(-1, 784).astype("float32") / 255.0
y_train = data["y_train"][:6000]
x_test = data["x_test"][:2000].reshape(-1, 784).astype("float32") / 255.0
y_test = data["y_test"][:2000]


def mixup(x, y, alpha=1.0):
    lam = rng.beta(alpha, alpha, size=(len(x), 1)).astype("float32")
    perm = rng.permutation(len(x))
    x_mix = lam * x + (1 - lam) * x[perm]
    return x_mix, y


x_aug, y_aug = mixup(x_train, y_train)

model = keras.Sequential([
    keras.Input(shape=(784,)),
    layers.Dense(128, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(10, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x_aug, y_aug, epochs=6, batch_size=128,
          validation_data=(x_test, y_test), verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy: {acc:.4f}")
