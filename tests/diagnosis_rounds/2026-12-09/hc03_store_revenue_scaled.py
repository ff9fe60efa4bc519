# Predicting annual store revenue (millions of dollars) from store attributes.
# Targets are in raw dollars so I standardise them for training and convert back
# for reporting. EarlyStopping keeps the best epoch.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(99)
rng = np.random.default_rng(99)

n = 5000
area_m2 = rng.uniform(200, 3000, n)
staff = np.round(area_m2 / 120 + rng.normal(0, 3, n)).clip(2, None)
foot_traffic = rng.lognormal(7.5, 0.5, n)            # visitors per week
parking = rng.integers(0, 2, n)
region = rng.integers(0, 4, n)
region_effect = np.array([0.0, 450_000, -300_000, 900_000])[region]
revenue = (400_000 + 2_100 * area_m2 + 28_000 * staff + 310 * foot_traffic
           + 250_000 * parking + region_effect
           + 0.35 * area_m2 * parking * 300 + rng.normal(0, 250_000, n))

X_num = np.stack([area_m2, staff, np.log(foot_traffic), parking], axis=1)
X = np.concatenate([X_num, np.eye(4)[region]], axis=1).astype("float32")
y = revenue.astype("float32")
print(f"revenue: mean ${y.mean():,.0f}, std ${y.std():,.0f}")

X_train, X_val, X_test = X[:3500], X[3500:4250], X[4250:]
y_train, y_val, y_test = y[:3500], y[3500:4250], y[4250:]

x_mu, x_sd = X_train[:, :4].mean(0), X_train[:, :4].std(0)
for a in (X_train, X_val, X_test):
    a[:, :4] = (a[:, :4] - x_mu) / x_sd
y_mu, y_sd = y_train.mean(), y_train.std()

model = keras.Sequential([
    keras.Input(shape=(X.shape[1],)),
    layers.Dense(64, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=4, restore_best_weights=True)
model.fit(X_train, (y_train - y_mu) / y_sd,
          validation_data=(X_val, (y_val - y_mu) / y_sd),
          epochs=30, batch_size=64, callbacks=[early], verbose=2)

pred = model.predict(X_test, verbose=0).ravel() * y_sd + y_mu
mae = np.mean(np.abs(pred - y_test))
r2 = 1 - np.sum((pred - y_test) ** 2) / np.sum((y_test - y_test.mean()) ** 2)
print(f"test MAE ${mae:,.0f}  (R^2 = {r2:.3f})")
