import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(109)
np.random.seed(109)

N, window = 1500, 24
t = np.arange(N + window)
series = (np.sin(0.07 * t) + 0.5 * np.sin(0.23 * t + 1.0) + np.random.normal(0, 0.1, len(t))).astype("float32")
X = np.stack([series[i:i + window] for i in range(N)])[..., None]
y = series[window:window + N]
x_train, y_train, x_val, y_val = X[:1200], y[:1200], X[1200:], y[1200:]

model = keras.Sequential([
    keras.Input(shape=(window, 1)),
    layers.LSTM(32),
    layers.Dense(16, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.005), loss="mse", metrics=["mae"])
reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2)
model.fit(x_train, y_train, epochs=8, batch_size=32, validation_data=(x_val, y_val),
          callbacks=[reduce_lr], verbose=2)
print("val mse/mae:", model.evaluate(x_val, y_val, verbose=0), "target variance:", float(y_val.var()))
