# Detecting faulty bearings from 128-sample vibration snippets with a Conv1D.
# Only ~15% of snippets are faulty so I added balanced class weights.
# Now the loss goes to almost zero but accuracy is ~15% and the model flags
# every single snippet as faulty?!
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(13)
rng = np.random.default_rng(13)

N, T = 2400, 128
t = np.arange(T) / T
faulty = (rng.random(N) < 0.15).astype("int32")
base_freq = rng.uniform(3, 6, size=(N, 1))
phase = rng.uniform(0, 2 * np.pi, size=(N, 1))
signals = np.sin(2 * np.pi * base_freq * t + phase) + 0.3 * rng.normal(size=(N, T))
# faulty bearings produce short high-frequency bursts
for i in np.where(faulty == 1)[0]:
    start = rng.integers(0, T - 24)
    burst = 1.2 * np.sin(2 * np.pi * 40 * t[:24]) * np.hanning(24)
    signals[i, start:start + 24] += burst
X = signals[..., None].astype("float32")
y = faulty

X_train, y_train = X[:1900], y[:1900]
X_val, y_val = X[1900:], y[1900:]

n_neg, n_pos = np.bincount(y_train)
class_weight = {0: len(y_train) // (2 * n_neg), 1: len(y_train) // (2 * n_pos)}
print("class weights:", class_weight)

model = keras.Sequential([
    keras.Input(shape=(T, 1)),
    layers.Conv1D(16, 7, activation="relu", padding="same"),
    layers.MaxPooling1D(2),
    layers.Conv1D(32, 5, activation="relu", padding="same"),
    layers.GlobalMaxPooling1D(),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.Recall(name="recall")])
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=10,
          batch_size=64, class_weight=class_weight, verbose=2)

pred = (model.predict(X_val, verbose=0).ravel() > 0.5).astype(int)
print("predicted faulty:", pred.sum(), "of", len(pred), "| actually faulty:", y_val.sum())
