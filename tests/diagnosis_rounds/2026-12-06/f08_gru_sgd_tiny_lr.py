import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(9)
np.random.seed(9)

# classify sequences by whether the running sum ends above zero
n, T, F = 1200, 20, 3
X = np.random.normal(0, 1, (n, T, F)).astype("float32")
y = (X[:, :, 0].sum(axis=1) + 0.5 * X[:, -5:, 1].sum(axis=1) > 0).astype("int32")

model = keras.Sequential([
    keras.Input(shape=(T, F)),
    layers.GRU(32),
    layers.Dense(16, activation="relu"),
    layers.Dense(2, activation="softmax"),
])
opt = keras.optimizers.SGD(learning_rate=1e-6, momentum=0.9)
model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X[:960], y[:960], epochs=10, batch_size=32,
          validation_data=(X[960:], y[960:]), verbose=2)
print("evaluate:", model.evaluate(X[960:], y[960:], verbose=0))
