import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

N_STORES = 40
N_DEVICES = 3
store_effect = rng.normal(0, 1.0, N_STORES)
device_effect = np.array([0.0, -0.6, 0.5])


def make_sessions(n):
    numeric = rng.normal(size=(n, 5)).astype("float32")  # pages, dwell, cart_value, ...
    store = rng.integers(0, N_STORES, n)
    device = rng.integers(0, N_DEVICES, n)
    days_ago = rng.integers(0, 180, n)
    logit = (
        1.2 * numeric[:, 0]
        + 0.8 * numeric[:, 1] * (numeric[:, 2] > 0)
        - 0.7 * numeric[:, 3] ** 2
        + store_effect[store]
        + device_effect[device]
    )
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype("float32")
    return numeric, store.astype("int32"), device.astype("int32"), days_ago, y


num_tr, store_tr, dev_tr, age_tr, y_tr = make_sessions(4000)
num_te, store_te, dev_te, _, y_te = make_sessions(1000)

# recent sessions matter more
w_tr = np.where(age_tr < 60, 1.0, 0.5).astype("float32")

num_in = keras.Input(shape=(5,), name="numeric")
store_in = keras.Input(shape=(1,), dtype="int32", name="store")
dev_in = keras.Input(shape=(1,), dtype="int32", name="device")

s = layers.Flatten()(layers.Embedding(N_STORES, 8)(store_in))
d = layers.Flatten()(layers.Embedding(N_DEVICES, 2)(dev_in))
h = layers.Concatenate()([num_in, s, d])
h = layers.Dense(64, activation="relu")(h)
h = layers.Dropout(0.1)(h)
h = layers.Dense(32, activation="relu")(h)
out = layers.Dense(1, activation="sigmoid", name="purchase")(h)

model = keras.Model(inputs=[num_in, store_in, dev_in], outputs=out)
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss="binary_crossentropy",
    metrics=["accuracy", keras.metrics.AUC(name="auc")],
)
model.fit(
    {"numeric": num_tr, "store": store_tr[:, None], "device": dev_tr[:, None]},
    y_tr,
    sample_weight=w_tr,
    batch_size=64,
    epochs=12,
    validation_split=0.2,
    verbose=2,
)
res = model.evaluate(
    {"numeric": num_te, "store": store_te[:, None], "device": dev_te[:, None]},
    y_te,
    verbose=0,
    return_dict=True,
)
print("test:", {k: round(float(v), 4) for k, v in res.items()}, " positive rate:", y_te.mean())
