import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(21)
np.random.seed(21)

# transactions: 5% fraud
n, d = 5000, 12
y = (np.random.rand(n) < 0.05).astype("float32")
X = np.random.normal(0, 1, (n, d))
X[y == 1, :3] += 0.8          # fraud shifts a few features slightly
X = X.astype("float32")

x_train, y_train = X[:4000], y[:4000]
x_test, y_test = X[4000:], y[4000:]

model = keras.Sequential([
    keras.Input(shape=(d,)),
    layers.Dense(16, activation="relu"),
    layers.Dense(8, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.Recall(name="recall"), keras.metrics.Precision(name="precision")])
model.fit(x_train, y_train, epochs=15, batch_size=64, validation_split=0.2, verbose=2)
res = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
print("test:", res, "fraud share:", y_test.mean())
