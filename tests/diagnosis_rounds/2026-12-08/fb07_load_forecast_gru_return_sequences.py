# Next-hour electricity load forecast with a GRU, using the last 24 hours.
# Data is standardized, but the validation MSE never gets below ~0.3 while a
# "tomorrow = today" baseline is much better. Am I missing a layer?
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(31)
rng = np.random.default_rng(31)

HOURS = 3200
WINDOW = 24
h = np.arange(HOURS)
weather = np.zeros(HOURS)                                # weather-driven deviation
for i in range(1, HOURS):
    weather[i] = 0.95 * weather[i - 1] + rng.normal(0, 2.0)
daily = 5 * np.sin(2 * np.pi * h / 24) + 2 * np.sin(4 * np.pi * h / 24 + 1.0)
load = 100 + weather + daily + rng.normal(0, 0.5, HOURS)

mean, std = load[:2600].mean(), load[:2600].std()
z = ((load - mean) / std).astype("float32")

X = np.stack([z[i:i + WINDOW] for i in range(HOURS - WINDOW)])[..., None]
y = z[WINDOW:].reshape(-1, 1)
split = 2500
X_train, y_train, X_val, y_val = X[:split], y[:split], X[split:], y[split:]

model = keras.Sequential([
    keras.Input(shape=(WINDOW, 1)),
    layers.GRU(32, return_sequences=True),
    layers.Dense(16, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(X_train, y_train, validation_data=(X_val, y_val),
          epochs=10, batch_size=64, verbose=2)

naive_mse = np.mean((X_val[:, -1, 0] - y_val[:, 0]) ** 2)
print("naive last-value MSE:", round(float(naive_mse), 4))
pred = model.predict(X_val[:3], verbose=0)
print("prediction shape:", pred.shape)
