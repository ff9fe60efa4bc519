# SMS spam filter: Embedding + average pooling, messages padded to 40 tokens and
# mask_zero=True so the padding is ignored. Val accuracy tops out around 65%,
# which is really poor for spam (the keyword baseline my colleague wrote does ~90%).
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(17)
rng = np.random.default_rng(17)

# vocabulary: special tokens first, then words
SPECIALS = ["<url>", "<num>", "<unk>"]
WORDS = [f"w{i}" for i in range(400)]
vocab = SPECIALS + WORDS
word_to_id = {w: i for i, w in enumerate(vocab)}

# word usage differs only a little between spam and ham
ham_p = rng.dirichlet(np.ones(len(WORDS)) * 0.5)
spam_p = 0.92 * ham_p + 0.08 * rng.dirichlet(np.ones(len(WORDS)) * 0.5)


def make_message(is_spam):
    length = rng.integers(8, 40)
    words = list(rng.choice(WORDS, size=length, p=spam_p if is_spam else ham_p))
    n_urls = rng.integers(1, 4) if rng.random() < (0.9 if is_spam else 0.08) else 0
    n_nums = rng.integers(0, 3)
    for tok in ["<url>"] * n_urls + ["<num>"] * n_nums:
        words.insert(rng.integers(0, len(words) + 1), tok)
    return [word_to_id[w] for w in words]


labels = (rng.random(4000) < 0.4).astype("float32")
sequences = [make_message(s) for s in labels]
x = keras.utils.pad_sequences(sequences, maxlen=40, padding="post", truncating="post")
x_train, y_train, x_val, y_val = x[:3200], labels[:3200], x[3200:], labels[3200:]

model = keras.Sequential([
    keras.Input(shape=(40,), dtype="int32"),
    layers.Embedding(len(vocab), 16, mask_zero=True),
    layers.GlobalAveragePooling1D(),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.AUC(name="auc")])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=8,
          batch_size=128, verbose=2)
print(model.evaluate(x_val, y_val, return_dict=True, verbose=0))
