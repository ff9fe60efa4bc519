import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Daily store records: numeric context + store id -> (sales, did a promo work?)
n, n_num, n_stores = 4000, 8, 30
num = rng.normal(size=(n, n_num)).astype("float32")
store = rng.integers(0, n_stores, size=n).astype("int32")
store_effect = rng.normal(0, 1.0, n_stores)
store_promo = rng.normal(0, 1.0, n_stores)

sales = (2.0 * num[:, 0] + np.tanh(num[:, 1]) * 1.5 + 0.7 * num[:, 2] * num[:, 3]
         + store_effect[store] + 0.3 * rng.normal(size=n)).astype("float32")
promo_logit = 1.5 * num[:, 4] - 1.0 * num[:, 5] + 1.2 * store_promo[store]
promo = (promo_logit + rng.logistic(size=n) * 0.5 > 0).astype("float32")

sales_mean, sales_std = sales[:3200].mean(), sales[:3200].std()
sales_z = (sales - sales_mean) / sales_std

tr, va = slice(0, 3200), slice(3200, None)
train_x = {"numeric": num[tr], "store_id": store[tr]}
val_x = {"numeric": num[va], "store_id": store[va]}
train_y = {"sales": sales_z[tr], "promo": promo[tr]}
val_y = {"sales": sales_z[va], "promo": promo[va]}

numeric_in = keras.Input(shape=(n_num,), name="numeric")
store_in = keras.Input(shape=(), dtype="int32", name="store_id")
store_vec = layers.Embedding(n_stores, 8)(store_in)
h = layers.Concatenate()([numeric_in, store_vec])
h = layers.Dense(64, activation="relu")(h)
h = layers.Dense(32, activation="relu")(h)
sales_out = layers.Dense(1, name="sales")(layers.Dense(16, activation="relu")(h))
promo_out = layers.Dense(1, activation="sigmoid", name="promo")(layers.Dense(16, activation="relu")(h))
model = keras.Model(inputs=[numeric_in, store_in], outputs={"sales": sales_out, "promo": promo_out})

model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss={"sales": "mse", "promo": "binary_crossentropy"},
    loss_weights={"sales": 1.0, "promo": 0.5},
    metrics={"sales": ["mae"], "promo": ["accuracy"]},
)
model.fit(train_x, train_y, validation_data=(val_x, val_y), batch_size=64, epochs=12, verbose=2)
print("val:", model.evaluate(val_x, val_y, verbose=0, return_dict=True))
