# Card-fraud detection (~8% fraud) with a subclassed keras.Model.
# Fraud rows get a larger sample_weight so the rare class is not ignored.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(107)
rng = np.random.default_rng(107)

N = 3000
fraud = (rng.random(N) < 0.08).astype("float32")
amount = np.where(fraud == 1, rng.lognormal(4.6, 0.9, N), rng.lognormal(3.6, 0.9, N))
hour = np.where(fraud == 1, rng.normal(4, 4, N) % 24, rng.normal(14, 5, N) % 24)
km_from_home = np.where(fraud == 1, rng.exponential(120, N), rng.exponential(20, N))
merchant_risk = np.clip(rng.normal(0.3 + 0.2 * fraud, 0.15, N), 0, 1)
tx_last_24h = rng.poisson(2 + 3 * fraud)
card_present = (rng.random(N) < np.where(fraud == 1, 0.35, 0.75)).astype(float)

X = np.stack([np.log(amount), np.sin(2 * np.pi * hour / 24), np.cos(2 * np.pi * hour / 24),
              np.log1p(km_from_home), merchant_risk, tx_last_24h, card_present], axis=1)
n_train = 2400
mu, sd = X[:n_train].mean(0), X[:n_train].std(0)
X = ((X - mu) / sd).astype("float32")
y = fraud

pos_rate = y[:n_train].mean()
sample_weight = np.where(y[:n_train] == 1, 0.5 / pos_rate, 0.5 / (1 - pos_rate)).astype("float32")
print("weights: fraud %.2f, legit %.2f" % (0.5 / pos_rate, 0.5 / (1 - pos_rate)))


class FraudNet(keras.Model):
    def __init__(self):
        super().__init__()
        self.d1 = layers.Dense(32, activation="relu")
        self.drop = layers.Dropout(0.2)
        self.d2 = layers.Dense(16, activation="relu")
        self.out = layers.Dense(1, activation="sigmoid")

    def call(self, x, training=False):
        x = self.d1(x)
        x = self.drop(x, training=training)
        x = self.d2(x)
        return self.out(x)


model = FraudNet()
model.compile(optimizer="adam", loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.AUC(name="auc"),
                       keras.metrics.Precision(name="precision"), keras.metrics.Recall(name="recall")])
model.fit(X[:n_train], y[:n_train], sample_weight=sample_weight,
          validation_data=(X[n_train:], y[n_train:]), epochs=15, batch_size=64, verbose=2)
print("val fraud rate:", y[n_train:].mean())
