# Multi-input / multi-output model for used-car listings: numeric specs + title tokens
# go in, and it predicts the (standardised) price and whether the car sells within 30 days.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(45)
rng = np.random.default_rng(45)

n = 6000
vocab, title_len = 500, 12
age = rng.uniform(0, 15, n)
km = age * rng.uniform(8_000, 20_000, n) + rng.normal(0, 5_000, n).clip(0)
hp = rng.uniform(70, 300, n)
# title words: ids 1..19 are "premium" brand/trim words, the rest are generic
premium = rng.binomial(1, 0.3, n)
titles = rng.integers(20, vocab, size=(n, title_len))
titles[premium == 1, 0] = rng.integers(1, 20, size=premium.sum())   # brand comes first
lengths = rng.integers(4, title_len + 1, n)
for i, L in enumerate(lengths):
    titles[i, L:] = 0                                   # padding

price = 28_000 - 1_500 * age - 0.05 * km + 60 * hp + 9_000 * premium + rng.normal(0, 1_500, n)
market_price = 28_000 - 1_500 * age - 0.05 * km + 60 * hp + 9_000 * premium
markup = np.where(rng.uniform(size=n) < 0.5, rng.normal(0.9, 0.04, n), rng.normal(1.12, 0.04, n))
asking = market_price * markup
fast_sale = ((markup < 1.0) ^ (rng.uniform(size=n) < 0.03)).astype("float32")

specs = np.stack([age, km / 1000, hp], axis=1).astype("float32")
specs = np.concatenate([specs, (asking / 1000)[:, None].astype("float32")], axis=1)
tr, te = slice(0, 4800), slice(4800, n)
mu, sd = specs[tr].mean(0), specs[tr].std(0)
specs = (specs - mu) / sd
p_mu, p_sd = price[tr].mean(), price[tr].std()
price_z = ((price - p_mu) / p_sd).astype("float32")

specs_in = keras.Input(shape=(4,), name="specs")
title_in = keras.Input(shape=(title_len,), dtype="int32", name="title")
s = layers.Dense(32, activation="relu")(specs_in)
t = layers.Embedding(vocab, 16, mask_zero=True)(title_in)
t = layers.GlobalAveragePooling1D()(t)
x = layers.concatenate([s, t])
x = layers.Dense(64, activation="relu")(x)
x = layers.Dense(32, activation="relu")(x)
price_out = layers.Dense(1, name="price")(x)
sale_out = layers.Dense(1, activation="sigmoid", name="fast_sale")(x)
model = keras.Model([specs_in, title_in], [price_out, sale_out])

model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss={"price": "mse", "fast_sale": "binary_crossentropy"},
    loss_weights={"price": 1.0, "fast_sale": 0.5},
    metrics={"price": ["mae"], "fast_sale": ["accuracy"]},
)
model.fit({"specs": specs[tr], "title": titles[tr]},
          {"price": price_z[tr], "fast_sale": fast_sale[tr]},
          validation_split=0.15, epochs=12, batch_size=64, verbose=2)

res = model.evaluate({"specs": specs[te], "title": titles[te]},
                     {"price": price_z[te], "fast_sale": fast_sale[te]},
                     verbose=0, return_dict=True)
print({k: round(float(v), 4) for k, v in res.items()})
print(f"price MAE in dollars: {res['price_mae'] * p_sd:,.0f}")
