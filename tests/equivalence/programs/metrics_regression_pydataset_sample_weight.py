"""Regression fed by a keras.utils.PyDataset subclass that yields (x, y, sample_weight)
batches, with MeanAbsoluteError() and RootMeanSquaredError() objects, the "mse" name and the
"adamw" optimizer string."""
# kinds: data.pydataset, data.sample_weight, metrics.objects, metrics.names, optimizers.adamw_string, models.mlp

import math

import numpy as np
import keras

keras.utils.set_random_seed(31)


class WeightedRows(keras.utils.PyDataset):
    def __init__(self, x, y, w, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.w = x, y, w
        self.batch_size = batch_size

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, idx):
        lo = idx * self.batch_size
        hi = min(lo + self.batch_size, len(self.x))
        return self.x[lo:hi], self.y[lo:hi], self.w[lo:hi]


rng = np.random.default_rng(31)
x = rng.normal(size=(600, 6)).astype("float32")
y = (x @ rng.normal(size=(6, 1)) + 0.2 * rng.normal(size=(600, 1))).astype("float32")
w = np.where(x[:, 0] > 0, 2.0, 0.5).astype("float32")  # trust half the rows more

train = WeightedRows(x[:500], y[:500], w[:500], batch_size=50)
model = keras.Sequential([
    keras.Input(shape=(6,)),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer="adamw", loss="mse",
              metrics=[keras.metrics.MeanAbsoluteError(), keras.metrics.RootMeanSquaredError(),
                       "mse"])
history = model.fit(train, epochs=6, verbose=0)

print("batches per epoch", len(train))
print("final loss", round(history.history["loss"][-1], 3))
results = model.evaluate(x[500:], y[500:], verbose=0)
print("evaluate", [round(float(v), 3) for v in results])
print("history keys", sorted(history.history))
