"""Manufacturing defect detection (7% defective) with balanced class weights."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(105)
rng = np.random.default_rng(105)

n = 6000
defect = rng.random(n) < 0.07
temp = rng.normal(210, 5, n) + 6 * defect
pressure = rng.normal(35, 2, n) - 2.5 * defect
speed = rng.normal(1.2, 0.1, n) + 0.08 * defect
humidity = rng.normal(45, 8, n)
vibration = rng.gamma(2, 0.5, n) + 1.0 * defect
X = np.stack([temp, pressure, speed, humidity, vibration], 1).astype("float32")
y = defect.astype("float32")
x_train, x_test, y_train, y_test = X[:4800], X[4800:], y[:4800], y[4800:]
mean, std = x_train.mean(0), x_train.std(0)
x_train, x_test = (x_train - mean) / std, (x_test - mean) / std

neg, pos = np.bincount(y_train.astype(int))
class_weight = {0: (neg + pos) / (2.0 * neg), 1: (neg + pos) / (2.0 * pos)}
print("class weights:", {k: round(float(v), 2) for k, v in class_weight.items()})

model = keras.Sequential([
    keras.Input(shape=(5,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.Recall(name="recall"), keras.metrics.AUC(name="auc")])
model.fit(x_train, y_train, epochs=15, batch_size=128, validation_split=0.2,
          class_weight=class_weight, verbose=2)
print("test:", {k: round(float(v), 4) for k, v in
                model.evaluate(x_test, y_test, verbose=0, return_dict=True).items()})
