# GRU classifier for single-channel vibration traces: normal / imbalance / bearing fault.
# Raw amplitudes differ a lot between machines so I put a LayerNormalization on the
# input. Accuracy is stuck at ~33% (3 classes) and the loss is flat at ~1.0986 from
# the first epoch. Same data works with a simple sklearn model on FFT features...
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(21)
rng = np.random.default_rng(21)

T = 60
n = 1800
t = np.arange(T) / T
y = rng.integers(0, 3, size=n)
freq = np.array([2.0, 5.0, 11.0])[y] + rng.normal(0, 0.3, n)
gain = rng.uniform(0.5, 20.0, n)              # very different machine gains
phase = rng.uniform(0, 2 * np.pi, n)
X = gain[:, None] * (np.sin(2 * np.pi * freq[:, None] * t[None, :] + phase[:, None])
                     + rng.normal(0, 0.3, (n, T)))
X = X[..., None].astype("float32")          # (n, T, 1)

X_train, X_val = X[:1500], X[1500:]
y_train, y_val = y[:1500], y[1500:]

model = keras.Sequential([
    keras.Input(shape=(T, 1)),
    layers.LayerNormalization(),
    layers.GRU(32),
    layers.Dense(32, activation="relu"),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(2e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X_train, y_train, validation_data=(X_val, y_val),
          epochs=8, batch_size=32, verbose=2)

loss, acc = model.evaluate(X_val, y_val, verbose=0)
print(f"validation accuracy: {acc:.3f}")
