import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(108)
np.random.seed(108)

# support tickets tagged with any of 5 topics (billing, login, bug, shipping, refund)
vocab_size, maxlen, n, k = 2000, 40, 2000, 5
topic_words = [np.arange(10 + 20 * j, 30 + 20 * j) for j in range(k)]
Y = (np.random.rand(n, k) < 0.3).astype("float32")
X = np.random.randint(200, vocab_size, (n, maxlen))
for i in range(n):
    for j in np.flatnonzero(Y[i]):
        pos = np.random.choice(maxlen, 3, replace=False)
        X[i, pos] = np.random.choice(topic_words[j], 3)

inputs = keras.Input(shape=(maxlen,), dtype="int32")
x = layers.Embedding(vocab_size, 32)(inputs)
x = layers.GlobalAveragePooling1D()(x)
x = layers.Dense(32, activation="relu")(x)
outputs = layers.Dense(k, activation="sigmoid")(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003), loss="binary_crossentropy",
              metrics=[keras.metrics.BinaryAccuracy(name="bin_acc"), keras.metrics.AUC(name="auc", multi_label=True)])
model.fit(X[:1600], Y[:1600], epochs=10, batch_size=32, validation_data=(X[1600:], Y[1600:]), verbose=2)
print(model.evaluate(X[1600:], Y[1600:], verbose=0, return_dict=True))
