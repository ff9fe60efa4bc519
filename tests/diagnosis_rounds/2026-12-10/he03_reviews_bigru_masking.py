import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Variable-length "reviews" of token ids (0 = padding).
vocab_size, maxlen, n = 500, 30, 2400
good_words = np.arange(2, 22)
bad_words = np.arange(22, 42)

sequences, labels = [], []
for _ in range(n):
    length = rng.integers(8, maxlen + 1)
    seq = rng.integers(42, vocab_size, size=length)
    k = rng.choice([1, 3, 5])
    n_good = rng.integers(0, k + 1)
    slots = rng.choice(length, k, replace=False)
    seq[slots[:n_good]] = rng.choice(good_words, n_good)
    seq[slots[n_good:]] = rng.choice(bad_words, k - n_good)
    sequences.append(seq.tolist())
    labels.append(1 if 2 * n_good > k else 0)

x = keras.utils.pad_sequences(sequences, maxlen=maxlen, padding="post", value=0)
y = np.array(labels, dtype="float32")
print("positive rate:", y.mean(), "x shape:", x.shape)

x_train, x_test = x[:2000], x[2000:]
y_train, y_test = y[:2000], y[2000:]

model = keras.Sequential([
    keras.Input(shape=(maxlen,), dtype="int32"),
    layers.Embedding(vocab_size, 32, mask_zero=True),
    layers.Bidirectional(layers.GRU(16)),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=64, epochs=5, validation_split=0.2, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.4f}")
