# Human activity recognition from 3-axis accelerometer windows (64 samples)
# with a small Conv1D network trained with RMSprop.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(103)
rng = np.random.default_rng(103)

N, T, FS = 2400, 64, 32.0
ACTIVITIES = ["sitting", "walking", "running", "stairs"]
t = np.arange(T) / FS
y = rng.integers(0, len(ACTIVITIES), N)
X = np.zeros((N, T, 3), dtype="float32")
for i in range(N):
    ph = rng.uniform(0, 2 * np.pi)
    a = y[i]
    if a == 0:      # sitting: gravity on z, tiny movements
        sig = np.stack([0.05 * rng.normal(size=T), 0.05 * rng.normal(size=T),
                        np.full(T, 1.0)], axis=1)
    elif a == 1:    # walking ~1.8 Hz
        f = rng.uniform(1.5, 2.1)
        sig = np.stack([0.3 * np.sin(2 * np.pi * f * t + ph), 0.15 * np.sin(np.pi * f * t + ph),
                        1.0 + 0.3 * np.sin(2 * np.pi * f * t + ph + 0.5)], axis=1)
    elif a == 2:    # running ~2.8 Hz, bigger amplitude
        f = rng.uniform(2.2, 3.0)
        sig = np.stack([0.5 * np.sin(2 * np.pi * f * t + ph), 0.2 * np.sin(np.pi * f * t + ph),
                        1.0 + 0.5 * np.sin(2 * np.pi * f * t + ph + 0.5)], axis=1)
    else:           # stairs: walking-like rhythm plus a slow vertical component
        f = rng.uniform(1.3, 1.8)
        sig = np.stack([0.3 * np.sin(2 * np.pi * f * t + ph), 0.15 * np.sin(np.pi * f * t + ph),
                        1.0 + 0.3 * np.sin(2 * np.pi * f * t + ph + 0.5) + 0.4 * np.sin(np.pi * 0.5 * t + ph)],
                       axis=1)
    X[i] = sig + 0.45 * rng.normal(size=(T, 3))

X_train, y_train = X[:1900], y[:1900]
X_val, y_val = X[1900:], y[1900:]
mean = X_train.mean(axis=(0, 1))
std = X_train.std(axis=(0, 1))
X_train = (X_train - mean) / std
X_val = (X_val - mean) / std

model = keras.Sequential([
    keras.Input(shape=(T, 3)),
    layers.Conv1D(32, 5, activation="relu", padding="same"),
    layers.MaxPooling1D(2),
    layers.Conv1D(64, 5, activation="relu", padding="same"),
    layers.MaxPooling1D(2),
    layers.Conv1D(64, 3, activation="relu", padding="same"),
    layers.GlobalAveragePooling1D(),
    layers.Dense(32, activation="relu"),
    layers.Dense(len(ACTIVITIES), activation="softmax"),
])
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=5e-4),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=12, batch_size=64, verbose=2)

pred = model.predict(X_val, verbose=0).argmax(1)
for k, name in enumerate(ACTIVITIES):
    print(f"{name:8s} recall {np.mean(pred[y_val == k] == k):.3f}")
