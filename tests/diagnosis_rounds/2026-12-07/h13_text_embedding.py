import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(123)
rng = np.random.default_rng(123)

vocab_size = 2000
maxlen = 60
n = 6000
# a few "sentiment" words carry the label; the rest are neutral filler
pos_words = np.arange(10, 30)
neg_words = np.arange(30, 50)

labels = rng.integers(0, 2, n)
seqs = np.zeros((n, maxlen), dtype="int32")
for i in range(n):
    length = rng.integers(20, maxlen + 1)
    toks = rng.integers(50, vocab_size, length)
    k = rng.integers(2, 6)
    pos = rng.choice(length, k, replace=False)
    cue = pos_words if labels[i] == 1 else neg_words
    toks[pos] = rng.choice(cue, k)
    # a little noise: sometimes an opposite word shows up too
    if rng.random() < 0.3:
        other = neg_words if labels[i] == 1 else pos_words
        toks[rng.integers(0, length)] = rng.choice(other)
    seqs[i, :length] = toks  # post-padding with 0

x_train, y_train = seqs[:5000], labels[:5000]
x_test, y_test = seqs[5000:], labels[5000:]

model = keras.Sequential([
    keras.Input(shape=(maxlen,), dtype="int32"),
    layers.Embedding(vocab_size, 16),
    layers.GlobalAveragePooling1D(),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=128,
          validation_data=(x_test, y_test), verbose=2)

loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss {loss:.4f}  Test accuracy {acc:.4f}")
