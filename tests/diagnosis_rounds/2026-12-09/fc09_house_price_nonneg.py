# House price regression. Prices can never be negative, so I constrained the network
# to be non-negative. It trains without errors but the validation MAE is terrible
# (~$90k) and R^2 stays below 0.2, even though a plain linear regression
# on the same features gets R^2 > 0.9.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(13)
rng = np.random.default_rng(13)

n = 4000
sqft = rng.uniform(500, 4000, n)
bedrooms = np.clip(np.round(sqft / 700 + rng.normal(0, 0.7, n)), 1, 6)
age = rng.uniform(0, 80, n)
dist_km = rng.exponential(8, n)
crime = rng.gamma(2.0, 1.5, n)
school = rng.uniform(1, 10, n)
price = (260_000 + 60 * sqft + 5_000 * bedrooms - 4_000 * age - 15_000 * dist_km
         - 20_000 * crime + 10_000 * school + rng.normal(0, 20_000, n))
price = np.clip(price, 40_000, None)

X = np.stack([sqft, bedrooms, age, dist_km, crime, school], axis=1).astype("float32")
y = price.astype("float32")

X_train, X_val = X[:3200], X[3200:]
y_train, y_val = y[:3200], y[3200:]
x_mu, x_sd = X_train.mean(0), X_train.std(0)
y_mu, y_sd = y_train.mean(), y_train.std()
X_train, X_val = (X_train - x_mu) / x_sd, (X_val - x_mu) / x_sd
y_train_s, y_val_s = (y_train - y_mu) / y_sd, (y_val - y_mu) / y_sd

nonneg = keras.constraints.NonNeg
model = keras.Sequential([
    keras.Input(shape=(6,)),
    layers.Dense(64, activation="relu", kernel_constraint=nonneg()),
    layers.Dense(32, activation="relu", kernel_constraint=nonneg()),
    layers.Dense(1, kernel_constraint=nonneg()),
])
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=3)
model.fit(X_train, y_train_s, validation_data=(X_val, y_val_s), epochs=15,
          batch_size=64, callbacks=[reduce_lr], verbose=2)

pred = model.predict(X_val, verbose=0).ravel() * y_sd + y_mu
mae = np.mean(np.abs(pred - y_val))
r2 = 1 - np.sum((pred - y_val) ** 2) / np.sum((y_val - y_val.mean()) ** 2)
print(f"validation MAE: ${mae:,.0f}   R^2: {r2:.3f}")
