# Multi-task model for our shop sessions: from session features + the category the
# visitor browsed, predict (a) whether they buy and (b) the basket value (standardised).
# Functional API, two inputs, two named outputs with their own losses.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(19)
rng = np.random.default_rng(19)

n, n_cat = 6000, 20
session = rng.normal(size=(n, 6)).astype("float32")   # already standardised upstream
category = rng.integers(0, n_cat, size=n)
cat_effect = rng.normal(0, 1.0, n_cat)
cat_price = rng.normal(0, 1.0, n_cat)
buy_logit = 1.2 * session[:, 0] - 0.8 * session[:, 1] + cat_effect[category] + 0.5 * session[:, 2] * session[:, 3]
bought = (rng.random(n) < 1 / (1 + np.exp(-buy_logit))).astype("float32")
basket = (0.9 * cat_price[category] + 0.6 * session[:, 4] + 0.3 * session[:, 0]
          + rng.normal(0, 0.3, n)).astype("float32")

num_in = keras.Input(shape=(6,), name="session")
cat_in = keras.Input(shape=(1,), dtype="int32", name="category")
c = layers.Flatten()(layers.Embedding(n_cat, 8)(cat_in))
h = layers.concatenate([num_in, c])
h = layers.Dense(64, activation="relu")(h)
h = layers.Dense(32, activation="relu")(h)
buy_out = layers.Dense(1, activation="sigmoid", name="buy")(h)
value_out = layers.Dense(1, name="basket_value")(h)
model = keras.Model([num_in, cat_in], [buy_out, value_out])

model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss={"buy": "binary_crossentropy", "basket_value": "mse"},
    loss_weights={"buy": 1.0, "basket_value": 0.5},
    metrics={"buy": [keras.metrics.BinaryAccuracy(name="acc"), keras.metrics.AUC(name="auc")],
             "basket_value": [keras.metrics.MeanAbsoluteError(name="mae")]},
)
x = {"session": session, "category": category[:, None]}
y = {"buy": bought, "basket_value": basket}
tr = slice(0, 5000)
te = slice(5000, None)
model.fit({k: v[tr] for k, v in x.items()}, {k: v[tr] for k, v in y.items()},
          validation_split=0.1, epochs=10, batch_size=128, verbose=2)
res = model.evaluate({k: v[te] for k, v in x.items()}, {k: v[te] for k, v in y.items()},
                     verbose=0, return_dict=True)
print({k: round(float(v), 4) for k, v in res.items()})
