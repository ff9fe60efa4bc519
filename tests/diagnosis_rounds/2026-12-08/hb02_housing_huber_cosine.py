# House price regression with a Huber loss (some listings have wrong prices)
# and a cosine-decay learning-rate schedule.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(102)
rng = np.random.default_rng(102)

N = 3000
sqft = rng.normal(1800, 500, N).clip(400, None)
bedrooms = np.round(sqft / 600 + rng.normal(0, 0.6, N)).clip(1, 7)
bathrooms = np.round(bedrooms / 1.6 + rng.normal(0, 0.4, N)).clip(1, 5)
lot_acres = rng.lognormal(-1.5, 0.5, N)
year_built = rng.integers(1920, 2022, N).astype(float)
school_rating = rng.uniform(1, 10, N)
dist_downtown = rng.gamma(2.0, 4.0, N)

price = (120 * sqft + 15000 * bathrooms + 40000 * lot_acres
         + 900 * (year_built - 1970) + 12000 * school_rating
         - 4000 * dist_downtown + 0.012 * (sqft - 1800) ** 2
         + rng.normal(0, 25000, N))
# ~2% of listings have a data-entry error in the price (extra or missing digit)
bad = rng.random(N) < 0.02
price[bad] *= rng.choice([0.1, 10.0], size=bad.sum())

X = np.stack([sqft, bedrooms, bathrooms, lot_acres, year_built, school_rating,
              dist_downtown], axis=1)
n_train = 2400
mu, sd = X[:n_train].mean(0), X[:n_train].std(0)
X = ((X - mu) / sd).astype("float32")
y_mu, y_sd = np.median(price[:n_train]), price[:n_train].std()
y = ((price - y_mu) / 100000.0).astype("float32")       # in units of $100k

steps = 25 * int(np.ceil(n_train / 64))
schedule = keras.optimizers.schedules.CosineDecay(initial_learning_rate=3e-4, decay_steps=steps,
                                                   alpha=0.05)
model = keras.Sequential([
    keras.Input(shape=(X.shape[1],)),
    layers.Dense(64, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(schedule),
              loss=keras.losses.Huber(delta=1.0), metrics=["mae"])
model.fit(X[:n_train], y[:n_train], validation_data=(X[n_train:], y[n_train:]),
          epochs=25, batch_size=64, verbose=2)

clean = ~bad[n_train:]
pred = model.predict(X[n_train:], verbose=0).ravel()
mae_clean = np.mean(np.abs(pred[clean] - y[n_train:][clean])) * 100000
print(f"MAE on clean validation listings: ${mae_clean:,.0f}")
print(f"std of clean prices: ${price[n_train:][clean].std():,.0f}")
