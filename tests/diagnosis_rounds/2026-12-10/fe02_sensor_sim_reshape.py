import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Simulate 3-axis accelerometer readings for 4 activity types.
n_samples, n_steps, n_channels, n_classes = 1800, 48, 3, 4
labels = rng.integers(0, n_classes, size=n_samples)
freqs = np.array([1.0, 2.0, 3.5, 5.0])[labels]           # dominant frequency per activity
phase = rng.uniform(0, 2 * np.pi, size=n_samples)
amp = rng.uniform(0.8, 1.2, size=(n_samples, n_channels))

readings = np.zeros((n_steps, n_samples, n_channels), dtype="float32")
for t in range(n_steps):
    s = np.sin(2 * np.pi * freqs * t / n_steps + phase)
    readings[t] = amp * s[:, None] + 0.3 * rng.normal(size=(n_samples, n_channels))

x = readings.reshape(n_samples, n_steps, n_channels)
y = labels

x_train, x_test = x[:1500], x[1500:]
y_train, y_test = y[:1500], y[1500:]

model = keras.Sequential([
    keras.Input(shape=(n_steps, n_channels)),
    layers.Conv1D(16, 5, padding="same", activation="relu"),
    layers.MaxPooling1D(2),
    layers.Conv1D(16, 5, padding="same", activation="relu"),
    layers.GlobalAveragePooling1D(),
    layers.Dense(32, activation="relu"),
    layers.Dense(n_classes, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=64, epochs=8, validation_split=0.15, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.4f}")
