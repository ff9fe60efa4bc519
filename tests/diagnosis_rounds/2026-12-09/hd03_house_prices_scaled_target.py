# House price regression (prices in dollars, ~50k to ~1.5M). Features go through an
# adapted Normalization layer and I standardise the target, then convert the
# predictions back to dollars for reporting.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(9)
rng = np.random.default_rng(9)

n = 5000
sqft = rng.lognormal(7.4, 0.35, n)
bedrooms = np.clip(np.round(sqft / 600 + rng.normal(0, 0.8, n)), 1, 7)
age = rng.uniform(0, 100, n)
dist_center_km = rng.gamma(2.0, 6.0, n)
lot_acres = rng.lognormal(-1.5, 0.6, n)
school_score = rng.uniform(1, 10, n)
price = (180 * sqft * (1 + 0.04 * school_score) * np.exp(-0.03 * dist_center_km)
         * (1 - 0.003 * age) + 15000 * bedrooms + 60000 * lot_acres)
price = price * rng.lognormal(0, 0.08, n)

X = np.column_stack([sqft, bedrooms, age, dist_center_km, lot_acres,
                     school_score]).astype("float32")
y = price.astype("float32")
x_train, y_train, x_test, y_test = X[:4000], y[:4000], X[4000:], y[4000:]
print(f"price range: {y.min():,.0f} .. {y.max():,.0f}")

y_mean, y_std = y_train.mean(), y_train.std()
y_train_s = (y_train - y_mean) / y_std

norm = layers.Normalization()
norm.adapt(x_train)

model = keras.Sequential([
    keras.Input(shape=(6,)),
    norm,
    layers.Dense(64, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse", metrics=["mae"])
model.fit(x_train, y_train_s, validation_split=0.15, epochs=10, batch_size=128, verbose=2)

pred = model.predict(x_test, verbose=0).ravel() * y_std + y_mean
mae = np.abs(pred - y_test).mean()
r2 = 1 - np.sum((y_test - pred) ** 2) / np.sum((y_test - y_test.mean()) ** 2)
print(f"test MAE ${mae:,.0f}  (mean price ${y_test.mean():,.0f})  R^2 {r2:.3f}")
