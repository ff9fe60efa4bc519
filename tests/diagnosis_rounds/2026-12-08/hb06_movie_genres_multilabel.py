# Multi-label genre tagging of movies from plot keywords (bag of words).
# Each movie can have several genres -> sigmoid outputs + binary crossentropy.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(106)
rng = np.random.default_rng(106)

VOCAB = 800
GENRES = ["action", "comedy", "drama", "horror", "romance", "scifi"]
N = 3000
genre_words = [rng.choice(np.arange(50, VOCAB), size=25, replace=False) for _ in GENRES]

Y = np.zeros((N, len(GENRES)), dtype="float32")
X = np.zeros((N, VOCAB), dtype="float32")
for i in range(N):
    k = rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15])
    Y[i, rng.choice(len(GENRES), size=k, replace=False)] = 1.0
    words = list(rng.integers(0, VOCAB, size=30))               # generic plot words
    for g in np.where(Y[i] == 1)[0]:
        words += list(rng.choice(genre_words[g], size=5))
    np.add.at(X[i], words, 1.0)
X = np.log1p(X)                                                  # dampen counts

model = keras.Sequential([
    keras.Input(shape=(VOCAB,)),
    layers.Dense(64, activation="relu"),
    layers.Dropout(0.3),
    layers.Dense(len(GENRES), activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy",
              metrics=[keras.metrics.BinaryAccuracy(name="bin_acc"),
                       keras.metrics.AUC(multi_label=True, name="auc")])
model.fit(X[:2400], Y[:2400], validation_data=(X[2400:], Y[2400:]),
          epochs=12, batch_size=64, verbose=2)

pred = (model.predict(X[2400:], verbose=0) > 0.5).astype("float32")
exact = np.mean(np.all(pred == Y[2400:], axis=1))
print(f"exact-match ratio on validation: {exact:.3f}")
