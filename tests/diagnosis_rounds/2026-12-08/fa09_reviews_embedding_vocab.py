# Sentiment classifier for product reviews with an Embedding layer.
# Training accuracy goes to ~90% but validation accuracy stays around 50-55%
# from the very first epoch. I thought it was overfitting so I added dropout
# but it made no difference.
from collections import Counter

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(9)
rng = np.random.default_rng(9)

# --- fake review corpus -------------------------------------------------------
common = ["the", "a", "it", "is", "this", "and", "i", "was", "for", "of"]
neutral = [f"word{i}" for i in range(400)]
positive = ["great", "love", "excellent", "perfect", "happy", "recommend",
            "amazing", "works", "best", "nice"]
negative = ["broken", "refund", "terrible", "awful", "waste", "poor",
            "disappointed", "worst", "returned", "cheap"]


def make_review(label):
    n_words = rng.integers(15, 40)
    words = []
    for _ in range(n_words):
        r = rng.random()
        if r < 0.35:
            words.append(common[rng.integers(len(common))])
        elif r < 0.85:
            words.append(neutral[min(int(rng.zipf(1.3)) - 1, len(neutral) - 1)])
        else:
            pool = positive if (rng.random() < 0.8) == bool(label) else negative
            words.append(pool[rng.integers(len(pool))])
    return " ".join(words)


labels = rng.integers(0, 2, size=3000)
texts = [make_review(l) for l in labels]
train_texts, val_texts = texts[:2400], texts[2400:]
y_train, y_val = labels[:2400].astype("float32"), labels[2400:].astype("float32")

MAX_LEN = 40
VOCAB = 300


def texts_to_padded(texts):
    counts = Counter(w for t in texts for w in t.split())
    word_index = {w: i + 1 for i, (w, _) in enumerate(counts.most_common(VOCAB - 1))}
    seqs = [[word_index[w] for w in t.split() if w in word_index] for t in texts]
    return keras.utils.pad_sequences(seqs, maxlen=MAX_LEN, padding="post")


x_train = texts_to_padded(train_texts)
x_val = texts_to_padded(val_texts)

model = keras.Sequential([
    keras.Input(shape=(MAX_LEN,), dtype="int32"),
    layers.Embedding(VOCAB, 32),
    layers.GlobalAveragePooling1D(),
    layers.Dropout(0.3),
    layers.Dense(32, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

model.fit(x_train, y_train, epochs=12, batch_size=64,
          validation_data=(x_val, y_val), verbose=2)
