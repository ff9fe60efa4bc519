import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Step-by-step simulation of a 3-channel machine monitor; 3 operating states.
n_samples, n_steps, n_channels, n_classes = 1800, 48, 3, 3
state = rng.integers(0, n_classes, size=n_samples)
base_freq = np.array([1.5, 3.0, 3.0])[state]
coupling = np.array([0.0, 0.0, 1.0])[state]       # state 2: channel 2 follows channel 0
phase = rng.uniform(0, 2 * np.pi, size=n_samples)

readings = np.zeros((n_steps, n_samples, n_channels), dtype="float32")   # time-major
for t in range(n_steps):
    c0 = np.sin(2 * np.pi * base_freq * t / n_steps + phase)
    c1 = 0.5 * np.cos(2 * np.pi * base_freq * t / n_steps + phase)
    c2 = coupling * c0 + (1 - coupling) * rng.normal(0, 0.7, size=n_samples)
    readings[t] = np.stack([c0, c1, c2], axis=1) + 0.25 * rng.normal(size=(n_samples, n_channels))

x = np.transpose(readings, (1, 0, 2))          # -> (samples, steps, channels)
y = state
x_train, x_test = x[:1500], x[1500:]
y_train, y_test = y[:1500], y[1500:]

model = keras.Sequential([
    keras.Input(shape=(n_steps, n_channels)),
    layers.Conv1D(16, 5, padding="same", activation="relu"),
    layers.MaxPooling1D(2),
    layers.Conv1D(16, 5, padding="same", activation="relu"),
    layers.GlobalMaxPooling1D(),
    layers.Dense(16, activation="relu"),
    layers.Dense(n_classes, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=64, epochs=8, validation_split=0.15, verbose=2)

# serving copy that accepts raw millivolt readings (scale 1000x)
core = keras.models.clone_model(model)
core.set_weights(model.get_weights())
serving_model = keras.Sequential([
    keras.Input(shape=(n_steps, n_channels)),
    layers.Rescaling(1.0 / 1000),
    core,
])
serving_model.compile(loss="sparse_categorical_crossentropy", metrics=["accuracy"])
print("model   test [loss, acc]:", model.evaluate(x_test, y_test, verbose=0))
print("serving test [loss, acc]:", serving_model.evaluate(x_test * 1000.0, y_test, verbose=0))
