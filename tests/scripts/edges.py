"""Keras's fit at the edges of its data: no epochs, no rows, a validation split that leaves no
rows to train on (or, above 1, a negative split point that Keras slices with). Each case's
history or error is printed; the last error goes uncaught, so the script exits 1."""
import numpy as np

import keras

x = np.random.default_rng(0).normal(size=(8, 2)).astype("float32")
y = (x[:, 0] > 0).astype("float32")
model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, activation="sigmoid")])
model.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
before = [w.copy() for w in model.get_weights()]
CASES = {"epochs=0": dict(x=x, y=y, epochs=0),
         "0 rows": dict(x=x[:0], y=y[:0], epochs=1),
         "validation_split=0.95 of 8": dict(x=x, y=y, epochs=1, validation_split=0.95),
         "validation_split=1.5 of 8": dict(x=x[:4], y=y[:4], epochs=1, validation_split=1.5),
         "empty validation_data": dict(x=x, y=y, epochs=1, validation_data=(x[:0], y[:0]))}
for case, kwargs in CASES.items():
    try:
        h = model.fit(**kwargs, verbose=0, shuffle=False)
        print(case, "->", sorted(h.history), "epochs", len(h.history.get("loss", [])))
    except Exception as e:
        print(case, "-> raised", type(e).__name__)
    if case == "epochs=0":
        print("weights unchanged:", all(np.array_equal(a, b) for a, b in zip(before,
                                                                          model.get_weights())))
model.fit(x[:0], y[:0], epochs=1, verbose=0)
