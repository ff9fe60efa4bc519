import sys
import numpy as np
import keras
import torch
keras.utils.set_random_seed(3)
rng = np.random.default_rng(1)
x = rng.normal(size=(320, 5)).astype("float32")
y = (x[:, 0] - x[:, 3] > 0).astype("float32")
kind = sys.argv[1]
model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(8, activation="tanh"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile(keras.optimizers.SGD(0.1, momentum=0.5), "binary_crossentropy", metrics=["accuracy", keras.metrics.AUC()])
class Seq(keras.utils.PyDataset):
    def __len__(self): return 10
    def __getitem__(self, i): return x[i*32:(i+1)*32], y[i*32:(i+1)*32]
def gen():
    while True:
        for i in range(10):
            yield x[i*32:(i+1)*32], y[i*32:(i+1)*32]
if kind == "gen":
    h = model.fit(gen(), steps_per_epoch=10, epochs=3, verbose=0)
elif kind == "pyds":
    h = model.fit(Seq(), epochs=3, verbose=0, validation_data=Seq())
elif kind == "pyds-arrays":  # validation arrays beside a dataset: Keras unpacks the pair
    h = model.fit(Seq(), epochs=3, verbose=0, validation_data=(x[:64], y[:64]))
elif kind == "loader":
    dl = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.tensor(x), torch.tensor(y)), batch_size=32, shuffle=True)
    h = model.fit(dl, epochs=3, verbose=0)
elif kind == "tfdata":
    import tensorflow as tf
    ds = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(320, seed=1).batch(32)
    h = model.fit(ds, epochs=3, verbose=0)
elif kind == "oned":
    m = keras.Sequential([keras.Input((1,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    m.compile("adam", "mse")
    h = m.fit(x[:, 0], y, epochs=3, verbose=0, validation_data=(x[:50, 0], y[:50]))
elif kind == "dict":
    a = keras.Input((3,), name="a"); b = keras.Input((2,), name="b")
    out = keras.layers.Dense(1, activation="sigmoid")(keras.layers.Concatenate()([a, b]))
    m = keras.Model([a, b], out); m.compile("adam", "binary_crossentropy")
    h = m.fit({"a": x[:, :3], "b": x[:, 3:]}, y, epochs=3, verbose=0)
print(kind, {k: [round(v, 4) for v in vs] for k, vs in h.history.items()})
