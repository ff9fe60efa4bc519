import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Predict a drone's 3-D velocity (m/s) from motor commands, attitude and wind readings
N_IN = 8
A = rng.normal(size=(N_IN, 3))


def make_flights(n):
    x = rng.normal(size=(n, N_IN)).astype("float32")
    throttle = 1.0 + 0.8 * np.tanh(x[:, :1])
    v = throttle * (x @ A) + 0.5 * np.sin(x[:, 1:4] * 2.0)
    return x, v.astype("float32")


x_train, y_train = make_flights(4000)
x_test, y_test = make_flights(800)
print("speed range (m/s):", np.linalg.norm(y_train, axis=1).min(), np.linalg.norm(y_train, axis=1).max())

model = keras.Sequential(
    [
        keras.Input(shape=(N_IN,)),
        layers.Dense(128, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(3),
    ]
)
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss=keras.losses.CosineSimilarity(axis=-1),
    metrics=["mse", "mae"],
)
model.fit(x_train, y_train, batch_size=64, epochs=10, validation_split=0.2, verbose=2)

loss, mse, mae = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test mse {mse:.4f}  test mae {mae:.4f}  (target variance {y_test.var():.4f})")
