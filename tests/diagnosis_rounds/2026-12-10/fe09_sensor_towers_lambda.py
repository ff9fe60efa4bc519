import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Condition monitoring: 4 components, each with 6 summary readings
# (rms, peak, kurtosis, temp, ...). Task: which component is degrading?
n, n_sensors, n_feat = 3000, 4, 6
X = rng.normal(0, 1, size=(n, n_sensors, n_feat))
y = rng.integers(0, n_sensors, size=n)
shift = rng.uniform(0.8, 1.6, size=n)
for i in range(n):
    X[i, y[i], :3] += shift[i]           # elevated vibration features
    X[i, y[i], 3:] *= 1.0 + 0.5 * shift[i]
X = X.reshape(n, n_sensors * n_feat).astype("float32")

x_train, x_test = X[:2500], X[2500:]
y_train, y_test = y[:2500], y[2500:]

inputs = keras.Input(shape=(n_sensors * n_feat,))
towers = []
for s in range(n_sensors):
    start = s * n_feat
    part = layers.Lambda(lambda t: t[:, start:start + n_feat], name=f"sensor_{s}")(inputs)
    h = layers.Dense(16, activation="relu", name=f"tower_{s}_1")(part)
    h = layers.Dense(8, activation="relu", name=f"tower_{s}_2")(h)
    towers.append(h)
merged = layers.Concatenate()(towers)
merged = layers.Dense(32, activation="relu")(merged)
outputs = layers.Dense(n_sensors, activation="softmax")(merged)
model = keras.Model(inputs, outputs)

model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=64, epochs=12, validation_split=0.15, verbose=2,
          callbacks=[keras.callbacks.EarlyStopping(patience=4, restore_best_weights=True)])
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.4f}")
