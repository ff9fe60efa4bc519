import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(31)
rng = np.random.default_rng(31)

# Fraud-style data: ~5% positives
n = 8000
X = rng.normal(size=(n, 10)).astype("float32")
score = 1.2 * X[:, 0] + 0.9 * X[:, 1] - 0.7 * X[:, 2] + 0.5 * X[:, 3] * X[:, 4]
y = (score + rng.normal(0, 0.5, n) > 2.9).astype("float32")
print("positive rate: %.3f" % y.mean())

x_train, y_train = X[:6400], y[:6400]
x_val, y_val = X[6400:], y[6400:]

neg, pos = np.bincount(y_train.astype(int))
class_weight = {0: (neg + pos) / (2.0 * neg), 1: (neg + pos) / (2.0 * pos)}
print("class weights:", class_weight)

model = keras.Sequential([
    keras.Input(shape=(10,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3),
              loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.AUC(name="auc"),
                       keras.metrics.Recall(name="recall"),
                       keras.metrics.Precision(name="precision")])
model.fit(x_train, y_train, epochs=25, batch_size=256,
          validation_data=(x_val, y_val), class_weight=class_weight, verbose=2)

res = model.evaluate(x_val, y_val, return_dict=True, verbose=0)
print({k: round(float(v), 4) for k, v in res.items()})
