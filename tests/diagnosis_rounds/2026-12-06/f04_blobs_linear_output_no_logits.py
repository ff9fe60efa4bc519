import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(11)
np.random.seed(11)

# 5 kinds of machine faults from 10 vibration features
n, d, k = 3000, 10, 5
centers = np.random.normal(0, 2.0, (k, d))
y = np.random.randint(0, k, n)
X = (centers[y] + np.random.normal(0, 1.0, (n, d))).astype("float32")

inputs = keras.Input(shape=(d,))
h = layers.Dense(64, activation="relu")(inputs)
h = layers.Dense(32, activation="relu")(h)
outputs = layers.Dense(k)(h)
model = keras.Model(inputs, outputs)

model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss=keras.losses.SparseCategoricalCrossentropy(),
              metrics=["accuracy"])
model.fit(X[:2400], y[:2400], validation_data=(X[2400:], y[2400:]),
          epochs=15, batch_size=32, verbose=2)
loss, acc = model.evaluate(X[2400:], y[2400:], verbose=0)
print(f"val loss={loss:.4f} acc={acc:.4f}")
