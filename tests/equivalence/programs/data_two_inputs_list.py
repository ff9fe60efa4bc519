"""Functional model with two inputs (numeric features + a short token sequence) fed as a list of
two arrays, validation_data given as ([a, b], y), with a TerminateOnNaN that never fires."""
# kinds: data.list_inputs, data.validation_data, callbacks.terminate_on_nan, models.functional, optimizers.rmsprop_object

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(33)

rng = np.random.default_rng(33)
n = 600
numeric = rng.normal(size=(n, 4)).astype("float32")
tokens = rng.integers(1, 50, size=(n, 6)).astype("int32")
y = (numeric[:, 0] + (tokens[:, 0] > 25) - 0.5 > 0).astype("float32")

num_in = keras.Input(shape=(4,), name="numeric")
tok_in = keras.Input(shape=(6,), name="tokens", dtype="int32")
t = layers.Embedding(50, 8)(tok_in)
t = layers.Flatten()(t)
h = layers.Concatenate()([layers.Dense(8, activation="relu")(num_in), t])
h = layers.Dense(16, activation="relu")(h)
out = layers.Dense(1, activation="sigmoid")(h)
model = keras.Model(inputs=[num_in, tok_in], outputs=out)

model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=3e-3),
              loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit([numeric[:480], tokens[:480]], y[:480],
                    validation_data=([numeric[480:], tokens[480:]], y[480:]),
                    epochs=6, batch_size=32, callbacks=[keras.callbacks.TerminateOnNaN()],
                    verbose=0)

print("epochs run", len(history.history["loss"]))
print("final val accuracy", round(history.history["val_accuracy"][-1], 3))
preds = model.predict([numeric[:10], tokens[:10]], verbose=0)
print("predict shape", preds.shape)
print("history keys", sorted(history.history))
