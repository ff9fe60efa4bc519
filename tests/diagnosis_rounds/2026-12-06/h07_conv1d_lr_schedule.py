import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(107)
np.random.seed(107)

# 3 waveform classes: sine, square, sawtooth
n, T = 1800, 96
t = np.linspace(0, 1, T)
y = np.random.randint(0, 3, n)
X = np.zeros((n, T, 1), dtype="float32")
for i in range(n):
    f, ph = np.random.uniform(2, 6), np.random.uniform(0, 1)
    phase = (f * t + ph) % 1.0
    if y[i] == 0:
        s = np.sin(2 * np.pi * phase)
    elif y[i] == 1:
        s = np.where(phase < 0.5, 1.0, -1.0)
    else:
        s = 2 * phase - 1
    X[i, :, 0] = s + np.random.normal(0, 0.3, T)

lr_schedule = keras.optimizers.schedules.ExponentialDecay(
    initial_learning_rate=0.05, decay_steps=200, decay_rate=0.5)
model = keras.Sequential([
    keras.Input(shape=(T, 1)),
    layers.Conv1D(16, 5, activation="relu"),
    layers.MaxPooling1D(2),
    layers.Conv1D(32, 5, activation="relu"),
    layers.GlobalAveragePooling1D(),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=lr_schedule, momentum=0.9),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X[:1440], y[:1440], epochs=12, batch_size=32, validation_data=(X[1440:], y[1440:]), verbose=2)
print("val:", model.evaluate(X[1440:], y[1440:], verbose=0))
