import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(5)
np.random.seed(5)

# synthetic housing data
n = 3000
sqft = np.random.uniform(500, 4000, n)
rooms = np.random.randint(1, 7, n).astype(float)
age = np.random.uniform(0, 80, n)
dist = np.random.uniform(1, 40, n)
price = 50_000 + 120 * sqft + 15_000 * rooms - 800 * age - 3_000 * dist + np.random.normal(0, 20_000, n)

X = np.column_stack([sqft, rooms, age, dist]).astype("float32")
y = price.astype("float32")

# standardize features
mean, std = X[:2400].mean(0), X[:2400].std(0)
X = (X - mean) / std

x_train, y_train = X[:2400], y[:2400]
x_test, y_test = X[2400:], y[2400:]

model = keras.Sequential([
    keras.Input(shape=(4,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(x_train, y_train, epochs=20, batch_size=32, validation_split=0.2, verbose=2)
mse, mae = model.evaluate(x_test, y_test, verbose=0)
print(f"test MAE: {mae:,.0f}  (price std {y_test.std():,.0f}, mean {y_test.mean():,.0f})")
