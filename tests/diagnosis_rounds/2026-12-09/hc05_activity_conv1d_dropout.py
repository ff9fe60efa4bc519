# Human activity recognition from a 3-axis accelerometer (walking / running / sitting / stairs).
# Only a couple thousand windows, so I regularise hard: dropout 0.5 after each block.
# Training accuracy lags validation accuracy a bit, which I understand is normal with dropout.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(77)
rng = np.random.default_rng(77)

T = 64
fs = 32.0
n = 2400
t = np.arange(T) / fs
labels = rng.integers(0, 4, n)
X = np.zeros((n, T, 3), dtype="float32")
for i, c in enumerate(labels):
    ph = rng.uniform(0, 2 * np.pi)
    if c == 0:   # walking: ~2 Hz, medium amplitude, mostly vertical
        f, amp = rng.normal(2.0, 0.15), np.array([0.3, 0.2, 1.0])
    elif c == 1: # running: ~3 Hz, large amplitude
        f, amp = rng.normal(3.0, 0.2), np.array([0.6, 0.4, 2.2])
    elif c == 2: # sitting: almost still
        f, amp = rng.normal(0.5, 0.1), np.array([0.03, 0.03, 0.05])
    else:        # stairs: ~1.7 Hz, forward component larger
        f, amp = rng.normal(1.7, 0.2), np.array([0.6, 0.3, 0.8])
    X[i] = amp[None, :] * np.sin(2 * np.pi * f * t[:, None] + ph + np.array([0.0, 1.0, 0.5]))
X += rng.normal(0, 0.45, X.shape).astype("float32")
X[:, :, 2] += 1.0   # gravity on the vertical axis

X_train, X_val, X_test = X[:1800], X[1800:2100], X[2100:]
y_train, y_val, y_test = labels[:1800], labels[1800:2100], labels[2100:]

model = keras.Sequential([
    keras.Input(shape=(T, 3)),
    layers.Conv1D(16, 7, activation="relu", padding="same"),
    layers.MaxPooling1D(2),
    layers.Dropout(0.5),
    layers.Conv1D(32, 5, activation="relu", padding="same"),
    layers.GlobalAveragePooling1D(),
    layers.Dropout(0.5),
    layers.Dense(32, activation="relu"),
    layers.Dropout(0.5),
    layers.Dense(4, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(2e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-4)
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=15,
          batch_size=64, callbacks=[reduce_lr], verbose=2)

loss, acc = model.evaluate(X_test, y_test, verbose=0)
print(f"test accuracy {acc:.3f}")
