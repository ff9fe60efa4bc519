# Multi-task model: one head predicts the house price (regression, target
# already standardized) and one head predicts the neighbourhood type (3 classes).
# The price head trains fine but the neighbourhood accuracy stays around 40%.
# I lowered the crossentropy weight because its loss value is much bigger than
# the MSE and I wanted both losses on the same scale.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(21)
rng = np.random.default_rng(21)

n = 4000
x = rng.normal(size=(n, 16)).astype("float32")

price = x[:, :8] @ rng.normal(size=(8,)) + 0.3 * rng.normal(size=n)
price = ((price - price.mean()) / price.std()).astype("float32")

r = x[:, 8] ** 2 + x[:, 9] ** 2
seg = np.where(r < 0.8, 0, np.where(x[:, 10] > 0, 1, 2)).astype("int64")
print("segment counts:", np.bincount(seg))

inp = keras.Input(shape=(16,), name="features")
h = layers.Dense(64, activation="relu")(inp)
h = layers.Dense(64, activation="relu")(h)
price_out = layers.Dense(1, name="price")(h)
seg_out = layers.Dense(3, activation="softmax", name="segment")(h)
model = keras.Model(inp, [price_out, seg_out])

model.compile(
    optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
    loss={"price": "mse", "segment": "sparse_categorical_crossentropy"},
    loss_weights={"price": 1.0, "segment": 0.01},
    metrics={"price": ["mae"], "segment": ["accuracy"]},
)

model.fit(x[:3200], {"price": price[:3200], "segment": seg[:3200]},
          validation_data=(x[3200:], {"price": price[3200:], "segment": seg[3200:]}),
          epochs=12, batch_size=64, verbose=2)

res = model.evaluate(x[3200:], {"price": price[3200:], "segment": seg[3200:]},
                     verbose=0, return_dict=True)
print(res)
