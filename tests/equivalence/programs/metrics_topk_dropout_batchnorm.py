"""Five-class classifier with one-hot targets, Dropout and BatchNormalization, validation_data,
and TopKCategoricalAccuracy(k=2) next to "accuracy"."""
# kinds: metrics.objects, metrics.names, models.dropout_batchnorm, data.validation_data, models.mlp

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(9)

rng = np.random.default_rng(9)
centers = rng.normal(scale=1.5, size=(5, 16))
labels = rng.integers(0, 5, size=700)
x = (centers[labels] + rng.normal(size=(700, 16))).astype("float32")
y = keras.utils.to_categorical(labels, num_classes=5)

model = keras.Sequential([
    keras.Input(shape=(16,)),
    layers.Dense(64),
    layers.BatchNormalization(),
    layers.Activation("relu"),
    layers.Dropout(0.5),
    layers.Dense(32, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(5, activation="softmax"),
])
model.compile(optimizer="adam", loss="categorical_crossentropy",
              metrics=["accuracy", keras.metrics.TopKCategoricalAccuracy(k=2)])
history = model.fit(x[:560], y[:560], validation_data=(x[560:], y[560:]), epochs=5,
                    batch_size=32, verbose=0)

print("final val accuracy", round(history.history["val_accuracy"][-1], 3))
print("final val top-2", round(history.history["val_top_k_categorical_accuracy"][-1], 3))
loss, acc, top2 = model.evaluate(x[560:], y[560:], verbose=0)
print("evaluate", round(loss, 3), round(acc, 3), round(top2, 3))
bn = model.layers[1]
print("moving mean sample", [round(float(v), 3) for v in bn.moving_mean.numpy()[:3]])
print("history keys", sorted(history.history))
