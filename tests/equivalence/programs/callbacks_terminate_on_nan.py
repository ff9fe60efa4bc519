"""A too-large SGD learning rate makes an unscaled regression diverge; TerminateOnNaN stops the
fit at the first NaN loss (the "my loss is nan" question)."""
# kinds: callbacks.terminate_on_nan, optimizers.sgd_object, models.mlp

import math

import numpy as np
import keras

keras.utils.set_random_seed(13)

rng = np.random.default_rng(13)
x = rng.uniform(0, 100, size=(256, 3)).astype("float32")  # unscaled features
y = (x.sum(axis=1) * 10).astype("float32")

model = keras.Sequential([
    keras.Input(shape=(3,)),
    keras.layers.Dense(8),
    keras.layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05), loss="mse")

history = model.fit(x, y, epochs=20, batch_size=32,
                    callbacks=[keras.callbacks.TerminateOnNaN()], verbose=0)

losses = history.history["loss"]
print("epochs run", len(losses))
print("last loss is nan", math.isnan(losses[-1]) or math.isinf(losses[-1]))
print("stop_training", model.stop_training)
print("history keys", sorted(history.history))
