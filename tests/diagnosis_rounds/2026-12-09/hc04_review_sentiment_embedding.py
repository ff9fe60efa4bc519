# Sentiment classifier for product reviews that are already tokenised to integer ids
# (0 is reserved for padding). Embedding + average pooling, keras-io style.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(31)
rng = np.random.default_rng(31)

vocab_size = 1000
max_len = 80
pos_words = rng.choice(np.arange(1, vocab_size), 60, replace=False)
neg_words = rng.choice(np.setdiff1d(np.arange(1, vocab_size), pos_words), 60, replace=False)
neutral_words = np.setdiff1d(np.arange(1, vocab_size), np.concatenate([pos_words, neg_words]))


def make_review(label):
    length = rng.integers(15, max_len)
    tokens = rng.choice(neutral_words, size=length)        # neutral filler words
    n_sent = rng.integers(2, 6)
    own = pos_words if label == 1 else neg_words
    other = neg_words if label == 1 else pos_words
    pos = rng.choice(length, size=n_sent + 1, replace=False)
    tokens[pos[:n_sent]] = rng.choice(own, n_sent)
    tokens[pos[n_sent]] = rng.choice(other)                 # a bit of mixed sentiment
    return tokens


n = 8000
labels = rng.integers(0, 2, n)
reviews = [make_review(l) for l in labels]
X = keras.utils.pad_sequences(reviews, maxlen=max_len, padding="post", value=0)
y = labels.astype("float32")

X_train, X_val, X_test = X[:6000], X[6000:7000], X[7000:]
y_train, y_val, y_test = y[:6000], y[6000:7000], y[7000:]

model = keras.Sequential([
    keras.Input(shape=(max_len,), dtype="int32"),
    layers.Embedding(vocab_size, 16, mask_zero=True),
    layers.GlobalAveragePooling1D(),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(X_train, y_train, validation_data=(X_val, y_val), epochs=8, batch_size=64, verbose=2)

loss, acc = model.evaluate(X_test, y_test, verbose=0)
print(f"test accuracy: {acc:.3f}  (loss {loss:.3f})")
