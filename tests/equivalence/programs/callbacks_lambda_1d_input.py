"""Fit a straight line y = 3x + 2 from a 1-D x of shape (n,) with Input((1,)) (Keras's fit
accepts it), recording the loss per epoch with a LambdaCallback."""
# kinds: callbacks.lambda, data.x_1d, metrics.names, optimizers.adam_object, models.mlp

import numpy as np
import keras

keras.utils.set_random_seed(2)

rng = np.random.default_rng(2)
x = rng.uniform(-2, 2, size=300).astype("float32")          # shape (300,)
y = (3.0 * x + 2.0 + 0.1 * rng.normal(size=300)).astype("float32")

model = keras.Sequential([keras.Input(shape=(1,)), keras.layers.Dense(1)])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.1), loss="mse", metrics=["mse"])

epoch_losses = []
events = []
log_losses = keras.callbacks.LambdaCallback(
    on_train_begin=lambda logs: events.append("begin"),
    on_epoch_end=lambda epoch, logs: epoch_losses.append(round(logs["loss"], 3)),
    on_train_end=lambda logs: events.append("end"),
)
history = model.fit(x, y, epochs=10, batch_size=32, callbacks=[log_losses], verbose=0)

weight, bias = model.layers[0].get_weights()
print("events", events)
print("losses", epoch_losses)
print("slope", round(float(weight[0, 0]), 2), "intercept", round(float(bias[0]), 2))
print("predict shape", model.predict(x[:5], verbose=0).shape)
print("history keys", sorted(history.history))
