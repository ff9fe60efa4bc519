"""Binary classifier on noisy tabular data with EarlyStopping(patience=3) on val_loss and no
weight restore: the classic "stop when validation loss stops improving" pattern, stopping early."""
# kinds: callbacks.early_stopping, data.validation_split, metrics.names, optimizers.adam_string, models.mlp

import numpy as np
import keras

keras.utils.set_random_seed(42)

rng = np.random.default_rng(0)
x = rng.normal(size=(600, 20)).astype("float32")
# only two informative features and 25% label noise: a wide net overfits quickly
y = ((x[:, 0] + 0.5 * x[:, 1]) > 0).astype("float32")
flip = rng.random(600) < 0.25
y[flip] = 1 - y[flip]

model = keras.Sequential([
    keras.Input(shape=(20,)),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(128, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

early_stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3)
history = model.fit(x, y, epochs=100, batch_size=32, validation_split=0.2,
                    callbacks=[early_stop], verbose=0)

print("epochs run", len(history.history["loss"]))
print("stopped_epoch", early_stop.stopped_epoch)
print("best val_loss", round(min(history.history["val_loss"]), 3))
print("final val_loss", round(history.history["val_loss"][-1], 3))
print("final accuracy", round(history.history["accuracy"][-1], 3))
print("history keys", sorted(history.history))
