import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

N_FEATURES = 20
W = rng.normal(size=(N_FEATURES, 3))


def make_data(n):
    x = rng.normal(size=(n, N_FEATURES)).astype("float32")
    p = x @ W
    y = 2 * (p[:, 0] > 0) + (np.tanh(p[:, 1]) + 0.5 * np.sin(p[:, 2]) > 0)
    return x, y.astype("int64")


x_train, y_train = make_data(4000)
x_val, y_val = make_data(800)
x_test, y_test = make_data(800)
print("class counts:", np.bincount(y_train))


def batch_generator(x, y, batch_size=32):
    n = len(x)
    while True:
        for start in range(0, n, batch_size):
            x_batch = x[start:start + batch_size]
            y_batch = y[start:start + batch_size]
        yield x_batch, y_batch


BATCH = 64
model = keras.Sequential(
    [
        keras.Input(shape=(N_FEATURES,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(4, activation="softmax"),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(
    batch_generator(x_train, y_train, BATCH),
    steps_per_epoch=len(x_train) // BATCH,
    epochs=6,
    validation_data=(x_val, y_val),
    verbose=2,
)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.4f}")
