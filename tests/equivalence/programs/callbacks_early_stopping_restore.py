"""House-price style regression with EarlyStopping(restore_best_weights=True) on an explicit
validation set; after fit, evaluate() on that set must give the best epoch's val_loss."""
# kinds: callbacks.early_stopping_restore, data.validation_data, metrics.names, optimizers.adam_object, models.mlp

import numpy as np
import keras

keras.utils.set_random_seed(7)

rng = np.random.default_rng(1)
w = rng.normal(size=(8, 1))
x_train = rng.normal(size=(400, 8)).astype("float32")
y_train = (x_train @ w + 0.3 * rng.normal(size=(400, 1))).astype("float32")
x_val = rng.normal(size=(100, 8)).astype("float32")
y_val = (x_val @ w + 0.3 * rng.normal(size=(100, 1))).astype("float32")

model = keras.Sequential([
    keras.Input(shape=(8,)),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(64, activation="relu"),
    keras.layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.01), loss="mse", metrics=["mae"])

callback = keras.callbacks.EarlyStopping(monitor="val_loss", patience=3,
                                         restore_best_weights=True)
history = model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=40,
                    batch_size=32, callbacks=[callback], verbose=0)

val_losses = history.history["val_loss"]
print("epochs run", len(history.history["loss"]))
print("best epoch", int(np.argmin(val_losses)) + 1)
print("best val_loss", round(min(val_losses), 3))
loss, mae = model.evaluate(x_val, y_val, verbose=0)
print("evaluate after restore", round(loss, 3), round(mae, 3))
print("history keys", sorted(history.history))
