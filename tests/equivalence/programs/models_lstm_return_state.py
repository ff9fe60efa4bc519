"""LSTM(return_state=True) - a layer with three outputs - whose final hidden and cell states feed
a Dense regressor, trained with per-sample sample_weight and a LearningRateScheduler lambda."""
# kinds: models.multi_output_layer, models.rnn, data.sample_weight, callbacks.lr_scheduler, optimizers.adam_string

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(45)

rng = np.random.default_rng(45)
n, steps = 320, 8
x = rng.normal(size=(n, steps, 2)).astype("float32")
y = (x[:, :, 0].mean(axis=1) + 0.5 * x[:, -1, 1]).astype("float32").reshape(-1, 1)
recent = np.linspace(0.5, 1.5, n).astype("float32")  # later rows matter more

inputs = keras.Input(shape=(steps, 2))
_, state_h, state_c = layers.LSTM(16, return_state=True)(inputs)
h = layers.Concatenate()([state_h, state_c])
outputs = layers.Dense(1)(h)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])

schedule = keras.callbacks.LearningRateScheduler(lambda epoch: 0.01 if epoch < 2 else 0.003)
history = model.fit(x, y, sample_weight=recent, epochs=5, batch_size=32, callbacks=[schedule],
                    verbose=0)

print("losses", [round(v, 3) for v in history.history["loss"]])
print("learning rates", [round(v, 4) for v in history.history["learning_rate"]])
print("evaluate unweighted", [round(float(v), 3) for v in model.evaluate(x, y, verbose=0)])
print("history keys", sorted(history.history))
