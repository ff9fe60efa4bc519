"""GRU(return_state=True) on short sequences whose output and final state both feed a Dense
head, with AdamW on a CosineDecay schedule and a callback logging optimizer.learning_rate."""
# kinds: lr_schedule.cosine_decay, models.rnn, models.multi_output_layer, optimizers.adamw_object, callbacks.custom_reads_lr

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(27)


class LRTracker(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.lrs = []

    def on_epoch_end(self, epoch, logs=None):
        lr = self.model.optimizer.learning_rate
        self.lrs.append(round(float(keras.ops.convert_to_numpy(lr)), 6))


rng = np.random.default_rng(27)
x = rng.normal(size=(320, 10, 3)).astype("float32")
y = (x[:, :, 0].cumsum(axis=1)[:, -1] * 0.3 + x[:, -1, 1]).astype("float32")

inputs = keras.Input(shape=(10, 3))
seq_out, state = layers.GRU(16, return_state=True)(inputs)
merged = layers.Concatenate()([seq_out, state])
outputs = layers.Dense(1)(merged)
model = keras.Model(inputs, outputs)

schedule = keras.optimizers.schedules.CosineDecay(initial_learning_rate=5e-3, decay_steps=50,
                                                  alpha=0.1)
model.compile(optimizer=keras.optimizers.AdamW(learning_rate=schedule, weight_decay=1e-3),
              loss="mse", metrics=["mae"])
tracker = LRTracker()
history = model.fit(x, y, epochs=5, batch_size=32, callbacks=[tracker], verbose=0)

print("lr at epoch ends", tracker.lrs)
print("losses", [round(v, 3) for v in history.history["loss"]])
print("predict shape", model.predict(x[:7], verbose=0).shape)
print("history keys", sorted(history.history))
