# LSTM forecasting next-hour temperature anomaly from the previous 16 hours.
# I train on percentage error because my manager wants "% error". The loss is huge
# (~80-100 %) and barely improves; the forecast is a squashed, almost flat curve
# near zero instead of following the daily cycle (R^2 only ~0.5, MAE ~2.7 degC).
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(17)
rng = np.random.default_rng(17)

hours = 3000
t = np.arange(hours)
daily = 6.0 * np.sin(2 * np.pi * t / 24)
weather = np.convolve(rng.normal(0, 1, hours), np.ones(48) / 6.9, mode="same")
anomaly = daily + weather + rng.normal(0, 0.5, hours)      # deviation from seasonal mean, degC
anomaly = anomaly.astype("float32")

win = 16
X = np.stack([anomaly[i:i + win] for i in range(hours - win)])[..., None]
y = anomaly[win:]
split = int(0.8 * len(X))
X_train, X_test = X[:split], X[split:]
y_train, y_test = y[:split], y[split:]
scale = X_train.std()
X_train, X_test = X_train / scale, X_test / scale

model = keras.Sequential([
    keras.Input(shape=(win, 1)),
    layers.LSTM(24),
    layers.Dense(16, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss="mean_absolute_percentage_error", metrics=["mae"])
model.fit(X_train, y_train, validation_split=0.15, epochs=8, batch_size=64, verbose=2)

pred = model.predict(X_test, verbose=0).ravel()
r2 = 1 - np.sum((pred - y_test) ** 2) / np.sum((y_test - y_test.mean()) ** 2)
print(f"test MAE {np.mean(np.abs(pred - y_test)):.2f} degC, R^2 {r2:.3f}, "
      f"pred std {pred.std():.2f} vs actual std {y_test.std():.2f}")
