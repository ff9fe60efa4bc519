import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(12)
np.random.seed(12)

# short product reviews (5-15 tokens), sentiment decided by a few opinion words
vocab_size, n = 1000, 1500
pos_words, neg_words = np.arange(2, 12), np.arange(12, 22)
texts, labels = [], []
for i in range(n):
    length = np.random.randint(5, 16)
    seq = list(np.random.randint(22, vocab_size, length))
    lab = np.random.randint(0, 2)
    seq[np.random.randint(0, 3)] = np.random.choice(pos_words if lab else neg_words)
    texts.append(seq)
    labels.append(lab)
labels = np.array(labels, dtype="float32")

maxlen = 100
X = keras.utils.pad_sequences(texts, maxlen=maxlen, padding="post", truncating="post")

model = keras.Sequential([
    keras.Input(shape=(maxlen,)),
    layers.Embedding(vocab_size, 32),
    layers.LSTM(16),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(X[:1200], labels[:1200], epochs=8, batch_size=64, validation_data=(X[1200:], labels[1200:]), verbose=2)
print("val loss/acc:", model.evaluate(X[1200:], labels[1200:], verbose=0))
