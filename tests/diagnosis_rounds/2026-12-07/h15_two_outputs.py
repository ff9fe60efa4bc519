import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(99)
rng = np.random.default_rng(99)

# Predict a product category (3 classes) and its standardized rating from 12 features
n = 5000
X = rng.normal(size=(n, 12)).astype("float32")
W = rng.normal(size=(12, 3))
category = np.argmax(X @ W + rng.normal(0, 0.5, (n, 3)), axis=1)
rating = (0.7 * X[:, 0] - 0.5 * X[:, 4] + 0.3 * X[:, 7] ** 2 + rng.normal(0, 0.3, n))
rating = ((rating - rating.mean()) / rating.std()).astype("float32")

inputs = keras.Input(shape=(12,), name="features")
x = layers.Dense(64, activation="relu")(inputs)
x = layers.Dense(32, activation="relu")(x)
cat_out = layers.Dense(3, activation="softmax", name="category")(x)
rate_out = layers.Dense(1, name="rating")(x)
model = keras.Model(inputs, {"category": cat_out, "rating": rate_out})

model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss={"category": "sparse_categorical_crossentropy", "rating": "mse"},
    loss_weights={"category": 1.0, "rating": 0.5},
    metrics={"category": ["accuracy"], "rating": ["mae"]},
)
model.fit(X[:4000], {"category": category[:4000], "rating": rating[:4000]},
          validation_split=0.2, epochs=15, batch_size=128, verbose=2)

res = model.evaluate(X[4000:], {"category": category[4000:], "rating": rating[4000:]},
                     return_dict=True, verbose=0)
print(res)
