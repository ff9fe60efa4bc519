# Machine-state classifier from 8 raw sensor readings (3 states). I put a
# BatchNormalization layer first so I don't have to scale the inputs myself.
# Training accuracy gets high, but validation accuracy is terrible, and even
# model.evaluate() on the TRAINING data gives a low accuracy. How can the
# same data score differently in fit and evaluate?
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(8)
rng = np.random.default_rng(8)

n = 3000
state = rng.integers(0, 3, size=n)
temp = 320 + 6 * state + rng.normal(0, 5, n)            # kelvin
pressure = 1010 + 15 * (state == 1) + rng.normal(0, 8, n)  # hPa
rpm = 1500 + 120 * (state == 2) + rng.normal(0, 80, n)
vib = 0.4 + 0.15 * state + rng.normal(0, 0.1, n)
hum = rng.uniform(20, 80, n)
volt = 230 + rng.normal(0, 3, n)
curr = 12 + 1.5 * (state == 2) - 1.0 * (state == 1) + rng.normal(0, 1, n)
flow = 45 + rng.normal(0, 4, n)
x = np.stack([temp, pressure, rpm, vib, hum, volt, curr, flow], axis=1).astype("float32")
y = state

x_train, y_train = x[:2400], y[:2400]
x_val, y_val = x[2400:], y[2400:]

bn_momentum = 0.999  # smoother running statistics

model = keras.Sequential([
    keras.Input(shape=(8,)),
    layers.BatchNormalization(momentum=bn_momentum),
    layers.Dense(64, activation="relu"),
    layers.BatchNormalization(momentum=bn_momentum),
    layers.Dense(32, activation="relu"),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])

model.fit(x_train, y_train, epochs=10, batch_size=64,
          validation_data=(x_val, y_val), verbose=2)

print("evaluate on train:", model.evaluate(x_train, y_train, verbose=0))
print("evaluate on val:  ", model.evaluate(x_val, y_val, verbose=0))
