# Multi-task functional model for property listings: a regression head for the
# (standardized) price and a 3-class head for the neighbourhood type.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(505)
rng = np.random.default_rng(505)

n = 4000
x = rng.normal(size=(n, 16)).astype("float32")
price = x[:, :8] @ rng.normal(size=(8,)) + 0.5 * x[:, 8] * x[:, 9] + 0.3 * rng.normal(size=n)
price = ((price - price.mean()) / price.std()).astype("float32")
r = x[:, 8] ** 2 + x[:, 9] ** 2
seg = np.where(r < 0.8, 0, np.where(x[:, 10] > 0, 1, 2)).astype("int64")

x_train, x_val = x[:3200], x[3200:]
y_train = {"price": price[:3200], "segment": seg[:3200]}
y_val = {"price": price[3200:], "segment": seg[3200:]}

inp = keras.Input(shape=(16,), name="features")
h = layers.Dense(64, activation="relu")(inp)
h = layers.Dense(64, activation="relu")(h)
h = layers.Dropout(0.2)(h)
price_out = layers.Dense(1, name="price")(h)
seg_h = layers.Dense(32, activation="relu")(h)
seg_out = layers.Dense(3, activation="softmax", name="segment")(seg_h)
model = keras.Model(inp, [price_out, seg_out])

model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss={"price": "mse", "segment": "sparse_categorical_crossentropy"},
    loss_weights={"price": 1.0, "segment": 1.0},
    metrics={"price": ["mae"], "segment": ["accuracy"]},
)
model.fit(x_train, y_train, validation_data=(x_val, y_val),
          epochs=16, batch_size=64, verbose=2)

print(model.evaluate(x_val, y_val, verbose=0, return_dict=True))
