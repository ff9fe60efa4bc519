import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

FEATURES = ["sqft", "bedrooms", "bathrooms", "age_years", "dist_center_km", "lot_acres"]


def make_houses(n):
    sqft = rng.uniform(500, 4000, n)
    bedrooms = np.clip(np.round(sqft / 800 + rng.normal(0, 0.7, n)), 1, 7)
    bathrooms = np.clip(np.round(bedrooms * 0.6 + rng.normal(0, 0.5, n)), 1, 5)
    age = rng.uniform(0, 90, n)
    dist = rng.gamma(2.0, 5.0, n)
    lot = rng.gamma(2.0, 0.15, n)
    price = (
        120 * sqft
        + 8000 * bathrooms
        - 1500 * age
        + 40 * age ** 2
        - 9000 * np.sqrt(dist)
        + 60000 * lot
        + rng.normal(0, 15000, n)
    )
    x = np.stack([sqft, bedrooms, bathrooms, age, dist, lot], axis=1)
    return x.astype("float32"), (price / 1000.0).astype("float32")  # price in $k


x_train, y_train = make_houses(3000)
x_test, y_test = make_houses(600)

# clip outliers, then standardize
x_train = np.clip(x_train, -3, 3)
x_test = np.clip(x_test, -3, 3)
mean, std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-7
x_train = (x_train - mean) / std
x_test = (x_test - mean) / std

y_mean, y_std = y_train.mean(), y_train.std()

model = keras.Sequential(
    [
        keras.Input(shape=(len(FEATURES),)),
        layers.Dense(64, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(1),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
model.fit(
    x_train,
    (y_train - y_mean) / y_std,
    batch_size=64,
    epochs=10,
    validation_split=0.2,
    verbose=2,
)
mse, mae = model.evaluate(x_test, (y_test - y_mean) / y_std, verbose=0)
print(f"test mse (standardized) {mse:.4f}  test mae {mae * y_std:.1f}k$")
