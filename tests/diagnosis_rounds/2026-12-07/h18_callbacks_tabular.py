import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(11)
rng = np.random.default_rng(11)

# wine-quality-like tabular classification: 4 classes from 14 features
n = 6000
X = rng.normal(size=(n, 14)).astype("float32")
W = rng.normal(size=(14, 4))
logits = X @ W + 0.8 * np.stack([X[:, 0] * X[:, 1], X[:, 2] ** 2, -X[:, 3] * X[:, 5], np.abs(X[:, 6])], 1)
y = np.argmax(logits + rng.gumbel(0, 0.7, (n, 4)), axis=1)

x_train, y_train = X[:4800], y[:4800]
x_test, y_test = X[4800:], y[4800:]

model = keras.Sequential([
    keras.Input(shape=(14,)),
    layers.Dense(64, activation="relu"),
    layers.Dropout(0.2),
    layers.Dense(32, activation="relu"),
    layers.Dense(4, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.05, momentum=0.9),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])

callbacks = [
    keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True),
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-4),
]
history = model.fit(x_train, y_train, validation_split=0.2, epochs=60, batch_size=128,
                    callbacks=callbacks, verbose=2)
print("stopped after", len(history.history["loss"]), "epochs")

loss, acc = model.evaluate(x_test, y_test, verbose=0)
print("Test loss %.4f, test accuracy %.4f" % (loss, acc))
