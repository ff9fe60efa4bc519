import os
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

path = os.environ.get("SCEN_MNIST", "/work/shared/data/mnist.npz")
with np.load(path) as f:
    x_train, y_train = f["x_train"], f["y_train"]
    x_test, y_test = f["x_test"], f["y_test"]

train_idx = rng.choice(len(x_train), 4000, replace=False)
val_idx = np.setdiff1d(np.arange(len(x_train)), train_idx)[:1000]
x_val, y_val = x_train[val_idx], y_train[val_idx]
x_train, y_train = x_train[train_idx], y_train[train_idx]
test_idx = rng.choice(len(x_test), 2000, replace=False)
x_test, y_test = x_test[test_idx], y_test[test_idx]

def to_input(images):
    return np.expand_dims(images.astype("float32") / 255.0, -1)

x_train, x_val, x_test = to_input(x_train), to_input(x_val), to_input(x_test)
num_classes = 10

model = keras.Sequential([
    keras.Input(shape=(28, 28, 1)),
    layers.Conv2D(16, 3, padding="same", activation="relu"),
    layers.MaxPooling2D(),
    layers.Conv2D(32, 3, padding="same", activation="relu"),
    layers.MaxPooling2D(),
    layers.Flatten(),
    layers.Dense(64, activation="relu"),
    layers.Dropout(0.3),
    layers.Dense(num_classes, activation="softmax"),
])
model.compile(optimizer=keras.optimizers.Adam(2e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
callbacks = [
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=1e-4),
    keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=3, restore_best_weights=True),
]
model.fit(x_train, y_train, batch_size=64, epochs=6, validation_data=(x_val, y_val),
          callbacks=callbacks, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.4f}")
