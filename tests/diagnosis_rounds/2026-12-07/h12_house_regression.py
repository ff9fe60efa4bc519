import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(7)
rng = np.random.default_rng(7)

# Synthetic "house prices": area, rooms, age, distance to center, lot size
n = 2000
area = rng.normal(150, 40, n).clip(40, None)          # m^2
rooms = np.round(area / 35 + rng.normal(0, 0.7, n)).clip(1, None)
age = rng.uniform(0, 80, n)
dist = rng.gamma(2.0, 4.0, n)                          # km
lot = rng.lognormal(6, 0.5, n)
price = (2500 * area + 12000 * rooms - 900 * age - 6000 * dist
         + 30 * lot + 50000 + rng.normal(0, 25000, n))

X = np.stack([area, rooms, age, dist, lot], axis=1).astype("float32")
y = price.astype("float32")

idx = rng.permutation(n)
tr, te = idx[:1600], idx[1600:]
x_train, x_test = X[tr], X[te]
y_train, y_test = y[tr], y[te]

# standardize features and target with training statistics
mean, std = x_train.mean(axis=0), x_train.std(axis=0)
x_train = (x_train - mean) / std
x_test = (x_test - mean) / std
y_mean, y_std = y_train.mean(), y_train.std()
y_train_s = (y_train - y_mean) / y_std
y_test_s = (y_test - y_mean) / y_std

model = keras.Sequential([
    keras.Input(shape=(5,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=1e-3),
              loss="mse", metrics=["mae"])
history = model.fit(x_train, y_train_s, epochs=20, batch_size=64,
                    validation_split=0.2, verbose=2)

loss, mae = model.evaluate(x_test, y_test_s, verbose=0)
print("Test MSE (standardized): %.4f" % loss)
print("Test MAE in dollars: %.0f" % (mae * y_std))
