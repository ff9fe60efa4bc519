import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Hourly electricity load, forecast 1h, 6h and 12h ahead from the last 24 hours
WINDOW = 24
HORIZONS = [1, 6, 12]

t = np.arange(20000)
load = (
    np.sin(2 * np.pi * t / 24)
    + 0.5 * np.sin(2 * np.pi * t / 168)
    + 0.3 * np.sin(2 * np.pi * t / 24 * 2 + 1.0)
    + 0.1 * rng.normal(size=t.size)
).astype("float32")


def make_windows(n, lo, hi):
    starts = rng.integers(lo, hi - WINDOW - max(HORIZONS), size=n)
    x = np.stack([load[s : s + WINDOW] for s in starts])
    ys = {f"h{h}": load[starts + WINDOW - 1 + h][:, None] for h in HORIZONS}
    return x, ys


x_train, y_train = make_windows(3000, 0, 15000)
x_test, y_test = make_windows(600, 15000, 20000)

inputs = keras.Input(shape=(WINDOW,), name="history")
z = layers.Dense(64, activation="relu")(inputs)
z = layers.Dense(64, activation="relu")(z)

head_hidden = layers.Dense(32, activation="relu")
head_out = layers.Dense(1)
outputs = {}
for h in HORIZONS:
    outputs[f"h{h}"] = head_out(head_hidden(z))

model = keras.Model(inputs, outputs)
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss={f"h{h}": "mse" for h in HORIZONS},
)
model.fit(x_train, y_train, batch_size=64, epochs=10, validation_split=0.2, verbose=2)

results = model.evaluate(x_test, y_test, verbose=0, return_dict=True)
print("test:", {k: round(float(v), 4) for k, v in results.items()})
print("target variance:", {k: round(float(v.var()), 4) for k, v in y_test.items()})
