"""Sparse autoencoder: a custom layer calls self.add_loss(L1 activity penalty) on the code, so
the reported loss is MSE plus the penalty: evaluate() comes out above the plain MSE."""
# kinds: models.add_loss, models.autoencoder, models.functional, optimizers.adam_string

import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(57)


class SparseCode(layers.Layer):
    def __init__(self, units, l1=1e-3, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(units, activation="relu")
        self.l1 = l1

    def call(self, inputs):
        code = self.dense(inputs)
        self.add_loss(self.l1 * ops.sum(ops.abs(code)) / ops.cast(ops.shape(code)[0], "float32"))
        return code


rng = np.random.default_rng(57)
x = rng.uniform(0, 1, size=(512, 20)).astype("float32")
x[:, 10:] = x[:, :10] * 0.5  # redundant half

inputs = keras.Input(shape=(20,))
code = SparseCode(6, l1=1e-2)(inputs)
outputs = layers.Dense(20, activation="sigmoid")(code)
autoencoder = keras.Model(inputs, outputs)
autoencoder.compile(optimizer="adam", loss="mse")
history = autoencoder.fit(x, x, epochs=6, batch_size=32, verbose=0)

print("losses", [round(v, 4) for v in history.history["loss"]])
print("evaluate", round(autoencoder.evaluate(x, x, verbose=0), 4))
recon = autoencoder.predict(x[:8], verbose=0)
print("pure mse", round(float(np.mean((recon - x[:8]) ** 2)), 4))
print("history keys", sorted(history.history))
