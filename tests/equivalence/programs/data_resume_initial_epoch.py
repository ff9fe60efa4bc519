"""Train, model.save("model.keras"), load it back and continue training with
initial_epoch=3 (the "resume training" question); the second history has only the new epochs."""
# kinds: data.initial_epoch, files.write, models.mlp, optimizers.adam_string, metrics.names

import numpy as np
import keras

keras.utils.set_random_seed(43)

rng = np.random.default_rng(43)
x = rng.normal(size=(400, 5)).astype("float32")
y = (x[:, 0] - 2 * x[:, 1] + 0.1 * rng.normal(size=400)).astype("float32")

model = keras.Sequential([
    keras.Input(shape=(5,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
first = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
model.save("model.keras")

restored = keras.models.load_model("model.keras")
print("restored optimizer iterations",
      int(keras.ops.convert_to_numpy(restored.optimizer.iterations)))
epochs_seen = []
second = restored.fit(x, y, epochs=6, initial_epoch=3, batch_size=32, verbose=0,
                      callbacks=[keras.callbacks.LambdaCallback(
                          on_epoch_begin=lambda epoch, logs: epochs_seen.append(epoch))])

print("first fit epochs", len(first.history["loss"]), "loss", round(first.history["loss"][-1], 3))
print("second fit epochs", len(second.history["loss"]), "epoch numbers", epochs_seen)
print("second fit losses", [round(v, 3) for v in second.history["loss"]])
print("history.epoch", second.epoch)
print("history keys", sorted(second.history))
