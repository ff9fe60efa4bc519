# Multi-label tagging of articles (an article can be politics AND economy, ...)
# from a bag-of-words vector. Sigmoid outputs + binary crossentropy as
# recommended for multi-label, and I turned on label smoothing to avoid
# overconfidence. But the loss sits at 0.693 and every tag gets p ~ 0.5.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(23)
rng = np.random.default_rng(23)

VOCAB = 1000
TAGS = ["politics", "economy", "sports", "tech", "health", "culture"]
N = 3000

tag_words = [rng.choice(VOCAB, size=30, replace=False) for _ in TAGS]
Y = (rng.random((N, len(TAGS))) < 0.25).astype("float32")
Y[Y.sum(1) == 0, rng.integers(0, len(TAGS))] = 1.0
X = np.zeros((N, VOCAB), dtype="float32")
for i in range(N):
    words = list(rng.integers(0, VOCAB, size=40))           # background words
    for t in np.where(Y[i] == 1)[0]:
        words += list(rng.choice(tag_words[t], size=6))
    X[i, words] = 1.0                                        # multi-hot bag of words

model = keras.Sequential([
    keras.Input(shape=(VOCAB,)),
    layers.Dense(128, activation="relu"),
    layers.Dropout(0.3),
    layers.Dense(64, activation="relu"),
    layers.Dense(len(TAGS), activation="sigmoid"),
])
model.compile(
    optimizer="adam",
    loss=keras.losses.BinaryCrossentropy(label_smoothing=1.0),
    metrics=[keras.metrics.BinaryAccuracy(name="bin_acc"),
             keras.metrics.AUC(multi_label=True, name="auc")],
)
model.fit(X[:2400], Y[:2400], validation_data=(X[2400:], Y[2400:]),
          epochs=10, batch_size=64, verbose=2)

probs = model.predict(X[2400:2403], verbose=0)
print("tag probabilities:\n", probs.round(3))
print("true tags:\n", Y[2400:2403])
