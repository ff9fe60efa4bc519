"""Sentiment-style text classifier: padded token ids -> Embedding -> GlobalAveragePooling1D ->
Dense, with class_weight for the rare class and EarlyStopping (no restore) on val_loss."""
# kinds: models.embedding_text, callbacks.early_stopping, data.class_weight, data.validation_split, metrics.names, optimizers.adam_object

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(47)

rng = np.random.default_rng(47)
vocab, maxlen, n = 300, 20, 800
lengths = rng.integers(5, maxlen + 1, size=n)
x = np.zeros((n, maxlen), dtype="int32")
for i, length in enumerate(lengths):
    x[i, :length] = rng.integers(1, vocab, size=length)
# "positive" reviews contain at least two tokens from a small set of good words
y = (np.isin(x, np.arange(1, 25)).sum(axis=1) >= 2).astype("float32")

model = keras.Sequential([
    keras.Input(shape=(maxlen,), dtype="int32"),
    layers.Embedding(vocab, 16),
    layers.GlobalAveragePooling1D(),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.02), loss="binary_crossentropy",
              metrics=["accuracy"])
history = model.fit(x, y, epochs=30, batch_size=64, validation_split=0.2,
                    class_weight={0: 1.0, 1: 2.0},
                    callbacks=[keras.callbacks.EarlyStopping(monitor="val_loss", patience=1)],
                    verbose=0)

print("positive rate", round(float(y.mean()), 3))
print("epochs run", len(history.history["loss"]))
print("val losses", [round(v, 3) for v in history.history["val_loss"]])
print("history keys", sorted(history.history))
