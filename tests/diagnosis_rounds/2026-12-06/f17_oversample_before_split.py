import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(19)
np.random.seed(19)

# small noisy patient dataset, 30 features, weak signal
n, d = 800, 30
X = np.random.normal(0, 1, (n, d)).astype("float32")
y = ((X[:, 0] + 0.5 * X[:, 1] + np.random.normal(0, 1.5, n)) > 0).astype("float32")

# hold out a test set
X_test, y_test = X[600:], y[600:]
X, y = X[:600], y[:600]

# augment: make 6 jittered copies of every sample to get more data
X_aug = np.concatenate([X + np.random.normal(0, 0.01, X.shape) for _ in range(6)]).astype("float32")
y_aug = np.concatenate([y] * 6)

perm = np.random.permutation(len(X_aug))
X_aug, y_aug = X_aug[perm], y_aug[perm]
split = int(0.8 * len(X_aug))
x_tr, y_tr = X_aug[:split], y_aug[:split]
x_val, y_val = X_aug[split:], y_aug[split:]

model = keras.Sequential([
    keras.Input(shape=(d,)),
    layers.Dense(256, activation="relu"),
    layers.Dense(256, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_tr, y_tr, validation_data=(x_val, y_val), epochs=12, batch_size=64, verbose=2)
print("validation:", model.evaluate(x_val, y_val, verbose=0))
print("test:", model.evaluate(X_test, y_test, verbose=0))
