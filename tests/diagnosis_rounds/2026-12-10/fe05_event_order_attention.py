import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Clickstream sessions of page ids. Label: did the user reach the
# "signup" page (id 4) within the first 8 clicks of the session?
vocab_size, seq_len, n = 60, 16, 2000
SIGNUP = 4
x = rng.integers(5, vocab_size, size=(n, seq_len))
y = np.zeros(n, dtype="float32")
for i in range(n):
    pos = rng.integers(0, seq_len)
    x[i, pos] = SIGNUP
    y[i] = float(pos < 8)
x = x.astype("int32")

x_train, x_val, x_test = x[:1400], x[1400:1700], x[1700:]
y_train, y_val, y_test = y[:1400], y[1400:1700], y[1700:]


class SessionClassifier(keras.Model):
    def __init__(self, vocab_size, embed_dim=32, num_heads=2, **kwargs):
        super().__init__(**kwargs)
        self.embedding = layers.Embedding(vocab_size, embed_dim)
        self.attention = layers.MultiHeadAttention(num_heads=num_heads, key_dim=embed_dim)
        self.norm1 = layers.LayerNormalization()
        self.ffn = layers.Dense(embed_dim, activation="relu")
        self.norm2 = layers.LayerNormalization()
        self.pool = layers.GlobalAveragePooling1D()
        self.hidden = layers.Dense(32, activation="relu")
        self.out = layers.Dense(1, activation="sigmoid")

    def call(self, inputs):
        h = self.embedding(inputs)
        h = self.norm1(h + self.attention(h, h))
        h = self.norm2(h + self.ffn(h))
        h = self.pool(h)
        return self.out(self.hidden(h))


model = SessionClassifier(vocab_size)
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="binary_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), batch_size=64, epochs=10, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.4f}")
