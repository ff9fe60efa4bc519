import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)


def make_listings(n):
    age = rng.uniform(0, 15, n)
    mileage = np.clip(age * 12000 + rng.normal(0, 15000, n), 0, None)
    engine = rng.choice([1.0, 1.4, 1.6, 2.0, 2.5, 3.0], n)
    brand_tier = rng.integers(0, 3, n)
    automatic = rng.binomial(1, 0.6, n)
    price = (
        28000 * np.exp(-0.11 * age)
        - 0.03 * mileage
        + 4000 * engine
        + 6000 * brand_tier
        + 1500 * automatic
        + rng.normal(0, 1200, n)
    )
    price = np.maximum(price, 500)
    x = np.column_stack([age, mileage / 10000, engine, brand_tier, automatic]).astype("float32")
    return x, price.astype("float32")


x_train, y_train = make_listings(4000)
x_test, y_test = make_listings(800)

# scraped data: some prices were entered in cents instead of dollars
typos = rng.random(len(y_train)) < 0.02
y_train[typos] *= 100

# remove outliers (|z| > 3) from the training data
z = (y_train - y_train.mean()) / y_train.std()
mask = np.abs(z) > 3
x_train, y_train = x_train[mask], y_train[mask]
print("training rows after outlier removal:", len(x_train))

x_mean, x_std = x_train.mean(axis=0), x_train.std(axis=0) + 1e-6
y_mean, y_std = y_train.mean(), y_train.std()

model = keras.Sequential(
    [
        keras.Input(shape=(5,)),
        layers.Dense(64, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(1),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
model.fit(
    (x_train - x_mean) / x_std,
    (y_train - y_mean) / y_std,
    batch_size=32,
    epochs=30,
    validation_split=0.2,
    verbose=2,
)
pred = model.predict((x_test - x_mean) / x_std, verbose=0).ravel() * y_std + y_mean
test_mse = model.evaluate((x_test - x_mean) / x_std, (y_test - y_mean) / y_std, verbose=0)
print(f"test mse (scaled) {test_mse:.4f}")
print(f"test MAE ${np.mean(np.abs(pred - y_test)):,.0f}  (predict-median MAE ${np.mean(np.abs(y_test - np.median(y_test))):,.0f})")
