import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

N_FEATURES = 10
W = rng.normal(size=(N_FEATURES, 4)) / np.sqrt(N_FEATURES)


def make_data(n):
    x = rng.normal(size=(n, N_FEATURES)).astype("float32")
    p = x @ W
    y = 1.5 * np.sin(2 * p[:, 0]) + p[:, 1] * p[:, 2] + np.abs(p[:, 3]) + 0.05 * rng.normal(size=n)
    return x, y.astype("float32")


x_train, y_train = make_data(3000)
x_val, y_val = make_data(600)
x_test, y_test = make_data(600)


def noisy_batches(x, y, batch_size=64, noise_std=0.3):
    """Gaussian input-jitter augmentation."""
    n = len(x)
    while True:
        for start in range(0, n, batch_size):
            xb = x[start : start + batch_size]
            yb = y[start : start + batch_size]
            xb += rng.normal(0, noise_std, size=xb.shape).astype("float32")
            yield xb, yb


BATCH = 64
model = keras.Sequential(
    [
        keras.Input(shape=(N_FEATURES,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse", metrics=["mae"])
model.fit(
    noisy_batches(x_train, y_train, BATCH),
    steps_per_epoch=int(np.ceil(len(x_train) / BATCH)),
    epochs=15,
    validation_data=(x_val, y_val),
    verbose=2,
)
mse, mae = model.evaluate(x_test, y_test, verbose=0)
print(f"test mse {mse:.4f}  test mae {mae:.4f}  (target variance {y_test.var():.4f})")
