"""Infinite Python generator of (x, y) batches with steps_per_epoch, and a second generator as
validation_data with validation_steps; a LambdaCallback prints a line per epoch."""
# kinds: data.generator, data.steps_per_epoch, callbacks.lambda, optimizers.sgd_object, optimizers.sgd_momentum, models.mlp

import numpy as np
import keras

keras.utils.set_random_seed(39)

rng = np.random.default_rng(39)
x_all = rng.normal(size=(800, 6)).astype("float32")
y_all = (np.tanh(x_all[:, 0]) + 0.5 * x_all[:, 1] ** 2).astype("float32")


def batch_generator(x, y, batch_size, seed):
    gen_rng = np.random.default_rng(seed)
    while True:
        idx = gen_rng.permutation(len(x))
        for start in range(0, len(x) - batch_size + 1, batch_size):
            rows = idx[start:start + batch_size]
            yield x[rows], y[rows]


model = keras.Sequential([
    keras.Input(shape=(6,)),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.02, momentum=0.9), loss="mse",
              metrics=["mae"])

printer = keras.callbacks.LambdaCallback(
    on_epoch_end=lambda epoch, logs: print(
        "epoch", epoch, "loss", round(logs["loss"], 3), "val_loss", round(logs["val_loss"], 3)))
history = model.fit(batch_generator(x_all[:640], y_all[:640], 32, seed=1), steps_per_epoch=10,
                    validation_data=batch_generator(x_all[640:], y_all[640:], 32, seed=2),
                    validation_steps=3, epochs=6, callbacks=[printer], verbose=0)

print("epochs run", len(history.history["loss"]))
print("history keys", sorted(history.history))
