"""Machine-failure classifier on sensor readings, trained sample-by-sample."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(9)
rng = np.random.default_rng(9)

# features: air temp, process temp, rpm, torque, tool wear (standardized below)
n = 600
air = rng.normal(300, 2, n)
proc = air + 10 + rng.normal(0, 1, n)
rpm = rng.normal(1540, 180, n)
torque = rng.normal(40, 10, n)
wear = rng.uniform(0, 250, n)
risk = 0.04 * (torque - 40) + 0.012 * (wear - 125) - 0.004 * (rpm - 1540) + 0.3 * (proc - air - 10)
y = (risk + rng.normal(0, 0.5, n) > 0).astype("float32")
X = np.stack([air, proc, rpm, torque, wear], 1).astype("float32")
X = (X - X.mean(0)) / X.std(0)

x_train, x_val = X[:400], X[400:]
y_train, y_val = y[:400], y[400:]

model = keras.Sequential([
    keras.Input(shape=(5,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9),
              loss="binary_crossentropy", metrics=["accuracy"])
# batch_size=1 => more weight updates per epoch
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=3, batch_size=1, verbose=2)
print("val [loss, acc]:", model.evaluate(x_val, y_val, verbose=0))
