"""Heart-disease risk classifier with EarlyStopping on validation accuracy."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(23)
rng = np.random.default_rng(23)

# age, resting bp, cholesterol, max heart rate, st depression, exercise angina, chest pain type
n = 3000
age = rng.normal(54, 9, n)
bp = rng.normal(131, 17, n)
chol = rng.normal(246, 50, n)
maxhr = rng.normal(150, 22, n)
oldpeak = rng.gamma(1.2, 0.9, n)
angina = rng.integers(0, 2, n)
cp = rng.integers(0, 4, n)
z = (0.04 * (age - 54) + 0.015 * (bp - 131) + 0.006 * (chol - 246) - 0.03 * (maxhr - 150)
     + 0.8 * oldpeak + 1.0 * angina - 0.5 * cp - 0.3
     + 0.8 * np.sin(age / 5) * (oldpeak > 1))
y = (rng.random(n) < 1 / (1 + np.exp(-2 * z))).astype("float32")
X = np.stack([age, bp, chol, maxhr, oldpeak, angina, cp], 1).astype("float32")
X = (X - X.mean(0)) / X.std(0)

x_train, x_val = X[:2400], X[2400:]
y_train, y_val = y[:2400], y[2400:]

model = keras.Sequential([
    keras.Input(shape=(7,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01),
              loss="binary_crossentropy", metrics=["accuracy"])
early = keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="min", patience=3,
                                      restore_best_weights=True)
history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=40,
                    batch_size=32, callbacks=[early], verbose=2)
print("epochs run:", len(history.history["loss"]))
print("restored model val [loss, acc]:", model.evaluate(x_val, y_val, verbose=0))
