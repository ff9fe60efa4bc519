"""A user callback that sets self.model.stop_training = True after epoch 3, on a classifier with
a custom layer that calls self.add_loss (an activity penalty), with Precision() and Recall()."""
# kinds: callbacks.custom_stop_training, metrics.objects, models.add_loss, optimizers.adamw_object, models.mlp

import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(17)


class ActivityPenalty(layers.Layer):
    def __init__(self, rate=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(self.rate * ops.mean(ops.square(inputs)))
        return inputs


class StopAfterEpoch(keras.callbacks.Callback):
    def __init__(self, last_epoch):
        super().__init__()
        self.last_epoch = last_epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch >= self.last_epoch:
            self.model.stop_training = True


rng = np.random.default_rng(17)
x = rng.normal(size=(480, 10)).astype("float32")
y = (x[:, 0] - x[:, 4] > 0.3).astype("float32")

model = keras.Sequential([
    keras.Input(shape=(10,)),
    layers.Dense(32, activation="relu"),
    ActivityPenalty(1e-2),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.AdamW(learning_rate=2e-3, weight_decay=0.004),
              loss="binary_crossentropy",
              metrics=[keras.metrics.Precision(), keras.metrics.Recall()])
history = model.fit(x, y, epochs=30, batch_size=32, callbacks=[StopAfterEpoch(3)], verbose=0)

print("epochs run", len(history.history["loss"]))
print("final loss", round(history.history["loss"][-1], 3))
print("final precision", round(history.history["precision"][-1], 3))
print("final recall", round(history.history["recall"][-1], 3))
print("history keys", sorted(history.history))
