import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Lab measurements: each row comes from an instrument with known noise level.
n, d = 3000, 6
X = rng.uniform(-2, 2, size=(n, d)).astype("float32")
signal = np.sin(1.5 * X[:, 0]) + 0.5 * X[:, 1] ** 2 - 0.8 * X[:, 2] + 0.3 * X[:, 3] * X[:, 4]
noise_sd = rng.choice([0.1, 0.3, 1.0], size=n, p=[0.4, 0.4, 0.2])
y = (signal + noise_sd * rng.normal(size=n)).astype("float32")
weights = (1.0 / noise_sd ** 2)
weights = (weights / weights.mean()).astype("float32")

x_train, x_val, x_test = X[:2200], X[2200:2600], X[2600:]
y_train, y_val, y_test = y[:2200], y[2200:2600], y[2600:]
w_train, w_val = weights[:2200], weights[2200:2600]
clean_test = signal[2600:].astype("float32")


class ResidualDense(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], self.units),
                                      initializer="he_normal", name="kernel")
        self.bias = self.add_weight(shape=(self.units,), initializer="zeros", name="bias")
        self.proj = None
        if input_shape[-1] != self.units:
            self.proj = self.add_weight(shape=(input_shape[-1], self.units),
                                        initializer="glorot_uniform", name="proj")

    def call(self, x):
        h = ops.relu(ops.matmul(x, self.kernel) + self.bias)
        skip = x if self.proj is None else ops.matmul(x, self.proj)
        return h + skip


class Regressor(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.block1 = ResidualDense(64)
        self.block2 = ResidualDense(64)
        self.norm = layers.LayerNormalization()
        self.head = layers.Dense(1)

    def call(self, x):
        return self.head(self.norm(self.block2(self.block1(x))))


model = Regressor()
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", weighted_metrics=["mae"])
model.fit(x_train, y_train, sample_weight=w_train, validation_data=(x_val, y_val, w_val),
          batch_size=64, epochs=15, verbose=2)
print("test (noisy targets) [mse, mae]:", model.evaluate(x_test, y_test, verbose=0))
pred = model.predict(x_test, verbose=0)[:, 0]
print("test mse vs clean signal:", float(np.mean((pred - clean_test) ** 2)),
      "signal variance:", float(np.var(clean_test)))
