import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(13)
np.random.seed(13)

# toy review corpus: token ids, positive reviews use more "good" words
vocab_size, maxlen, n = 2000, 40, 3000
good_words = np.arange(10, 60)
bad_words = np.arange(60, 110)
sentiments = np.random.choice(["positive", "negative"], size=n)
seqs = np.random.randint(110, vocab_size, (n, maxlen))
for i, s in enumerate(sentiments):
    k = np.random.randint(3, 8)
    pos = np.random.choice(maxlen, k, replace=False)
    seqs[i, pos] = np.random.choice(good_words if s == "positive" else bad_words, k)

labels = (sentiments == "Positive").astype("float32")

x_train, x_val = seqs[:2400], seqs[2400:]
y_train, y_val = labels[:2400], labels[2400:]

model = keras.Sequential([
    keras.Input(shape=(maxlen,)),
    layers.Embedding(vocab_size, 32),
    layers.GlobalAveragePooling1D(),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, epochs=8, batch_size=64, validation_data=(x_val, y_val), verbose=2)
print("val loss/acc:", model.evaluate(x_val, y_val, verbose=0))
