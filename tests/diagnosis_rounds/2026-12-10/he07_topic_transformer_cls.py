import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Short support tickets as token ids; topic = billing / shipping / tech.
# Each topic has its own keywords; the topic is the one with most keywords.
vocab_size, maxlen, n, n_topics = 300, 24, 2400, 3
CLS = 1
keywords = [np.arange(10, 25), np.arange(25, 40), np.arange(40, 55)]

x = rng.integers(60, vocab_size, size=(n, maxlen))
y = rng.integers(0, n_topics, size=n)
for i in range(n):
    others = [k for k in range(n_topics) if k != y[i]]
    counts = {y[i]: rng.integers(3, 6)}
    for k in others:
        counts[k] = rng.integers(0, counts[y[i]] - 1)
    slots = rng.permutation(maxlen)
    pos = 0
    for k, c in counts.items():
        x[i, slots[pos:pos + c]] = rng.choice(keywords[k], c)
        pos += c
x = np.concatenate([np.full((n, 1), CLS), x], axis=1).astype("int32")

x_train, x_val, x_test = x[:1800], x[1800:2100], x[2100:]
y_train, y_val, y_test = y[:1800], y[1800:2100], y[2100:]


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(vocab_size, embed_dim)
        self.pos_emb = layers.Embedding(maxlen, embed_dim)

    def call(self, x):
        positions = ops.arange(0, ops.shape(x)[-1], 1)
        return self.token_emb(x) + self.pos_emb(positions)


class EncoderBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim // num_heads)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="gelu"), layers.Dense(embed_dim)])
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.drop = layers.Dropout(rate)

    def call(self, inputs, training=None):
        h = self.norm1(inputs + self.drop(self.att(inputs, inputs), training=training))
        return self.norm2(h + self.drop(self.ffn(h), training=training))


embed_dim = 32
inputs = keras.Input(shape=(maxlen + 1,), dtype="int32")
h = TokenAndPositionEmbedding(maxlen + 1, vocab_size, embed_dim)(inputs)
h = EncoderBlock(embed_dim, num_heads=2, ff_dim=64)(h)
cls = layers.Lambda(lambda t: t[:, 0, :])(h)
outputs = layers.Dense(n_topics, activation="softmax")(layers.Dropout(0.1)(cls))
model = keras.Model(inputs, outputs)


def warmup_then_decay(epoch, lr):
    if epoch < 2:
        return 1e-3 * (epoch + 1) / 2
    return 1e-3 * 0.85 ** (epoch - 2)


model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy",
              metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), batch_size=64, epochs=8, verbose=2,
          callbacks=[keras.callbacks.LearningRateScheduler(warmup_then_decay)])
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.4f}")
