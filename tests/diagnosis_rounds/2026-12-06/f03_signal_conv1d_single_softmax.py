import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(3)
np.random.seed(3)

# two kinds of sensor signals: smooth sine bursts vs. square waves, both noisy
n, T = 2000, 128
t = np.linspace(0, 1, T)
X = np.zeros((n, T, 1), dtype="float32")
y = np.random.randint(0, 2, n)
for i in range(n):
    f = np.random.uniform(3, 8)
    ph = np.random.uniform(0, 2 * np.pi)
    s = np.sin(2 * np.pi * f * t + ph)
    if y[i] == 1:
        s = np.sign(s)
    X[i, :, 0] = s + np.random.normal(0, 0.4, T)

model = keras.Sequential([
    keras.Input(shape=(T, 1)),
    layers.Conv1D(16, 7, activation="relu"),
    layers.MaxPooling1D(2),
    layers.Conv1D(32, 5, activation="relu"),
    layers.GlobalMaxPooling1D(),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="softmax"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(X[:1600], y[:1600], epochs=10, batch_size=32,
                    validation_data=(X[1600:], y[1600:]), verbose=2)
print("final val_accuracy:", history.history["val_accuracy"][-1])
print("eval:", model.evaluate(X[1600:], y[1600:], verbose=0))
