# Subclassed keras.Model with a residual block for a nonlinear regression
# problem (predicting a chemical yield from 6 process settings).
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(404)
rng = np.random.default_rng(404)

n = 3000
x = rng.uniform(-2, 2, size=(n, 6)).astype("float32")
yield_ = (np.sin(x[:, 0]) * 2.0 + x[:, 1] ** 2 - 0.5 * x[:, 2] * x[:, 3]
          + 0.8 * x[:, 4] + 0.4 * rng.normal(size=n)).astype("float32")

x_train, y_train = x[:2400], yield_[:2400]
x_val, y_val = x[2400:], yield_[2400:]

mu, sd = x_train.mean(axis=0), x_train.std(axis=0)
x_train = (x_train - mu) / sd
x_val = (x_val - mu) / sd
y_mu, y_sd = y_train.mean(), y_train.std()
y_train_s = (y_train - y_mu) / y_sd
y_val_s = (y_val - y_mu) / y_sd


class YieldNet(keras.Model):
    def __init__(self, width=64, **kwargs):
        super().__init__(**kwargs)
        self.inp = layers.Dense(width, activation="relu")
        self.block1 = layers.Dense(width, activation="relu")
        self.block2 = layers.Dense(width)
        self.act = layers.Activation("relu")
        self.head = layers.Dense(1)

    def call(self, inputs):
        h = self.inp(inputs)
        r = self.block2(self.block1(h))
        h = self.act(h + r)
        return self.head(h)


model = YieldNet()
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="mse", metrics=["mae"])
model.fit(x_train, y_train_s, epochs=20, batch_size=64,
          validation_data=(x_val, y_val_s), verbose=2)

pred = model.predict(x_val, verbose=0)[:, 0] * y_sd + y_mu
print("val MAE in original units: %.3f (target std %.3f)" % (
    np.abs(pred - y_val).mean(), y_val.std()))
