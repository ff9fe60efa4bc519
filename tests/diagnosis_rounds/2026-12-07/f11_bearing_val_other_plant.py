"""Bearing fault detection from vibration features; validated on a second plant's data."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(12)
rng = np.random.default_rng(12)


def plant_data(n, gain, offset, rng):
    """rms, kurtosis, peak, crest factor, band energy; sensor gain/offset differ per plant."""
    faulty = rng.integers(0, 2, n)
    rms = rng.normal(1.0, 0.15, n) + 0.35 * faulty
    kurt = rng.normal(3.0, 0.4, n) + 1.2 * faulty
    peak = rms * rng.normal(3.2, 0.3, n) + 0.8 * faulty
    crest = peak / rms
    band = rng.normal(0.5, 0.1, n) + 0.25 * faulty
    X = np.stack([rms * gain, kurt, peak * gain, crest, band * gain + offset], 1)
    return X.astype("float32"), faulty.astype("float32")


# plant A: accelerometers in g; plant B: different sensor model (mV/g scale, DC offset)
x_train, y_train = plant_data(3000, gain=1.0, offset=0.0, rng=rng)
x_val, y_val = plant_data(800, gain=2.2, offset=0.9, rng=rng)

mean, std = x_train.mean(0), x_train.std(0)
x_train = (x_train - mean) / std
x_val = (x_val - mean) / std

model = keras.Sequential([
    keras.Input(shape=(5,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=15, batch_size=64, verbose=2)
print("plant B [loss, acc]:", model.evaluate(x_val, y_val, verbose=0))
