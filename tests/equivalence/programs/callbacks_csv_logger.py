"""Regression logged to a CSV file with CSVLogger while validating only every second epoch
(validation_freq=2), with RootMeanSquaredError() as a metric object; prints the CSV back."""
# kinds: callbacks.csv_logger, data.validation_freq, data.validation_data, metrics.objects, files.write, optimizers.sgd_string, models.mlp

import csv

import numpy as np
import keras

keras.utils.set_random_seed(8)

rng = np.random.default_rng(8)
x = rng.normal(size=(500, 5)).astype("float32")
y = (2.0 * x[:, 0] - x[:, 2] + 0.1 * rng.normal(size=500)).astype("float32")

model = keras.Sequential([
    keras.Input(shape=(5,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer="sgd", loss="mse", metrics=[keras.metrics.RootMeanSquaredError()])

csv_logger = keras.callbacks.CSVLogger("training.log")
history = model.fit(x[:400], y[:400], validation_data=(x[400:], y[400:]), validation_freq=2,
                    epochs=6, batch_size=50, callbacks=[csv_logger], verbose=0)

with open("training.log") as f:
    rows = list(csv.DictReader(f))
print("csv columns", list(rows[0].keys()))
print("csv rows", len(rows))
# epochs without validation are written as "NA"
print("val_loss column", [r["val_loss"] if r["val_loss"] == "NA" else round(float(r["val_loss"]), 3)
                          for r in rows])
print("history val_loss entries", len(history.history["val_loss"]))
print("final rmse", round(history.history["root_mean_squared_error"][-1], 3))
print("history keys", sorted(history.history))
