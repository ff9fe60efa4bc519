"""Conv1D + BatchNormalization heartbeat classifier (normal / PVC / noise) on synthetic ECG beats."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(110)
rng = np.random.default_rng(110)

n, length = 3000, 128
t = np.linspace(-1, 1, length)
y = rng.integers(0, 3, n)
X = np.empty((n, length, 1), dtype="float32")
for i, c in enumerate(y):
    shift = rng.normal(0, 0.05)
    if c == 0:      # normal: narrow QRS + T wave
        beat = np.exp(-((t - shift) / 0.03) ** 2) + 0.3 * np.exp(-((t - 0.4 - shift) / 0.1) ** 2)
    elif c == 1:    # PVC: wide, inverted complex
        beat = -0.8 * np.exp(-((t - shift) / 0.09) ** 2) + 0.2 * np.exp(-((t - 0.5 - shift) / 0.12) ** 2)
    else:           # noisy baseline, no clear beat
        beat = 0.3 * np.sin(2 * np.pi * rng.uniform(2, 6) * t)
    X[i, :, 0] = beat + rng.normal(0, 0.35, length)

x_train, x_test, y_train, y_test = X[:2400], X[2400:], y[:2400], y[2400:]

inputs = keras.Input(shape=(length, 1))
h = layers.Conv1D(16, 7, padding="same")(inputs)
h = layers.BatchNormalization(momentum=0.9)(h)
h = layers.Activation("relu")(h)
h = layers.MaxPooling1D(2)(h)
h = layers.Conv1D(32, 5, padding="same")(h)
h = layers.BatchNormalization(momentum=0.9)(h)
h = layers.Activation("relu")(h)
h = layers.GlobalAveragePooling1D()(h)
outputs = layers.Dense(3, activation="softmax")(h)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_split=0.2, epochs=6, batch_size=32, verbose=2)
print("test [loss, acc]:", model.evaluate(x_test, y_test, verbose=0))
