# Sentiment of product reviews with Embedding + LSTM. I scale the inputs to
# [0, 1] as every tutorial says, but the accuracy is stuck at ~0.6 from the
# first epoch and the loss doesn't go down at all.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(41)
rng = np.random.default_rng(41)

VOCAB = 3000
MAXLEN = 30
N = 2500

positive_words = np.arange(10, 60)
negative_words = np.arange(60, 110)
label = (rng.random(N) < 0.6).astype("float32")     # 60% positive reviews
seqs = np.zeros((N, MAXLEN), dtype="int64")
for i in range(N):
    length = rng.integers(10, MAXLEN + 1)
    toks = rng.integers(110, VOCAB, size=length)
    n_sent = rng.integers(1, 4)
    pos = rng.choice(length, size=n_sent, replace=False)
    pool = positive_words if label[i] == 1 else negative_words
    toks[pos] = rng.choice(pool, size=n_sent)
    seqs[i, MAXLEN - length:] = toks                # pre-padding with 0

# scale inputs to [0, 1]
x = seqs.astype("float32") / VOCAB
y = label

model = keras.Sequential([
    keras.Input(shape=(MAXLEN,)),
    layers.Embedding(input_dim=VOCAB, output_dim=32),
    layers.LSTM(32),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x[:2000], y[:2000], validation_data=(x[2000:], y[2000:]),
          epochs=6, batch_size=64, verbose=2)
print("mean predicted prob:", float(model.predict(x[2000:], verbose=0).mean()))
