# Defect detection on production-line measurements; about 10% of parts are
# defective. I use class weights computed as n_samples / (n_classes * count).
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(303)
rng = np.random.default_rng(303)

n = 4000
x = rng.normal(size=(n, 10)).astype("float32")
logit = 8.0 * x[:, 0] - 6.0 * x[:, 1] + 4.0 * x[:, 2] * x[:, 3] + 3.0 * x[:, 4] - 14.0
y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("float32")
print("defect rate:", y.mean())

x_train, y_train = x[:3200], y[:3200]
x_val, y_val = x[3200:], y[3200:]

counts = np.bincount(y_train.astype(int))
class_weight = {c: len(y_train) / (2.0 * counts[c]) for c in range(2)}
print("class_weight:", class_weight)

model = keras.Sequential([
    keras.Input(shape=(10,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.Recall(name="recall"),
                       keras.metrics.Precision(name="precision")])

model.fit(x_train, y_train, epochs=15, batch_size=64,
          validation_data=(x_val, y_val), class_weight=class_weight, verbose=2)

p = model.predict(x_val, verbose=0)[:, 0] > 0.5
print("val defects found: %d of %d, false alarms: %d" % (
    (p & (y_val == 1)).sum(), int(y_val.sum()), (p & (y_val == 0)).sum()))
