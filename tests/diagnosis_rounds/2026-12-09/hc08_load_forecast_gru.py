# Hourly electricity-load forecasting with a small GRU: last 24 h of (load, temperature,
# hour-of-day) -> next hour's load. Short run, just 4 epochs, to check the setup.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(10)
rng = np.random.default_rng(10)

hours = 3000
t = np.arange(hours)
hour_of_day = t % 24
temp = 12 + 8 * np.sin(2 * np.pi * (t - 8) / 24) + np.cumsum(rng.normal(0, 0.15, hours))
load = (500 + 120 * np.sin(2 * np.pi * (hour_of_day - 6) / 24) ** 2
        + 6 * np.abs(temp - 15) + rng.normal(0, 10, hours))

feats = np.stack([load, temp, np.sin(2 * np.pi * hour_of_day / 24),
                  np.cos(2 * np.pi * hour_of_day / 24)], axis=1).astype("float32")
split = 2400
mu, sd = feats[:split].mean(0), feats[:split].std(0)
feats_n = (feats - mu) / sd

win = 24
X = np.stack([feats_n[i:i + win] for i in range(hours - win)])
y = feats_n[win:, 0]                               # next-hour load (standardised)
train_idx = np.arange(0, split - win)
val_idx = np.arange(split - win, len(X))

model = keras.Sequential([
    keras.Input(shape=(win, 4)),
    layers.GRU(32),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse", metrics=["mae"])
model.fit(X[train_idx], y[train_idx], validation_data=(X[val_idx], y[val_idx]),
          epochs=4, batch_size=32, verbose=2)

pred = model.predict(X[val_idx], verbose=0).ravel() * sd[0] + mu[0]
true = y[val_idx] * sd[0] + mu[0]
naive = X[val_idx][:, -1, 0] * sd[0] + mu[0]        # "same as last hour"
print(f"GRU MAE: {np.mean(np.abs(pred - true)):.1f} MW   naive MAE: {np.mean(np.abs(naive - true)):.1f} MW")
