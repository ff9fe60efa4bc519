"""Adam with a keras.optimizers.schedules.ExponentialDecay learning rate, trained with
steps_per_epoch=8 on arrays of 20 batches: Keras does not restart the arrays each epoch, so they
run out in epoch 3 (Keras warns "Your input ran out of data") and the next epoch restarts them."""
# kinds: lr_schedule.exponential_decay, data.steps_per_epoch, callbacks.lambda, optimizers.adam_object, metrics.names, models.mlp

import numpy as np
import keras

keras.utils.set_random_seed(14)

rng = np.random.default_rng(14)
x = rng.normal(size=(640, 10)).astype("float32")
y = (np.abs(x[:, :2]).sum(axis=1) > 1.5).astype("float32")

lr_schedule = keras.optimizers.schedules.ExponentialDecay(
    initial_learning_rate=1e-2, decay_steps=10, decay_rate=0.9, staircase=True)
model = keras.Sequential([
    keras.Input(shape=(10,)),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=lr_schedule),
              loss="binary_crossentropy", metrics=["accuracy"])
steps_seen = []
count_steps = keras.callbacks.LambdaCallback(
    on_epoch_begin=lambda epoch, logs: steps_seen.append(0),
    on_train_batch_end=lambda batch, logs: steps_seen.__setitem__(-1, batch + 1))
history = model.fit(x, y, batch_size=32, epochs=5, steps_per_epoch=8, callbacks=[count_steps],
                    verbose=0)

print("steps per epoch", steps_seen)
print("optimizer iterations", int(keras.ops.convert_to_numpy(model.optimizer.iterations)))
print("current lr", round(float(keras.ops.convert_to_numpy(model.optimizer.learning_rate)), 6))
print("losses", [round(v, 3) for v in history.history["loss"]])
print("final accuracy", round(history.history["accuracy"][-1], 3))
print("history keys", sorted(history.history))
