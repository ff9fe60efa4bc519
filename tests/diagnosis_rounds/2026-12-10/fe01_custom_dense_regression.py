import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# synthetic housing-style regression data
n, d = 3000, 8
X = rng.normal(size=(n, d)).astype("float32")
w_true = rng.normal(size=(d,)).astype("float32")
y = (X @ w_true + 0.8 * np.sin(2 * X[:, 0]) + 0.5 * X[:, 1] * X[:, 2]
     + 0.1 * rng.normal(size=n)).astype("float32")
y = ((y - y.mean()) / y.std()).astype("float32")

x_train, x_test = X[:2400], X[2400:]
y_train, y_test = y[:2400], y[2400:]


class MyDense(layers.Layer):
    def __init__(self, units, activation=None, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.w = self.add_weight(
            shape=(input_shape[-1], self.units),
            initializer="glorot_uniform",
            trainable=False,
            name="kernel",
        )
        self.b = self.add_weight(
            shape=(self.units,), initializer="zeros", name="bias"
        )

    def call(self, inputs):
        return self.activation(ops.matmul(inputs, self.w) + self.b)


inputs = keras.Input(shape=(d,))
x = MyDense(64, activation="relu")(inputs)
x = MyDense(64, activation="relu")(x)
outputs = MyDense(1)(x)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse", metrics=["mae"])

model.fit(x_train, y_train, batch_size=64, epochs=12, validation_split=0.1, verbose=2)
print("test [mse, mae]:", model.evaluate(x_test, y_test, verbose=0))
