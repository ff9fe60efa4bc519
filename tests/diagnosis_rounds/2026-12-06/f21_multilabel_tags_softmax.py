import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(23)
np.random.seed(23)

# multi-label: each document (bag-of-words vector) can have several of 6 tags
n, d, k = 4000, 100, 6
W = np.random.normal(0, 1, (d, k))
X = (np.random.rand(n, d) < 0.1).astype("float32")
scores = X @ W
Y = (scores > np.quantile(scores, 0.6, axis=0)).astype("float32")   # ~40% of docs carry each tag
print("avg tags per doc:", Y.sum(1).mean())

model = keras.Sequential([
    keras.Input(shape=(d,)),
    layers.Dense(128, activation="relu"),
    layers.Dense(64, activation="relu"),
    layers.Dense(k, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy",
              metrics=[keras.metrics.BinaryAccuracy(name="bin_acc"),
                       keras.metrics.Recall(name="recall"),
                       keras.metrics.Precision(name="precision")])
model.fit(X[:3200], Y[:3200], epochs=15, batch_size=64, validation_data=(X[3200:], Y[3200:]), verbose=2)
print(model.evaluate(X[3200:], Y[3200:], verbose=0, return_dict=True))
