"""LearningRateScheduler with the scheduler function from the Keras docs (constant for a few
epochs, then exponential decay) on an MLP compiled with the "rmsprop" string."""
# kinds: callbacks.lr_scheduler, optimizers.rmsprop_string, metrics.names, models.mlp

import math

import numpy as np
import keras

keras.utils.set_random_seed(21)


def scheduler(epoch, lr):
    if epoch < 3:
        return lr
    return lr * math.exp(-0.1)


rng = np.random.default_rng(21)
x = rng.normal(size=(400, 6)).astype("float32")
y = (x[:, 0] * x[:, 1] > 0).astype("int32")

model = keras.Sequential([
    keras.layers.Dense(24, activation="relu"),
    keras.layers.Dense(2, activation="softmax"),
])
model.compile(optimizer="rmsprop", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

callback = keras.callbacks.LearningRateScheduler(scheduler)
history = model.fit(x, y, epochs=8, batch_size=40, callbacks=[callback], verbose=0)

print("learning_rate per epoch", [round(v, 6) for v in history.history["learning_rate"]])
current_lr = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
print("optimizer lr now", round(current_lr, 6))
print("final loss", round(history.history["loss"][-1], 3))
print("final accuracy", round(history.history["accuracy"][-1], 3))
print("history keys", sorted(history.history))
