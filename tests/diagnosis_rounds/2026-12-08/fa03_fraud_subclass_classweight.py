# Fraud detection on tabular data (about 6-7% fraud). I pass class_weight to
# handle the imbalance, but recall on the fraud class is 0 and the model
# just predicts "not fraud" for everything. Accuracy looks great though.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(3)
rng = np.random.default_rng(3)

n, d = 4000, 20
x = rng.normal(size=(n, d)).astype("float32")
w = rng.normal(size=(d,))
score = x @ w * 0.6 + 1.5 * x[:, 0] * x[:, 1] - 5.5
p = 1.0 / (1.0 + np.exp(-score))
y = (rng.random(n) < p).astype("float32")
print("fraud rate:", y.mean())

x_train, y_train = x[:3200], y[:3200]
x_val, y_val = x[3200:], y[3200:]


class FraudNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.d1 = layers.Dense(64, activation="relu")
        self.d2 = layers.Dense(32, activation="relu")
        self.out = layers.Dense(1, activation="sigmoid")

    def call(self, inputs, training=False):
        h = self.d1(inputs)
        h = self.d2(h)
        return self.out(h)


counts = np.bincount(y_train.astype(int))
class_weight = {c: counts[c] / len(y_train) for c in range(2)}
print("class_weight:", class_weight)

model = FraudNet()
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss="binary_crossentropy",
              metrics=["accuracy",
                       keras.metrics.Recall(name="recall")])

model.fit(x_train, y_train, epochs=12, batch_size=128,
          validation_data=(x_val, y_val),
          class_weight=class_weight, verbose=2)

pred = (model.predict(x_val, verbose=0)[:, 0] > 0.5).astype(int)
print("predicted fraud in val:", pred.sum(), "actual:", int(y_val.sum()))
