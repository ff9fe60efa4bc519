# Topic classifier (sports / tech / food) for short news snippets using an
# Embedding layer and a 1D convolution. Word index built on the training set.
from collections import Counter

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(707)
rng = np.random.default_rng(707)

filler = ["the", "a", "on", "in", "new", "today", "after", "with", "at", "and",
          "report", "says", "first", "big", "week"] + [f"w{i}" for i in range(300)]
topics = [
    ["match", "goal", "league", "coach", "season", "striker", "score", "cup",
     "team", "referee", "transfer", "stadium"],
    ["software", "chip", "startup", "cloud", "app", "robot", "data", "phone",
     "laptop", "ai", "update", "server"],
    ["recipe", "chef", "bake", "restaurant", "flavor", "dish", "menu", "cheese",
     "soup", "dessert", "spicy", "vegan"],
]


def make_snippet(label):
    words = []
    for _ in range(rng.integers(12, 30)):
        r = rng.random()
        if r < 0.12:
            words.append(topics[label][rng.integers(12)])
        elif r < 0.14:
            words.append(topics[rng.integers(3)][rng.integers(12)])
        else:
            words.append(filler[rng.integers(len(filler))])
    return " ".join(words)


labels = rng.integers(0, 3, size=3000)
texts = [make_snippet(l) for l in labels]
train_texts, val_texts = texts[:2400], texts[2400:]
y_train, y_val = labels[:2400], labels[2400:]

VOCAB, MAX_LEN = 400, 32
counts = Counter(w for t in train_texts for w in t.split())
word_index = {w: i + 2 for i, (w, _) in enumerate(counts.most_common(VOCAB - 2))}


def encode(texts):
    seqs = [[word_index.get(w, 1) for w in t.split()] for t in texts]
    return keras.utils.pad_sequences(seqs, maxlen=MAX_LEN, padding="post")


x_train, x_val = encode(train_texts), encode(val_texts)

model = keras.Sequential([
    keras.Input(shape=(MAX_LEN,), dtype="int32"),
    layers.Embedding(VOCAB, 32),
    layers.Conv1D(32, 3, activation="relu", padding="same"),
    layers.GlobalMaxPooling1D(),
    layers.Dropout(0.3),
    layers.Dense(3, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, y_train, epochs=10, batch_size=64,
          validation_data=(x_val, y_val), verbose=2)

print("val accuracy: %.3f" % model.evaluate(x_val, y_val, verbose=0)[1])
