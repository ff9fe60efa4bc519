import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Card transactions, ~10% fraud
n, d = 4000, 10
X = rng.normal(size=(n, d)).astype("float32")
logit = (1.8 * X[:, 0] - 1.2 * X[:, 1] + 1.5 * X[:, 2] * X[:, 3]
         + 0.8 * np.abs(X[:, 4]) - 4.0 + 0.5 * rng.normal(size=n))
y = (logit + rng.logistic(size=n) * 0.3 > 0).astype("float32")
print("fraud rate:", y.mean())

perm = rng.permutation(n)
X, y = X[perm], y[perm]
x_train, x_test = X[:3200], X[3200:]
y_train, y_test = y[:3200], y[3200:]

mean, std = x_train.mean(0), x_train.std(0)
x_train = (x_train - mean) / std
x_test = (x_test - mean) / std

neg, pos = np.bincount(y_train.astype(int))
total = neg + pos
class_weight = {0: total / (2.0 * neg), 1: total / (2.0 * pos)}
print("class weights:", class_weight)

model = keras.Sequential([
    keras.Input(shape=(d,)),
    layers.Dense(64, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(32, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss="binary_crossentropy",
    metrics=[keras.metrics.AUC(name="auc"), keras.metrics.Recall(name="recall"),
             keras.metrics.Precision(name="precision")],
)
early = keras.callbacks.EarlyStopping(monitor="val_auc", mode="max", patience=4,
                                      restore_best_weights=True)
model.fit(x_train, y_train, batch_size=64, epochs=20, validation_split=0.2,
          class_weight=class_weight, callbacks=[early], verbose=2)
print("test [loss, auc, recall, precision]:", model.evaluate(x_test, y_test, verbose=0))
