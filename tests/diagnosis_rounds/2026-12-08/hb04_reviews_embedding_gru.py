# Review sentiment with Embedding(mask_zero=True) + GRU on padded id sequences.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(104)
rng = np.random.default_rng(104)

VOCAB, MAXLEN, N = 400, 40, 2500
PAD = 0
good_words = np.arange(1, 40)
bad_words = np.arange(40, 80)

seqs = np.zeros((N, MAXLEN), dtype="int32")
labels = np.zeros(N, dtype="float32")
for i in range(N):
    length = rng.integers(12, MAXLEN + 1)
    toks = rng.integers(80, VOCAB, size=length)
    n_sent = rng.choice([1, 3])
    is_good = rng.random(n_sent) < 0.5
    pos = rng.choice(length, size=n_sent, replace=False)
    toks[pos] = np.where(is_good, rng.choice(good_words, n_sent), rng.choice(bad_words, n_sent))
    labels[i] = float(is_good.sum() * 2 > n_sent)      # majority of opinion words
    seqs[i, :length] = toks                             # post-padding; padded steps are masked

model = keras.Sequential([
    keras.Input(shape=(MAXLEN,), dtype="int32"),
    layers.Embedding(VOCAB, 16, mask_zero=True),
    layers.GRU(32),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy",
              metrics=["accuracy"])
model.fit(seqs[:2000], labels[:2000], validation_data=(seqs[2000:], labels[2000:]),
          epochs=10, batch_size=64, verbose=2)
print("positive rate:", labels.mean())
print("val:", model.evaluate(seqs[2000:], labels[2000:], verbose=0))
