import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Synthetic house prices (in $100k) from a handful of numeric features
n = 3000
sqft = rng.uniform(500, 3500, n)
bedrooms = rng.integers(1, 6, n)
age = rng.uniform(0, 80, n)
dist_city = rng.uniform(1, 40, n)
quality = rng.integers(1, 11, n)
price = (0.0015 * sqft + 0.15 * bedrooms - 0.01 * age - 0.04 * dist_city
         + 0.25 * quality + 0.3 * np.sqrt(sqft / 1000) * quality / 5
         + rng.normal(0, 0.15, n) + 1.0)

X = np.stack([sqft, bedrooms, age, dist_city, quality], axis=1).astype("float32")
y = price.astype("float32")

idx = rng.permutation(n)
X, y = X[idx], y[idx]
x_train, x_test = X[:2400], X[2400:]
y_train, y_test = y[:2400], y[2400:]

mean, std = x_train.mean(axis=0), x_train.std(axis=0)
x_train = (x_train - mean) / std
x_test = (x_test - mean) / std

model = keras.Sequential([
    keras.Input(shape=(5,)),
    layers.Dense(64, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(64, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(1),
    layers.Dropout(0.2),
])
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])

print("target mean / std:", y_train.mean(), y_train.std())
model.fit(x_train, y_train, validation_split=0.2, batch_size=64, epochs=12, verbose=2)
mse, mae = model.evaluate(x_test, y_test, verbose=0)
print(f"test mse {mse:.4f}  test mae {mae:.4f}")
