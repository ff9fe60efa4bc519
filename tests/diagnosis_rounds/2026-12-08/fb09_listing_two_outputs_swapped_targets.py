# One network, two heads: predict the sale price of a listing (min-max scaled)
# and whether it sells within 30 days. The losses go down nicely but the
# "sold" accuracy is ~0 and the sold probabilities look like prices?
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(19)
rng = np.random.default_rng(19)

N = 3000
living_area = rng.normal(120, 30, N)
rooms = np.round(living_area / 30 + rng.normal(0, 0.6, N))
dist_center_km = rng.gamma(2.0, 3.0, N)
building_age = rng.uniform(0, 80, N)
has_garden = (rng.random(N) < 0.4).astype(float)
asking_vs_estimate = rng.normal(1.0, 0.08, N)     # asking price / agency estimate

price = (2500 * living_area - 9000 * dist_center_km - 900 * building_age
         + 25000 * has_garden + rng.normal(0, 20000, N))
sold_logit = (-12 * (asking_vs_estimate - 1.0) - 0.15 * (dist_center_km - 6)
              + 0.6 * has_garden + rng.normal(0, 0.5, N))
sold_30d = (sold_logit > 0).astype("float32")

X = np.stack([living_area, rooms, dist_center_km, building_age, has_garden,
              asking_vs_estimate], axis=1)
X = ((X - X.mean(0)) / X.std(0)).astype("float32")
y_price = ((price - price.min()) / (price.max() - price.min())).astype("float32")
y_sold = sold_30d

inp = keras.Input(shape=(X.shape[1],), name="listing")
h = layers.Dense(64, activation="relu")(inp)
h = layers.Dense(32, activation="relu")(h)
price_out = layers.Dense(1, name="price")(h)
sold_out = layers.Dense(1, activation="sigmoid", name="sold")(h)
model = keras.Model(inp, [price_out, sold_out])

model.compile(optimizer="adam",
              loss=["mse", "binary_crossentropy"],
              metrics=[["mae"], ["accuracy"]])
n_tr = 2400
model.fit(X[:n_tr], [y_sold[:n_tr], y_price[:n_tr]],
          validation_data=(X[n_tr:], [y_sold[n_tr:], y_price[n_tr:]]),
          epochs=15, batch_size=64, verbose=2)

p_price, p_sold = model.predict(X[n_tr:n_tr + 5], verbose=0)
print("price pred:", p_price.ravel().round(2))
print("sold prob :", p_sold.ravel().round(2))
