# Customer churn, only ~12% of customers churn. I oversampled the churners so
# the classes are balanced, and now validation accuracy is ~95%! But when I
# score last month's new customers the model is much worse. Why does
# validation look so good?
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(42)
rng = np.random.default_rng(42)


def make_customers(n):
    x = rng.normal(size=(n, 12)).astype("float32")
    logit = 1.2 * x[:, 0] - 0.8 * x[:, 1] + 0.6 * x[:, 2] * x[:, 3] - 2.6
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("float32")
    return x, y


x, y = make_customers(2500)
x_new, y_new = make_customers(1000)
print("churn rate:", y.mean())

# balance the classes by repeating the churners
pos = np.where(y == 1)[0]
neg = np.where(y == 0)[0]
reps = len(neg) // len(pos)
idx = np.concatenate([neg, np.repeat(pos, reps)])
rng.shuffle(idx)
x_bal, y_bal = x[idx], y[idx]
print("balanced set:", x_bal.shape, "churn rate:", y_bal.mean())

model = keras.Sequential([
    keras.Input(shape=(12,)),
    layers.Dense(128, activation="relu"),
    layers.Dense(128, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.Recall(name="recall")])

model.fit(x_bal, y_bal, epochs=20, batch_size=64, validation_split=0.2, verbose=2)

p = model.predict(x_new, verbose=0)[:, 0] > 0.5
print("new customers: accuracy %.3f recall %.3f precision %.3f" % (
    (p == y_new).mean(), p[y_new == 1].mean(), y_new[p].mean()))
