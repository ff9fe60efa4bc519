import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(7)
np.random.seed(7)

# synthetic loan-default table: age, income, account balance, number of late payments, years employed
n = 4000
age = np.random.uniform(21, 70, n)
income = np.random.lognormal(mean=11.0, sigma=0.5, size=n)          # ~ 60 000
balance = np.random.uniform(0, 2_000_000, n)
late = np.random.poisson(2.0, n).astype(float)
years = np.random.uniform(0, 40, n)
logit = 1.2 * (late - 2) - 0.08 * (years - 20) + 0.6 * (income < 50000) + np.random.normal(0, 0.5, n)
y = (logit > 0).astype("float32")

X = np.column_stack([age, income, balance, late, years]).astype("float32")

idx = np.random.permutation(n)
X, y = X[idx], y[idx]
x_train, y_train = X[:3200], y[:3200]
x_test, y_test = X[3200:], y[3200:]
print("positive share:", y_train.mean())

model = keras.Sequential([
    keras.Input(shape=(5,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=12, batch_size=32, validation_split=0.2, verbose=2)
print("test [loss, acc]:", model.evaluate(x_test, y_test, verbose=0))
