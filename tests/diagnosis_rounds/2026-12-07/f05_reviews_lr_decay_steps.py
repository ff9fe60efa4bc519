"""Bag-of-embeddings sentiment classifier with an exponential LR schedule."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(5)
rng = np.random.default_rng(5)

# synthetic reviews: token ids, vocab of 2000; ids 10-59 lean positive, 60-109 lean negative
vocab, maxlen, n = 2000, 60, 4000
y = rng.integers(0, 2, n)
X = rng.integers(110, vocab, (n, maxlen))
for i in range(n):
    k = rng.integers(3, 8)
    pos = rng.choice(maxlen, k, replace=False)
    base = 10 if y[i] == 1 else 60
    X[i, pos] = base + rng.integers(0, 50, k)
y = y.astype("float32")

x_train, x_val = X[:3200], X[3200:]
y_train, y_val = y[:3200], y[3200:]

# halve the learning rate every 10 epochs
lr = keras.optimizers.schedules.ExponentialDecay(
    initial_learning_rate=1e-3, decay_steps=10, decay_rate=0.5, staircase=True)

model = keras.Sequential([
    keras.Input(shape=(maxlen,), dtype="int32"),
    layers.Embedding(vocab, 32),
    layers.GlobalAveragePooling1D(),
    layers.Dense(32, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val),
          epochs=15, batch_size=64, verbose=2)
print("val [loss, acc]:", model.evaluate(x_val, y_val, verbose=0))
