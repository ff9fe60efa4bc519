"""House price regression (functional API) with standardized features and target."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(102)
rng = np.random.default_rng(102)

n = 3000
sqft = rng.normal(1700, 500, n).clip(400, 4500)
bedrooms = np.round(sqft / 550 + rng.normal(0, 0.6, n)).clip(1, 6)
age = rng.uniform(0, 80, n)
dist_km = rng.gamma(2.0, 4.0, n)
school = rng.uniform(1, 10, n)
price = (50_000 + 150 * sqft + 9_000 * bedrooms - 900 * age - 5_000 * dist_km
         + 6_000 * school + rng.normal(0, 20_000, n))

X = np.stack([sqft, bedrooms, age, dist_km, school], 1).astype("float32")
y = price.astype("float32")
x_train, x_test, y_train, y_test = X[:2400], X[2400:], y[:2400], y[2400:]

x_mean, x_std = x_train.mean(0), x_train.std(0)
y_mean, y_std = y_train.mean(), y_train.std()
xs_train, xs_test = (x_train - x_mean) / x_std, (x_test - x_mean) / x_std
ys_train = (y_train - y_mean) / y_std

inputs = keras.Input(shape=(5,), name="features")
h = layers.Dense(64, activation="relu")(inputs)
h = layers.Dense(32, activation="relu")(h)
outputs = layers.Dense(1, name="price")(h)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
model.fit(xs_train, ys_train, epochs=15, batch_size=64, validation_split=0.2, verbose=2)

pred = model.predict(xs_test, verbose=0).ravel() * y_std + y_mean
r2 = 1 - np.sum((y_test - pred) ** 2) / np.sum((y_test - y_test.mean()) ** 2)
print(f"test MAE ${np.mean(np.abs(pred - y_test)):,.0f}   R^2 {r2:.3f}")
