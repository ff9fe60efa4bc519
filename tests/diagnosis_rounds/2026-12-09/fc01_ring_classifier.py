# Trying to classify sensor readings into "inside the safe zone" vs "outside".
# Loss goes down a tiny bit in the first epoch and then sits at ~0.69,
# accuracy hovers around 0.5-0.6 no matter how many layers/units I add.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(42)

rng = np.random.default_rng(0)
n = 6000
X = rng.normal(size=(n, 4)).astype("float32")
# a point is "safe" when it lies inside a ring in the first two dimensions
r = np.sqrt(X[:, 0] ** 2 + X[:, 1] ** 2)
y = ((r > 0.8) & (r < 1.6)).astype("float32")
print("positive rate:", y.mean())

X_train, X_test = X[:5000], X[5000:]
y_train, y_test = y[:5000], y[5000:]

model = keras.Sequential([
    keras.Input(shape=(4,)),
    layers.Dense(128),
    layers.Dense(128),
    layers.Dense(64),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss="binary_crossentropy",
              metrics=["accuracy"])
model.fit(X_train, y_train, epochs=15, batch_size=64,
          validation_split=0.2, verbose=2)

loss, acc = model.evaluate(X_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test acc {acc:.4f}")
