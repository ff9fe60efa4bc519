"""Tabular model with named inputs, fed a dict of arrays keyed by the Input names (the
structured-data pattern), with validation_split and EarlyStopping(restore_best_weights=True)."""
# kinds: data.dict_inputs, data.validation_split, callbacks.early_stopping_restore, optimizers.adam_string, models.functional

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(35)

rng = np.random.default_rng(35)
n = 700
features = {
    "age": rng.uniform(18, 80, size=(n, 1)).astype("float32") / 80.0,
    "income": rng.lognormal(0, 0.5, size=(n, 1)).astype("float32"),
    "visits": rng.poisson(3, size=(n, 1)).astype("float32") / 10.0,
}
y = ((features["age"][:, 0] * 2 + features["visits"][:, 0] * 3 - features["income"][:, 0]) > 0.6)
y = y.astype("float32")

inputs = {name: keras.Input(shape=(1,), name=name) for name in features}
x = layers.Concatenate()([inputs["age"], inputs["income"], inputs["visits"]])
x = layers.Dense(16, activation="relu")(x)
output = layers.Dense(1, activation="sigmoid")(x)
model = keras.Model(inputs=inputs, outputs=output)
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

early = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
history = model.fit(features, y, validation_split=0.2, epochs=8, batch_size=32,
                    callbacks=[early], verbose=0)

print("epochs run", len(history.history["loss"]))
print("best val_loss", round(min(history.history["val_loss"]), 3))
sample = {name: arr[:3] for name, arr in features.items()}
print("predict", [round(float(p), 3) for p in model.predict(sample, verbose=0)[:, 0]])
print("history keys", sorted(history.history))
