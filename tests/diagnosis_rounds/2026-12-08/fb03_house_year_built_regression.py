# Estimating the construction year of a house from survey features + region.
# Inputs are standardized, but the MAE is in the hundreds of years and the loss
# is in the millions. What's wrong with my model?
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(3)
rng = np.random.default_rng(3)

N = 3000
N_REGIONS = 6
region = rng.integers(0, N_REGIONS, size=N)
region_base_year = np.array([1955, 1968, 1979, 1990, 2001, 2009])[region]

year_built = region_base_year + rng.normal(0, 8, size=N)
age = 2024 - year_built
floor_area = rng.normal(140, 35, size=N) + 0.4 * (year_built - 1980)
insulation_cm = np.clip(2 + 0.35 * (year_built - 1950) + rng.normal(0, 2, size=N), 0, None)
ceiling_height = 2.9 - 0.01 * (year_built - 1950) + rng.normal(0, 0.08, size=N)
energy_kwh_m2 = 260 - 2.2 * (year_built - 1950) + rng.normal(0, 15, size=N)
num_rooms = np.round(floor_area / 28 + rng.normal(0, 0.7, size=N))

numeric = np.stack([floor_area, insulation_cm, ceiling_height, energy_kwh_m2, num_rooms], axis=1)
numeric = ((numeric - numeric.mean(0)) / numeric.std(0)).astype("float32")
region_onehot = keras.utils.to_categorical(region, N_REGIONS).astype("float32")
target = year_built.astype("float32")

n_train = 2400
num_in = keras.Input(shape=(numeric.shape[1],), name="numeric")
reg_in = keras.Input(shape=(N_REGIONS,), name="region")
x = layers.Concatenate()([num_in, reg_in])
x = layers.Dense(64, activation="relu")(x)
x = layers.Dense(32, activation="relu")(x)
out = layers.Dense(1, name="year")(x)
model = keras.Model([num_in, reg_in], out)

model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
model.fit(
    {"numeric": numeric[:n_train], "region": region_onehot[:n_train]},
    target[:n_train],
    validation_data=({"numeric": numeric[n_train:], "region": region_onehot[n_train:]},
                     target[n_train:]),
    epochs=25, batch_size=64, verbose=2,
)
pred = model.predict({"numeric": numeric[n_train:n_train + 5],
                      "region": region_onehot[n_train:n_train + 5]}, verbose=0)
print("pred:", pred.ravel().round(1))
print("true:", target[n_train:n_train + 5].round(1))
