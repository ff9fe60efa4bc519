"""Imbalanced binary classification (fraud-detection style) with class_weight and the metric
objects BinaryAccuracy(), AUC(), Precision(), Recall(); evaluate(return_dict=True) afterwards."""
# kinds: metrics.objects, data.class_weight, optimizers.adam_object, models.mlp

import numpy as np
import keras

keras.utils.set_random_seed(23)

rng = np.random.default_rng(23)
n = 1000
x = rng.normal(size=(n, 8)).astype("float32")
score = x[:, 0] + 0.5 * x[:, 1] + 0.5 * rng.normal(size=n)
y = (score > 1.6).astype("float32")  # about 10% positives
neg, pos = np.bincount(y.astype(int))
class_weight = {0: float(n / (2.0 * neg)), 1: float(n / (2.0 * pos))}

model = keras.Sequential([
    keras.Input(shape=(8,)),
    keras.layers.Dense(16, activation="relu"),
    keras.layers.Dense(1, activation="sigmoid"),
])
model.compile(
    optimizer=keras.optimizers.Adam(learning_rate=1e-2),
    loss=keras.losses.BinaryCrossentropy(),
    metrics=[keras.metrics.BinaryAccuracy(), keras.metrics.AUC(), keras.metrics.Precision(),
             keras.metrics.Recall()],
)
history = model.fit(x[:800], y[:800], epochs=5, batch_size=64, class_weight=class_weight,
                    verbose=0)

print("positives", int(pos), "class weights", {k: round(v, 3) for k, v in class_weight.items()})
results = model.evaluate(x[800:], y[800:], verbose=0, return_dict=True)
print("evaluate", {k: round(float(v), 3) for k, v in sorted(results.items())})
print("final train loss", round(history.history["loss"][-1], 3))
print("history keys", sorted(history.history))
