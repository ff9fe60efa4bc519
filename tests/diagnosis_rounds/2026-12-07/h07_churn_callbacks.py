"""Tabular churn classifier with EarlyStopping and ReduceLROnPlateau callbacks."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(107)
rng = np.random.default_rng(107)

n = 5000
tenure = rng.integers(1, 72, n)
monthly = rng.normal(70, 25, n).clip(15, 150)
tickets = rng.poisson(1.5, n)
contract = rng.choice([1, 12, 24], n, p=[0.5, 0.3, 0.2])
late = rng.poisson(0.8, n)
logit = -0.06 * tenure + 0.03 * monthly + 0.7 * tickets - 0.1 * contract + 0.9 * late - 1.4
y = (rng.random(n) < 1 / (1 + np.exp(-2 * logit))).astype("float32")
X = np.stack([tenure, monthly, tickets, contract, late], 1).astype("float32")

x_train, x_test, y_train, y_test = X[:4000], X[4000:], y[:4000], y[4000:]
mean, std = x_train.mean(0), x_train.std(0)
x_train, x_test = (x_train - mean) / std, (x_test - mean) / std

model = keras.Sequential([
    keras.Input(shape=(5,)),
    layers.Dense(64, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(32, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=4, restore_best_weights=True),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-5),
]
history = model.fit(x_train, y_train, validation_split=0.2, epochs=40, batch_size=64,
                    callbacks=callbacks, verbose=2)
print("epochs run:", len(history.history["loss"]), " churn rate:", y.mean().round(3))
print("test [loss, acc]:", model.evaluate(x_test, y_test, verbose=0))
