import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Raw transaction logs per customer -> hand-made features -> churn model
n_customers = 2500
feature_names = ["n_tx", "mean_amt", "std_amt", "max_amt", "days_since_last", "night_frac"]

logs = []
churn = np.zeros(n_customers, dtype="float32")
for i in range(n_customers):
    activity = rng.uniform(0, 1)
    n_tx = rng.poisson(2 + 30 * activity) + 1
    amounts = rng.gamma(2.0, 20 + 40 * rng.uniform(), size=n_tx)
    gaps = rng.exponential(1.0 + 20 * (1 - activity), size=n_tx)
    hours = rng.integers(0, 24, size=n_tx)
    logs.append((amounts, gaps, hours))
    score = -3.0 * activity + 0.05 * gaps[-1] + rng.normal(0, 0.4)
    churn[i] = float(score > -1.2)

X = [[0.0] * len(feature_names)] * n_customers
for i, (amounts, gaps, hours) in enumerate(logs):
    X[i][0] = len(amounts)
    X[i][1] = amounts.mean()
    X[i][2] = amounts.std()
    X[i][3] = amounts.max()
    X[i][4] = gaps[-1]
    X[i][5] = np.mean((hours < 6) | (hours > 22))
X = np.array(X, dtype="float32")
y = churn

print("churn rate:", y.mean())
x_train, x_test = X[:2000], X[2000:]
y_train, y_test = y[:2000], y[2000:]
mu, sd = x_train.mean(axis=0), x_train.std(axis=0) + 1e-6
x_train, x_test = (x_train - mu) / sd, (x_test - mu) / sd

model = keras.Sequential([
    keras.Input(shape=(len(feature_names),)),
    layers.Dense(32, activation="relu"),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.AUC(name="auc")])
model.fit(x_train, y_train, validation_split=0.2, batch_size=32, epochs=10, verbose=2)
print("test [loss, acc, auc]:", model.evaluate(x_test, y_test, verbose=0))
