"""A keras.io-style Keras 3 example that sets os.environ["KERAS_BACKEND"] = "jax" before
import keras; an MLP regressor on an ExponentialDecay schedule with ModelCheckpoint (weights)."""
# kinds: backend.jax, lr_schedule.exponential_decay, callbacks.model_checkpoint, metrics.objects, files.write

import os

os.environ["KERAS_BACKEND"] = "jax"

import numpy as np
import keras

keras.utils.set_random_seed(65)

rng = np.random.default_rng(65)
x = rng.normal(size=(500, 6)).astype("float32")
y = (np.sin(x[:, 0]) + 0.5 * x[:, 1]).astype("float32")

schedule = keras.optimizers.schedules.ExponentialDecay(1e-2, decay_steps=20, decay_rate=0.8)
model = keras.Sequential([
    keras.Input(shape=(6,)),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(schedule), loss="mse",
              metrics=[keras.metrics.MeanAbsoluteError()])
history = model.fit(x[:400], y[:400], validation_data=(x[400:], y[400:]), epochs=5,
                    batch_size=32, verbose=0,
                    callbacks=[keras.callbacks.ModelCheckpoint("jax_best.weights.h5",
                                                               save_weights_only=True,
                                                               save_best_only=True)])

print("backend", keras.backend.backend())
print("val losses", [round(v, 3) for v in history.history["val_loss"]])
print("history keys", sorted(history.history))
