import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# SCADA-like records of a wind turbine sitting behind a ridge:
# wind from the south-west reaches it unobstructed, other directions are sheltered.


def make_scada(n):
    speed = rng.weibull(2.0, n) * 9.0  # m/s
    direction = rng.uniform(0, 360, n)  # degrees from north
    density = rng.normal(1.225, 0.03, n)
    rated = np.clip((speed - 3.0) / 9.0, 0, 1) ** 3
    exposure = 0.15 + 0.85 * np.cos(np.deg2rad(direction - 225) / 2) ** 4
    power = 2000 * rated * exposure * density / 1.225 + rng.normal(0, 20, n)
    power = np.clip(power, 0, 2000)
    return speed, direction, density, power


def featurize(speed, direction, density):
    # cyclical encoding of wind direction
    return np.column_stack(
        [
            speed / 10.0,
            np.sin(direction),
            np.cos(direction),
            (density - 1.225) / 0.03,
        ]
    ).astype("float32")


s, d, r, p = make_scada(4000)
x_train, y_train = featurize(s, d, r), (p / 2000).astype("float32")
s, d, r, p = make_scada(800)
x_test, y_test = featurize(s, d, r), (p / 2000).astype("float32")

model = keras.Sequential(
    [
        keras.Input(shape=(4,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(64, activation="relu"),
        layers.Dense(1, activation="sigmoid"),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse", metrics=["mae"])
model.fit(x_train, y_train, batch_size=64, epochs=10, validation_split=0.2, verbose=2)

mse, mae = model.evaluate(x_test, y_test, verbose=0)
print(f"test mse {mse:.5f}  test mae {mae * 2000:.1f} kW  (variance {y_test.var():.5f})")
