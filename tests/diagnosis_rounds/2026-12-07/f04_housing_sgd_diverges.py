"""California-style housing regression, MLP trained with plain SGD."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(4)
rng = np.random.default_rng(4)

# features: median_income (10k$), house_age, avg_rooms, avg_occupancy, latitude, longitude
n = 4000
income = rng.gamma(4.0, 1.0, n)
house_age = rng.uniform(1, 52, n)
rooms = rng.normal(5.4, 1.2, n).clip(2, 10)
occupancy = rng.normal(3.0, 0.8, n).clip(1, 7)
lat = rng.uniform(32.5, 42, n)
lon = rng.uniform(-124, -114, n)
value = (0.45 * income + 0.01 * house_age + 0.08 * rooms - 0.15 * occupancy
         - 0.05 * (lat - 36) + rng.normal(0, 0.35, n)).clip(0.15, 5.0)   # in 100k$

X = np.stack([income, house_age, rooms, occupancy, lat, lon], 1).astype("float32")
y = value.astype("float32")
X = (X - X.mean(0)) / X.std(0)

x_train, x_test = X[:3200], X[3200:]
y_train, y_test = y[:3200], y[3200:]

model = keras.Sequential([
    keras.Input(shape=(6,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=1.0), loss="mse", metrics=["mae"])
model.fit(x_train, y_train, epochs=10, batch_size=32, validation_split=0.2, verbose=2)
print("test [mse, mae]:", model.evaluate(x_test, y_test, verbose=0))
