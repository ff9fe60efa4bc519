"""House price regression from a CSV-like array; columns documented below."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(3)
rng = np.random.default_rng(3)

# columns: sqft, bedrooms, age_years, km_to_center, price_k, listing_id
n = 3000
sqft = rng.normal(1600, 450, n).clip(400, 4000)
bedrooms = np.round(sqft / 550 + rng.normal(0, 0.6, n)).clip(1, 6)
age = rng.uniform(0, 80, n)
dist = rng.gamma(2.0, 4.0, n)
price_k = 40 + 0.16 * sqft + 12 * bedrooms - 1.1 * age - 6.5 * dist + rng.normal(0, 25, n)
listing_id = rng.permutation(n) + 100000
data = np.stack([sqft, bedrooms, age, dist, price_k, listing_id], axis=1).astype("float32")

X = data[:, :4]
y = data[:, -1]          # target column

x_mean, x_std = X.mean(0), X.std(0)
y_mean, y_std = y.mean(), y.std()
X = (X - x_mean) / x_std
y = (y - y_mean) / y_std

x_train, x_val = X[:2400], X[2400:]
y_train, y_val = y[:2400], y[2400:]

model = keras.Sequential([
    keras.Input(shape=(4,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(x_train, y_train, validation_data=(x_val, y_val),
          epochs=15, batch_size=64, verbose=2)

pred = model.predict(x_val, verbose=0).ravel()
r2 = 1 - np.sum((y_val - pred) ** 2) / np.sum((y_val - y_val.mean()) ** 2)
print(f"validation R^2: {r2:.3f}")
