import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

VOCAB = 500
MAXLEN = 40
POS_WORDS = np.arange(10, 30)
NEG_WORDS = np.arange(30, 50)


def make_reviews(n):
    x = np.zeros((n, MAXLEN), dtype="int32")
    y = rng.integers(0, 2, size=n)
    for i in range(n):
        length = rng.integers(8, MAXLEN - 4)
        seq = rng.integers(50, VOCAB, size=length)
        k = rng.integers(1, 4)
        pos = rng.choice(length, size=k, replace=False)
        seq[pos] = rng.choice(POS_WORDS if y[i] == 1 else NEG_WORDS, size=k)
        x[i, :length] = seq  # post-padding with 0
    return x, y


x_train, y_train = make_reviews(3000)
x_test, y_test = make_reviews(600)


class AttentionPooling(layers.Layer):
    """Additive attention pooling over time that ignores padded positions."""

    def __init__(self, units=32, **kwargs):
        super().__init__(**kwargs)
        self.score_dense = layers.Dense(units, activation="tanh")
        self.score_out = layers.Dense(1)

    def call(self, inputs):
        hidden, token_ids = inputs
        padding_mask = ops.not_equal(token_ids, 0)  # (batch, time)
        scores = ops.squeeze(self.score_out(self.score_dense(hidden)), -1)
        scores = ops.where(padding_mask, -1e9, scores)
        weights = ops.softmax(scores, axis=-1)
        return ops.sum(hidden * ops.expand_dims(weights, -1), axis=1)


tokens = keras.Input(shape=(MAXLEN,), dtype="int32")
h = layers.Embedding(VOCAB, 32)(tokens)
h = layers.Dense(32, activation="relu")(h)
pooled = AttentionPooling()([h, tokens])
x = layers.Dense(16, activation="relu")(pooled)
out = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(tokens, out)

model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=64, epochs=6, validation_split=0.2, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.4f}")
