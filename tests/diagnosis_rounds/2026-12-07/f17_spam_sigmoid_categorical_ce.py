"""SMS spam filter: token ids -> Embedding -> pooling -> one sigmoid unit."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(18)
rng = np.random.default_rng(18)

vocab, maxlen, n = 3000, 40, 4000
is_spam = rng.random(n) < 0.4
X = rng.integers(200, vocab, (n, maxlen))
for i in np.where(is_spam)[0]:                      # spam messages use 'free', 'win', 'prize', ... (ids 1-199)
    k = rng.integers(3, 9)
    X[i, rng.choice(maxlen, k, replace=False)] = rng.integers(1, 200, k)
y = is_spam.astype("float32")

x_train, x_val = X[:3200], X[3200:]
y_train, y_val = y[:3200], y[3200:]

model = keras.Sequential([
    keras.Input(shape=(maxlen,), dtype="int32"),
    layers.Embedding(vocab, 16),
    layers.GlobalAveragePooling1D(),
    layers.Dense(16, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=8, batch_size=64, verbose=2)
print("val [loss, acc]:", model.evaluate(x_val, y_val, verbose=0))
