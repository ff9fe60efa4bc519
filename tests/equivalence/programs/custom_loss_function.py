"""A custom loss written as a Python function with keras.ops (an asymmetric "under-prediction
costs more" loss) passed to compile, trained from a generator on a PiecewiseConstantDecay."""
# kinds: custom.loss_function, data.generator, data.steps_per_epoch, lr_schedule.piecewise_constant, metrics.names

import numpy as np
import keras
from keras import ops

keras.utils.set_random_seed(61)


def asymmetric_mse(y_true, y_pred):
    error = y_true - y_pred
    weight = ops.where(error > 0, 3.0, 1.0)  # under-predicting demand is worse
    return ops.mean(weight * ops.square(error), axis=-1)


rng = np.random.default_rng(61)
x = rng.normal(size=(512, 4)).astype("float32")
y = (np.exp(0.5 * x[:, :1]) + 0.1 * rng.normal(size=(512, 1))).astype("float32")


def batches(batch_size=32):
    i = 0
    while True:
        rows = slice(i, i + batch_size)
        yield x[rows], y[rows]
        i = (i + batch_size) % len(x)


model = keras.Sequential([
    keras.Input(shape=(4,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(1),
])
schedule = keras.optimizers.schedules.PiecewiseConstantDecay([30, 60], [1e-2, 3e-3, 1e-3])
model.compile(optimizer=keras.optimizers.Adam(schedule), loss=asymmetric_mse,
              metrics=["mae", "mse"])
history = model.fit(batches(), steps_per_epoch=16, epochs=5, verbose=0)

pred = model.predict(x, verbose=0)
print("losses", [round(v, 3) for v in history.history["loss"]])
print("share under-predicted", round(float((pred < y).mean()), 2))
print("evaluate", [round(float(v), 3) for v in model.evaluate(x, y, verbose=0)])
print("history keys", sorted(history.history))
