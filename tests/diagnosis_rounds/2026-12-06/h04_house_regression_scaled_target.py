import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(104)
np.random.seed(104)

n = 3000
sqft = np.random.uniform(500, 4000, n)
rooms = np.random.randint(1, 7, n).astype(float)
age = np.random.uniform(0, 80, n)
dist = np.random.uniform(1, 40, n)
price = 50_000 + 120 * sqft + 15_000 * rooms - 800 * age - 3_000 * dist + np.random.normal(0, 20_000, n)

X = np.column_stack([sqft, rooms, age, dist]).astype("float32")
y = price.astype("float32")
x_train, x_test, y_train, y_test = X[:2400], X[2400:], y[:2400], y[2400:]

x_mean, x_std = x_train.mean(0), x_train.std(0)
y_mean, y_std = y_train.mean(), y_train.std()
x_train_s, x_test_s = (x_train - x_mean) / x_std, (x_test - x_mean) / x_std
y_train_s, y_test_s = (y_train - y_mean) / y_std, (y_test - y_mean) / y_std

model = keras.Sequential([
    keras.Input(shape=(4,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(x_train_s, y_train_s, epochs=25, batch_size=32, validation_split=0.2, verbose=2)
pred = model.predict(x_test_s, verbose=0).ravel() * y_std + y_mean
print(f"test MAE in dollars: {np.abs(pred - y_test).mean():,.0f} (noise std 20,000; price std {y_test.std():,.0f})")
