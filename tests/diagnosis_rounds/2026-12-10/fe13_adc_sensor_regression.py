import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# 12-bit ADC readings from 8 sensors, target is a (made-up) process yield
N_SENSORS = 8


def make_data(n):
    raw = rng.integers(0, 4096, size=(n, N_SENSORS))
    v = raw / 4095.0
    y = (
        2.0 * np.sin(3.0 * v[:, 0])
        + 1.5 * v[:, 1] * v[:, 2]
        - 1.0 * v[:, 3] ** 2
        + 0.8 * np.cos(4.0 * v[:, 4])
        + 0.5 * v[:, 5]
        + rng.normal(0, 0.05, size=n)
    )
    return raw, y.astype("float32")


raw_train, y_train = make_data(3000)
raw_test, y_test = make_data(600)

col_min = raw_train.min(axis=0)
col_max = raw_train.max(axis=0)


def min_max_scale(raw):
    scaled = np.zeros_like(raw)
    for j in range(raw.shape[1]):
        scaled[:, j] = (raw[:, j] - col_min[j]) / (col_max[j] - col_min[j])
    return scaled


x_train = min_max_scale(raw_train).astype("float32")
x_test = min_max_scale(raw_test).astype("float32")
print("x_train range:", x_train.min(), x_train.max(), "y_train mean/std:", y_train.mean(), y_train.std())

model = keras.Sequential(
    [
        keras.Input(shape=(N_SENSORS,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse", metrics=["mae"])
model.fit(x_train, y_train, batch_size=64, epochs=8, validation_split=0.2, verbose=2)

mse, mae = model.evaluate(x_test, y_test, verbose=0)
baseline = np.mean((y_test - y_train.mean()) ** 2)
print(f"test mse {mse:.4f}  test mae {mae:.4f}  (predict-the-mean mse {baseline:.4f})")
