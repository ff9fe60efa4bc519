import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Synthetic "reviews": token ids, sentiment decided by positive vs negative words
vocab_size, maxlen, n = 200, 24, 2000
PAD, CLS = 0, 1
pos_words = np.arange(10, 20)
neg_words = np.arange(20, 30)

seqs = rng.integers(30, vocab_size, size=(n, maxlen))
labels = rng.integers(0, 2, size=n)
for i in range(n):
    k_major, k_minor = rng.integers(3, 7), rng.integers(0, 3)
    major = pos_words if labels[i] == 1 else neg_words
    minor = neg_words if labels[i] == 1 else pos_words
    slots = rng.choice(maxlen, k_major + k_minor, replace=False)
    seqs[i, slots[:k_major]] = rng.choice(major, k_major)
    seqs[i, slots[k_major:]] = rng.choice(minor, k_minor)

x = np.concatenate([np.full((n, 1), CLS), seqs], axis=1).astype("int32")
y = labels.astype("float32")
x_train, x_test = x[:1600], x[1600:]
y_train, y_test = y[:1600], y[1600:]


class TokenAndPositionEmbedding(layers.Layer):
    def __init__(self, maxlen, vocab_size, embed_dim, **kwargs):
        super().__init__(**kwargs)
        self.token_emb = layers.Embedding(vocab_size, embed_dim)
        self.pos_emb = layers.Embedding(maxlen, embed_dim)

    def call(self, x):
        positions = ops.arange(0, ops.shape(x)[-1], 1)
        return self.token_emb(x) + self.pos_emb(positions)


class TransformerBlock(layers.Layer):
    def __init__(self, embed_dim, num_heads, ff_dim, rate=0.1, **kwargs):
        super().__init__(**kwargs)
        self.att = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim // num_heads)
        self.ffn = keras.Sequential([layers.Dense(ff_dim, activation="relu"), layers.Dense(embed_dim)])
        self.norm1 = layers.LayerNormalization(epsilon=1e-6)
        self.norm2 = layers.LayerNormalization(epsilon=1e-6)
        self.drop1 = layers.Dropout(rate)
        self.drop2 = layers.Dropout(rate)

    def call(self, inputs, training=None):
        attn_out = self.att(inputs, inputs, use_causal_mask=True)
        out1 = self.norm1(inputs + self.drop1(attn_out, training=training))
        ffn_out = self.ffn(out1)
        return self.norm2(out1 + self.drop2(ffn_out, training=training))


embed_dim = 32
inputs = keras.Input(shape=(maxlen + 1,), dtype="int32")
h = TokenAndPositionEmbedding(maxlen + 1, vocab_size, embed_dim)(inputs)
h = TransformerBlock(embed_dim, num_heads=2, ff_dim=64)(h)
cls = layers.Lambda(lambda t: t[:, 0, :])(h)
cls = layers.Dense(32, activation="relu")(cls)
outputs = layers.Dense(1, activation="sigmoid")(cls)
model = keras.Model(inputs, outputs)

model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=64, epochs=6, validation_split=0.1, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.4f}")
