"""A tf.data pipeline on the torch backend, as keras.io's examples build one: from_tensor_slices,
shuffle (reshuffled every epoch), batch, prefetch; a second, unshuffled one as validation_data;
a subclassed-free functional convnet on 8x8 single-channel images."""
# kinds: data.tf_dataset, data.validation_dataset, models.conv2d, metrics.object_sparse_accuracy

import numpy as np
import tensorflow as tf
import keras

keras.utils.set_random_seed(41)

rng = np.random.default_rng(41)
images = rng.normal(size=(960, 8, 8, 1)).astype("float32")
labels = (images[:, :4].mean(axis=(1, 2, 3)) > images[:, 4:].mean(axis=(1, 2, 3))).astype("int64")
labels += 2 * (images[:, :, :4].mean(axis=(1, 2, 3)) > 0)

train = (tf.data.Dataset.from_tensor_slices((images[:800], labels[:800]))
         .shuffle(800, seed=7).batch(32).prefetch(tf.data.AUTOTUNE))
val = tf.data.Dataset.from_tensor_slices((images[800:], labels[800:])).batch(64)

inputs = keras.Input(shape=(8, 8, 1))
h = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
h = keras.layers.GlobalAveragePooling2D()(h)
outputs = keras.layers.Dense(4, activation="softmax")(h)
model = keras.Model(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
              metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])

history = model.fit(train, validation_data=val, epochs=5, verbose=0)
print("loss", [round(v, 3) for v in history.history["loss"]])
print("val_acc", [round(v, 3) for v in history.history["val_acc"]])
loss, acc = model.evaluate(val, verbose=0)
print("evaluate", round(loss, 3), round(acc, 3))
