"""Sentiment classifier: Embedding + GlobalAveragePooling1D on padded token ids."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(103)
rng = np.random.default_rng(103)

vocab, maxlen, n = 2000, 50, 4000
labels = rng.integers(0, 2, n)
seqs = []
for lab in labels:
    length = rng.integers(15, maxlen + 1)
    toks = rng.integers(100, vocab, length)
    k = rng.integers(1, 4)
    base = 2 if lab == 1 else 50          # ids 2-49 positive words, 50-99 negative words
    toks[rng.choice(length, k, replace=False)] = base + rng.integers(0, 48, k)
    seqs.append(toks)
X = keras.utils.pad_sequences(seqs, maxlen=maxlen, padding="post")
flip = rng.random(n) < 0.05                  # ~5% of ratings disagree with the text
y = np.where(flip, 1 - labels, labels).astype("float32")
x_train, x_test, y_train, y_test = X[:3200], X[3200:], y[:3200], y[3200:]

model = keras.Sequential([
    keras.Input(shape=(maxlen,), dtype="int32"),
    layers.Embedding(vocab, 16, mask_zero=True),
    layers.GlobalAveragePooling1D(),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=64, validation_split=0.2, verbose=2)
print("test [loss, acc]:", model.evaluate(x_test, y_test, verbose=0))
