"""Small Conv2D net on 8x8 "images" with BatchNormalization and Dropout, saving the best weights
with ModelCheckpoint(save_weights_only=True) and lowering the LR with ReduceLROnPlateau."""
# kinds: callbacks.model_checkpoint, callbacks.reduce_lr_on_plateau, models.convnet, models.dropout_batchnorm, data.validation_data, files.write

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(11)

rng = np.random.default_rng(11)
n = 512
x = rng.uniform(0, 1, size=(n, 8, 8, 1)).astype("float32")
# class = which quadrant is brightest
quads = np.stack([x[:, :4, :4].mean((1, 2, 3)), x[:, :4, 4:].mean((1, 2, 3)),
                  x[:, 4:, :4].mean((1, 2, 3)), x[:, 4:, 4:].mean((1, 2, 3))], axis=1)
y = quads.argmax(axis=1)
x_train, y_train, x_val, y_val = x[:400], y[:400], x[400:], y[400:]

model = keras.Sequential([
    keras.Input(shape=(8, 8, 1)),
    layers.Conv2D(8, 3, padding="same", activation="relu"),
    layers.BatchNormalization(),
    layers.MaxPooling2D(),
    layers.Conv2D(16, 3, padding="same", activation="relu"),
    layers.Flatten(),
    layers.Dropout(0.3),
    layers.Dense(4, activation="softmax"),
])
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])

callbacks = [
    keras.callbacks.ModelCheckpoint("convnet.weights.h5", monitor="val_loss",
                                    save_best_only=True, save_weights_only=True),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=1e-4),
]
history = model.fit(x_train, y_train, batch_size=32, epochs=6,
                    validation_data=(x_val, y_val), callbacks=callbacks, verbose=0)

model.load_weights("convnet.weights.h5")
loss, acc = model.evaluate(x_val, y_val, verbose=0)
print("best val_loss", round(min(history.history["val_loss"]), 3))
print("reloaded evaluate", round(loss, 3), round(acc, 3))
print("learning rates", [round(v, 6) for v in history.history["learning_rate"]])
print("history keys", sorted(history.history))
