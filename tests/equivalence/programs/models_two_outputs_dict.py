"""Functional model with two named outputs (a class and a score), fed a dict of inputs, compiled
with loss and metric dicts and loss_weights; the fit starts at initial_epoch=2."""
# kinds: models.two_outputs, data.dict_inputs, data.initial_epoch, metrics.objects, metrics.names, models.functional

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(51)

rng = np.random.default_rng(51)
n = 600
pixels = rng.normal(size=(n, 12)).astype("float32")
meta = rng.normal(size=(n, 3)).astype("float32")
kind = (pixels[:, 0] + meta[:, 0] > 0).astype("int32")
score = (pixels[:, 1] * 0.5 + meta[:, 1]).astype("float32")

pix_in = keras.Input(shape=(12,), name="pixels")
meta_in = keras.Input(shape=(3,), name="meta")
h = layers.Concatenate()([layers.Dense(16, activation="relu")(pix_in), meta_in])
h = layers.Dense(16, activation="relu")(h)
kind_out = layers.Dense(2, activation="softmax", name="kind")(h)
score_out = layers.Dense(1, name="score")(h)
model = keras.Model(inputs={"pixels": pix_in, "meta": meta_in},
                    outputs={"kind": kind_out, "score": score_out})

model.compile(
    optimizer=keras.optimizers.Adam(3e-3),
    loss={"kind": "sparse_categorical_crossentropy", "score": "mse"},
    loss_weights={"kind": 1.0, "score": 0.5},
    metrics={"kind": [keras.metrics.SparseCategoricalAccuracy(name="acc")], "score": ["mae"]},
)
history = model.fit({"pixels": pixels[:500], "meta": meta[:500]},
                    {"kind": kind[:500], "score": score[:500]},
                    validation_data=({"pixels": pixels[500:], "meta": meta[500:]},
                                     {"kind": kind[500:], "score": score[500:]}),
                    epochs=6, initial_epoch=2, batch_size=50, verbose=0)

print("epochs run", len(history.history["loss"]), "history.epoch", history.epoch)
print("final losses", {k: round(v[-1], 3) for k, v in sorted(history.history.items())
                       if k.endswith("loss")})
results = model.evaluate({"pixels": pixels[500:], "meta": meta[500:]},
                         {"kind": kind[500:], "score": score[500:]}, verbose=0,
                         return_dict=True)
print("evaluate", {k: round(float(v), 3) for k, v in sorted(results.items())})
preds = model.predict({"pixels": pixels[:4], "meta": meta[:4]}, verbose=0)
print("predict keys", sorted(preds), "shapes", [preds[k].shape for k in sorted(preds)])
print("history keys", sorted(history.history))
