"""Multi-task functional model with a list of two outputs compiled with lists of losses and
metrics and loss_weights, trained with validation_split and the "rmsprop" optimizer string."""
# kinds: models.two_outputs, data.validation_split, metrics.names, metrics.objects, optimizers.rmsprop_string, models.functional

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(53)

rng = np.random.default_rng(53)
x = rng.normal(size=(500, 8)).astype("float32")
y_reg = (x[:, 0] + x[:, 1] ** 2).astype("float32").reshape(-1, 1)
y_cls = (x[:, 2] > 0).astype("float32").reshape(-1, 1)

inp = keras.Input(shape=(8,))
shared = layers.Dense(32, activation="relu")(inp)
reg = layers.Dense(1, name="regression")(shared)
cls = layers.Dense(1, activation="sigmoid", name="classification")(shared)
model = keras.Model(inp, [reg, cls])
model.compile(optimizer="rmsprop", loss=["mse", "binary_crossentropy"], loss_weights=[0.3, 1.0],
              metrics=[["mae"], [keras.metrics.BinaryAccuracy(), keras.metrics.AUC()]])
history = model.fit(x, [y_reg, y_cls], validation_split=0.2, epochs=4, batch_size=32,
                    verbose=0)

results = model.evaluate(x, [y_reg, y_cls], verbose=0)
print("evaluate", [round(float(v), 3) for v in results])
print("metrics_names", model.metrics_names)
reg_pred, cls_pred = model.predict(x[:3], verbose=0)
print("predict shapes", reg_pred.shape, cls_pred.shape)
print("history keys", sorted(history.history))
