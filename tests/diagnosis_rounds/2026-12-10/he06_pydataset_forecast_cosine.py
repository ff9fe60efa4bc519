import math
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Hourly load curve: daily + weekly seasonality, slow trend, noise
T = 6000
t = np.arange(T)
series = (10 + 0.0004 * t + 3 * np.sin(2 * np.pi * t / 24) + 1.5 * np.sin(2 * np.pi * t / 168)
          + 0.8 * np.sin(2 * np.pi * t / 12 + 1.0) + 0.5 * rng.normal(size=T)).astype("float32")
split = 4800
mu, sd = series[:split].mean(), series[:split].std()
z = (series - mu) / sd

WINDOW, HORIZON = 48, 1


class WindowDataset(keras.utils.PyDataset):
    def __init__(self, data, batch_size, shuffle, **kwargs):
        super().__init__(**kwargs)
        self.data = data
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.starts = np.arange(len(data) - WINDOW - HORIZON + 1)
        self.on_epoch_end()

    def __len__(self):
        return math.ceil(len(self.starts) / self.batch_size)

    def __getitem__(self, idx):
        batch_starts = self.order[idx * self.batch_size:(idx + 1) * self.batch_size]
        x = np.stack([self.data[s:s + WINDOW] for s in batch_starts])[..., None]
        y = np.array([self.data[s + WINDOW + HORIZON - 1] for s in batch_starts], dtype="float32")
        return x, y

    def on_epoch_end(self):
        self.order = rng.permutation(self.starts) if self.shuffle else self.starts


train_ds = WindowDataset(z[:split], batch_size=64, shuffle=True)
val_ds = WindowDataset(z[split:], batch_size=128, shuffle=False)

model = keras.Sequential([
    keras.Input(shape=(WINDOW, 1)),
    layers.Conv1D(16, 5, activation="relu", padding="causal"),
    layers.Conv1D(16, 5, dilation_rate=2, activation="relu", padding="causal"),
    layers.Flatten(),
    layers.Dense(32, activation="relu"),
    layers.Dense(1),
])
epochs = 8
schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=epochs * len(train_ds), alpha=0.05)
model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse", metrics=["mae"])
model.fit(train_ds, validation_data=val_ds, epochs=epochs, verbose=2)

val_x = np.stack([z[split + s:split + s + WINDOW] for s in val_ds.starts])
val_y = z[split + WINDOW:]
naive = float(np.mean((val_x[:, -1] - val_y) ** 2))
print("persistence baseline val mse:", naive, " noise floor ~", (0.5 / sd) ** 2)
print("model val [mse, mae]:", model.evaluate(val_ds, verbose=0))
