# Will a customer redeem a coupon? Functional model with two inputs:
# numeric customer features and the store id (learned store embedding).
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(105)
rng = np.random.default_rng(105)

N, N_STORES = 3000, 25
store_id = rng.integers(0, N_STORES, N)
store_effect = rng.normal(0, 1.0, N_STORES)
visits_per_month = rng.poisson(4, N).astype(float)
avg_basket = rng.lognormal(3.5, 0.4, N)
days_since_visit = rng.exponential(10, N)
has_app = (rng.random(N) < 0.45).astype(float)
age = rng.uniform(18, 80, N)

logit = (0.35 * (visits_per_month - 4) - 0.08 * (days_since_visit - 10) + 1.2 * has_app
         + 0.01 * (avg_basket - 35) - 0.015 * (age - 45) + store_effect[store_id]
         + rng.normal(0, 0.4, N))
redeemed = (logit > 0.3).astype("float32")

numeric = np.stack([visits_per_month, avg_basket, days_since_visit, has_app, age], axis=1)
n_train = 2400
mu, sd = numeric[:n_train].mean(0), numeric[:n_train].std(0)
numeric = ((numeric - mu) / sd).astype("float32")

num_in = keras.Input(shape=(numeric.shape[1],), name="customer")
store_in = keras.Input(shape=(1,), dtype="int32", name="store")
store_vec = layers.Flatten()(layers.Embedding(N_STORES, 4)(store_in))
x = layers.Concatenate()([num_in, store_vec])
x = layers.Dense(32, activation="relu")(x)
x = layers.Dense(16, activation="relu")(x)
out = layers.Dense(1, activation="sigmoid", name="redeemed")(x)
model = keras.Model(inputs=[num_in, store_in], outputs=out)

model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.AUC(name="auc")])
model.fit({"customer": numeric[:n_train], "store": store_id[:n_train, None]}, redeemed[:n_train],
          validation_data=({"customer": numeric[n_train:], "store": store_id[n_train:, None]},
                           redeemed[n_train:]),
          epochs=12, batch_size=64, verbose=2)
print("redeem rate:", redeemed.mean())
