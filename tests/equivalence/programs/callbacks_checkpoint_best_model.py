"""Multi-class MLP with ModelCheckpoint(save_best_only=True) writing a whole .keras model on the
best val accuracy, then load_model() of the checkpoint and evaluate it (the keras.io pattern)."""
# kinds: callbacks.model_checkpoint, metrics.objects, data.validation_split, files.write, models.mlp

import numpy as np
import keras

keras.utils.set_random_seed(3)

rng = np.random.default_rng(3)
centers = rng.normal(scale=2.0, size=(4, 10))
labels = rng.integers(0, 4, size=800)
x = (centers[labels] + rng.normal(size=(800, 10))).astype("float32")
y = labels.astype("int64")

model = keras.Sequential([
    keras.Input(shape=(10,)),
    keras.layers.Dense(32, activation="relu"),
    keras.layers.Dense(4, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
              metrics=[keras.metrics.SparseCategoricalAccuracy()])

checkpoint = keras.callbacks.ModelCheckpoint(
    "best_model.keras", monitor="val_sparse_categorical_accuracy", mode="max",
    save_best_only=True)
history = model.fit(x, y, epochs=6, batch_size=64, validation_split=0.2,
                    callbacks=[checkpoint], verbose=0)

best = keras.models.load_model("best_model.keras")
loss, acc = best.evaluate(x[-160:], y[-160:], verbose=0)
print("best val acc", round(max(history.history["val_sparse_categorical_accuracy"]), 3))
print("checkpoint evaluate", round(loss, 3), round(acc, 3))
print("final train loss", round(history.history["loss"][-1], 3))
print("history keys", sorted(history.history))
