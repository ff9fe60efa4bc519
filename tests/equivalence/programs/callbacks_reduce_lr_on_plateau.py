"""Regression trained with SGD(momentum=0.9) and ReduceLROnPlateau(monitor="loss"), plus the
user's own callback recording self.model.optimizer.learning_rate after every epoch."""
# kinds: callbacks.reduce_lr_on_plateau, callbacks.custom_reads_lr, optimizers.sgd_object, optimizers.sgd_momentum, models.mlp

import numpy as np
import keras

keras.utils.set_random_seed(5)

rng = np.random.default_rng(5)
x = rng.uniform(-1, 1, size=(320, 4)).astype("float32")
y = (np.sin(3 * x[:, :1]) + x[:, 1:2] ** 2 + 0.2 * rng.normal(size=(320, 1))).astype("float32")


class LearningRateLogger(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.rates = []

    def on_epoch_end(self, epoch, logs=None):
        lr = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))
        self.rates.append(round(lr, 6))


model = keras.Sequential([
    keras.Input(shape=(4,)),
    keras.layers.Dense(32, activation="tanh"),
    keras.layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, momentum=0.9), loss="mse")

lr_logger = LearningRateLogger()
reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1,
                                              min_delta=0.01, min_lr=0.005)
history = model.fit(x, y, epochs=12, batch_size=32, callbacks=[reduce_lr, lr_logger], verbose=0)

print("lr after each epoch", lr_logger.rates)
print("history learning_rate", [round(v, 6) for v in history.history["learning_rate"]])
print("final loss", round(history.history["loss"][-1], 3))
print("history keys", sorted(history.history))
