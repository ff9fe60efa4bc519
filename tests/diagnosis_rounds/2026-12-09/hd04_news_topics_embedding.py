# News headline topic classifier (world / sports / business / tech) on token ids.
# Ids start at 1, 0 is the padding id, Embedding(mask_zero=True) + average pooling.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(14)
rng = np.random.default_rng(14)

VOCAB = 2000          # ids 1..1999, 0 = padding
MAXLEN = 30
N_TOPICS = 4
common = rng.dirichlet(np.ones(VOCAB - 1) * 0.3)
topic_dists = []
for k in range(N_TOPICS):
    special = np.zeros(VOCAB - 1)
    topic_words = rng.choice(VOCAB - 1, size=60, replace=False)
    special[topic_words] = rng.dirichlet(np.ones(60))
    topic_dists.append(0.75 * common + 0.25 * special)


def make_headline(topic):
    length = rng.integers(5, MAXLEN + 1)
    return list(rng.choice(VOCAB - 1, size=length, p=topic_dists[topic]) + 1)


topics = rng.integers(0, N_TOPICS, size=5000)
seqs = [make_headline(t) for t in topics]
x = keras.utils.pad_sequences(seqs, maxlen=MAXLEN, padding="post", value=0)
x_train, y_train = x[:4000], topics[:4000]
x_test, y_test = x[4000:], topics[4000:]

model = keras.Sequential([
    keras.Input(shape=(MAXLEN,), dtype="int32"),
    layers.Embedding(VOCAB, 32, mask_zero=True),
    layers.GlobalAveragePooling1D(),
    layers.Dense(32, activation="relu"),
    layers.Dropout(0.3),
    layers.Dense(N_TOPICS, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(3e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_split=0.1, epochs=5, batch_size=128, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test accuracy {acc:.4f}")
