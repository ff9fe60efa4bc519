# Fraud detection (about 20% positives). Accuracy is not what we care about, so I
# wrote an F1 loss to optimise F1 directly. Problem: the loss value barely moves
# from epoch 1 and the metrics are frozen -- precision/recall never change.
# It's like the model isn't training at all.
import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(5)
rng = np.random.default_rng(5)

n = 6000
amount = rng.lognormal(3.5, 1.0, n)
hour = rng.integers(0, 24, n)
n_tx_24h = rng.poisson(3, n)
dist_home_km = rng.exponential(20, n)
new_merchant = rng.integers(0, 2, n)
foreign = (rng.random(n) < 0.15).astype(int)
score = (0.8 * np.log(amount) + 0.5 * (hour < 6) + 0.3 * n_tx_24h
         + 0.03 * dist_home_km + 0.8 * new_merchant + 1.5 * foreign)
score = score + rng.normal(0, 0.7, n)
y = (score > np.quantile(score, 0.8)).astype("float32")

X = np.column_stack([np.log(amount), hour, n_tx_24h, dist_home_km,
                     new_merchant, foreign]).astype("float32")
X = (X - X[:5000].mean(axis=0)) / X[:5000].std(axis=0)
x_train, y_train, x_test, y_test = X[:5000], y[:5000], X[5000:], y[5000:]


def f1_loss(y_true, y_pred):
    y_true = ops.cast(y_true, "float32")
    y_hat = ops.round(y_pred)  # predicted labels
    tp = ops.sum(y_true * y_hat)
    fp = ops.sum((1 - y_true) * y_hat)
    fn = ops.sum(y_true * (1 - y_hat))
    f1 = 2 * tp / (2 * tp + fp + fn + 1e-7)
    return 1 - f1


inputs = keras.Input(shape=(6,))
x = layers.Dense(32, activation="relu")(inputs)
x = layers.Dense(16, activation="relu")(x)
outputs = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)

model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=f1_loss,
              metrics=[keras.metrics.Precision(name="precision"),
                       keras.metrics.Recall(name="recall"), "accuracy"])
model.fit(x_train, y_train, validation_split=0.2, epochs=8, batch_size=128, verbose=2)

p = (model.predict(x_test, verbose=0).ravel() > 0.5).astype("float32")
tp = (p * y_test).sum()
print("test F1:", 2 * tp / (2 * tp + (p * (1 - y_test)).sum() + ((1 - p) * y_test).sum()))
