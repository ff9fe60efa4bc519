"""Conv1D sensor-signal classifier trained with SGD(momentum=0.9) on a PiecewiseConstantDecay
schedule, validating every other epoch (validation_freq=2)."""
# kinds: lr_schedule.piecewise_constant, models.convnet, optimizers.sgd_object, optimizers.sgd_momentum, data.validation_freq, data.validation_data

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(19)

rng = np.random.default_rng(19)
n, steps = 480, 24
t = np.linspace(0, 1, steps)
freq = rng.integers(0, 2, size=n)  # class 0: slow wave, class 1: fast wave
x = np.sin(2 * np.pi * (2 + 4 * freq)[:, None] * t[None, :] + rng.uniform(0, 6, (n, 1)))
x = (x + 0.3 * rng.normal(size=(n, steps)))[..., None].astype("float32")
y = freq.astype("float32")

schedule = keras.optimizers.schedules.PiecewiseConstantDecay(boundaries=[20, 40],
                                                             values=[0.05, 0.01, 0.002])
model = keras.Sequential([
    keras.Input(shape=(steps, 1)),
    layers.Conv1D(8, 5, activation="relu"),
    layers.MaxPooling1D(2),
    layers.Conv1D(8, 3, activation="relu"),
    layers.GlobalAveragePooling1D(),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=schedule, momentum=0.9),
              loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x[:400], y[:400], validation_data=(x[400:], y[400:]), validation_freq=2,
                    epochs=6, batch_size=32, verbose=0)

print("losses", [round(v, 3) for v in history.history["loss"]])
print("val_loss entries", [round(v, 3) for v in history.history["val_loss"]])
print("current lr", round(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)), 6))
print("history keys", sorted(history.history))
