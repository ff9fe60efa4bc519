import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(16)
np.random.seed(16)

# 8-class tabular problem (sensor readings -> activity)
n, d, k = 4000, 24, 8
centers = np.random.normal(0, 1.2, (k, d))
y = np.random.randint(0, k, n)
X = (centers[y] + np.random.normal(0, 1.0, (n, d))).astype("float32")

model = keras.Sequential([
    keras.Input(shape=(d,)),
    layers.Dropout(0.9),
    layers.Dense(64, activation="relu"),
    layers.Dropout(0.9),
    layers.Dense(64, activation="relu"),
    layers.Dropout(0.9),
    layers.Dense(k, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
hist = model.fit(X[:3200], y[:3200], validation_data=(X[3200:], y[3200:]),
                 epochs=20, batch_size=64, verbose=2)
print("val accuracy:", model.evaluate(X[3200:], y[3200:], verbose=0)[1])
