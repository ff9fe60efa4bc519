# Fraud detection on card transactions (about 3% fraud). Using class weights
# computed from the training labels and tracking AUC / precision / recall,
# since accuracy alone is meaningless on data this imbalanced.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(2024)
rng = np.random.default_rng(2024)

n = 12000
amount = rng.lognormal(3.5, 1.0, n)
hour = rng.integers(0, 24, n)
dist_home = rng.exponential(10, n)
n_tx_24h = rng.poisson(3, n)
foreign = rng.binomial(1, 0.1, n)
new_merchant = rng.binomial(1, 0.3, n)
night = ((hour < 6) | (hour > 22)).astype(float)
logit = (-14.0 + 1.2 * np.log1p(amount) + 0.12 * dist_home + 0.5 * n_tx_24h
         + 2.5 * foreign + 1.5 * new_merchant + 2.5 * night)
fraud = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype("float32")
print(f"fraud rate: {fraud.mean():.3%}")

X = np.stack([np.log1p(amount), np.sin(2 * np.pi * hour / 24), np.cos(2 * np.pi * hour / 24),
              np.log1p(dist_home), n_tx_24h, foreign, new_merchant], axis=1).astype("float32")

# stratified-ish split: shuffle then cut
perm = rng.permutation(n)
X, fraud = X[perm], fraud[perm]
X_train, X_val, X_test = X[:8000], X[8000:10000], X[10000:]
y_train, y_val, y_test = fraud[:8000], fraud[8000:10000], fraud[10000:]

mu, sd = X_train.mean(0), X_train.std(0)
X_train, X_val, X_test = [(a - mu) / sd for a in (X_train, X_val, X_test)]

neg, pos = np.bincount(y_train.astype(int))
class_weight = {0: float((neg + pos) / (2.0 * neg)), 1: float((neg + pos) / (2.0 * pos))}
print("class weights:", {k: round(v, 2) for k, v in class_weight.items()})

model = keras.Sequential([
    keras.Input(shape=(X_train.shape[1],)),
    layers.Dense(32, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy",
              metrics=[keras.metrics.AUC(name="auc"),
                       keras.metrics.Precision(name="precision"),
                       keras.metrics.Recall(name="recall")])
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=12, batch_size=128,
          class_weight=class_weight, verbose=2)

res = model.evaluate(X_test, y_test, verbose=0, return_dict=True)
print("test:", {k: round(float(v), 3) for k, v in res.items()})
