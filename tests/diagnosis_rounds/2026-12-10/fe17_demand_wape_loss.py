import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)


def make_store_days(n):
    dow = rng.integers(0, 7, n)
    temp = rng.normal(18, 8, n)
    promo = rng.binomial(1, 0.25, n)
    holiday = rng.binomial(1, 0.05, n)
    store_size = rng.uniform(0.5, 2.0, n)
    weekend = (dow >= 5).astype(float)
    demand = store_size * (
        100
        + 40 * weekend
        + 60 * promo
        - 50 * holiday
        + 2.5 * np.maximum(temp - 15, 0)
    ) + rng.normal(0, 8, n)
    x = np.column_stack(
        [np.eye(7)[dow], (temp - 18) / 8, promo, holiday, store_size]
    ).astype("float32")
    return x, np.maximum(demand, 0).astype("float32")


x_train, y_train = make_store_days(3000)
x_test, y_test = make_store_days(600)


def wape_loss(y_true, y_pred):
    """Weighted absolute percentage error, the metric the business reports."""
    y_true = ops.cast(y_true, y_pred.dtype)
    return ops.abs(ops.sum(y_true) - ops.sum(y_pred)) / (ops.sum(ops.abs(y_true)) + 1e-7)


model = keras.Sequential(
    [
        keras.Input(shape=(x_train.shape[1],)),
        layers.Dense(64, activation="relu"),
        layers.Dense(32, activation="relu"),
        layers.Dense(1, activation="softplus"),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=wape_loss, metrics=["mae"])
model.fit(x_train, y_train, batch_size=64, epochs=12, validation_split=0.2, verbose=2)

loss, mae = model.evaluate(x_test, y_test, verbose=0)
naive_mae = np.mean(np.abs(y_test - np.median(y_train)))
print(f"test wape {loss:.4f}  test mae {mae:.2f}  (predict-median mae {naive_mae:.2f})")
