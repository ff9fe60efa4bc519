import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# "Neural additive model": one small subnet per feature, outputs summed
N_FEATURES = 6
N = 3000


def shape_functions(x):
    return (
        np.sin(2 * x[:, 0])
        + 0.5 * x[:, 1] ** 2
        - np.abs(x[:, 2])
        + np.tanh(3 * x[:, 3])
        + 0.3 * x[:, 4]
        + 0.4 * np.cos(3 * x[:, 5])
    )


x_train = rng.uniform(-2, 2, size=(N, N_FEATURES)).astype("float32")
y_train = (shape_functions(x_train) + rng.normal(0, 0.1, N)).astype("float32")
x_test = rng.uniform(-2, 2, size=(600, N_FEATURES)).astype("float32")
y_test = shape_functions(x_test).astype("float32")
print("target variance:", y_test.var())

inputs = keras.Input(shape=(N_FEATURES,))
contributions = []
for i in range(N_FEATURES):
    feat = layers.Lambda(lambda t: t[:, i : i + 1], name=f"feature_{i}")(inputs)
    h = layers.Dense(32, activation="relu")(feat)
    contributions.append(layers.Dense(1)(h))
output = layers.Add()(contributions)
model = keras.Model(inputs, output)

model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
model.fit(x_train, y_train, batch_size=64, epochs=8, validation_split=0.2, verbose=2)
test_mse = model.evaluate(x_test, y_test, verbose=0)
print(f"test mse {test_mse:.4f}")
