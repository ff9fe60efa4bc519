# Conv1D model that counts how many pulses appear in a 1-D sensor trace (0-8 pulses).
# The counts are integers, so the model outputs whole numbers. Problem: the loss is
# EXACTLY the same number every epoch, MAE never moves, and EarlyStopping ends the run early.
import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(5)
rng = np.random.default_rng(5)

T = 128
n = 2000
t = np.arange(T)
X = rng.normal(0, 0.2, size=(n, T)).astype("float32")
y = rng.integers(0, 9, size=n)
for i in range(n):
    for c in rng.choice(np.arange(6, T - 6), size=y[i], replace=False):
        X[i] += 1.5 * np.exp(-0.5 * ((t - c) / 1.5) ** 2)
X = X[..., None]
y = y.astype("float32")

X_train, X_val, X_test = X[:1400], X[1400:1700], X[1700:]
y_train, y_val, y_test = y[:1400], y[1400:1700], y[1700:]

inputs = keras.Input(shape=(T, 1))
x = layers.Conv1D(8, 5, activation="relu", padding="same")(inputs)
x = layers.Conv1D(16, 5, activation="relu", padding="same")(x)
x = layers.GlobalAveragePooling1D()(x)
x = layers.Dense(32, activation="relu")(x)
x = layers.Dense(1)(x)
outputs = layers.Lambda(lambda v: ops.round(v), name="integer_count")(x)
model = keras.Model(inputs, outputs)

model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])
early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=4)
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=15,
          batch_size=32, callbacks=[early], verbose=2)

pred = model.predict(X_test, verbose=0).ravel()
print("test MAE:", np.mean(np.abs(pred - y_test)))
print("exact count accuracy:", np.mean(pred == y_test))
