import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(105)
np.random.seed(105)

n, d = 5000, 12
y = (np.random.rand(n) < 0.08).astype("float32")
X = np.random.normal(0, 1, (n, d))
X[y == 1, :3] += 1.2
X = X.astype("float32")
x_train, y_train, x_test, y_test = X[:4000], y[:4000], X[4000:], y[4000:]

neg, pos = np.bincount(y_train.astype(int))
class_weight = {0: (neg + pos) / (2.0 * neg), 1: (neg + pos) / (2.0 * pos)}
print("class weights:", class_weight)

model = keras.Sequential([
    keras.Input(shape=(d,)),
    layers.Dense(32, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy",
              metrics=[keras.metrics.AUC(name="auc"), keras.metrics.Recall(name="recall"), "accuracy"])
model.fit(x_train, y_train, epochs=15, batch_size=64, validation_split=0.2,
          class_weight=class_weight, verbose=2)
print("test:", model.evaluate(x_test, y_test, verbose=0, return_dict=True))
