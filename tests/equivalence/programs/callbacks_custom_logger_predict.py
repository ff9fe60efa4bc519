"""Two user callbacks (keras.callbacks.Callback subclasses): one keeps every epoch's logs, one
calls self.model.predict on a few fixed samples at each epoch end to watch them change."""
# kinds: callbacks.custom_records_logs, callbacks.custom_predicts, data.validation_split, metrics.names, models.mlp

import numpy as np
import keras

keras.utils.set_random_seed(4)

rng = np.random.default_rng(4)
x = rng.normal(size=(500, 12)).astype("float32")
y = (x[:, :3].sum(axis=1) > 0).astype("float32")
probe = x[:4]


class LogRecorder(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.records = []

    def on_epoch_end(self, epoch, logs=None):
        self.records.append((epoch, {k: round(float(v), 3) for k, v in sorted(logs.items())}))


class PredictionWatcher(keras.callbacks.Callback):
    def __init__(self, samples):
        super().__init__()
        self.samples = samples
        self.snapshots = []

    def on_epoch_end(self, epoch, logs=None):
        p = self.model.predict(self.samples, verbose=0)
        self.snapshots.append([round(float(v), 2) for v in p[:, 0]])


recorder = LogRecorder()
watcher = PredictionWatcher(probe)
model = keras.Sequential([
    keras.Input(shape=(12,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=5, batch_size=32, validation_split=0.2,
                    callbacks=[recorder, watcher], verbose=0)

for epoch, logs in recorder.records:
    print("epoch", epoch, logs)
print("probe predictions first epoch", watcher.snapshots[0])
print("probe predictions last epoch", watcher.snapshots[-1])
print("history keys", sorted(history.history))
