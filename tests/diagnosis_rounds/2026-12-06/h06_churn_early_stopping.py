import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(106)
np.random.seed(106)

n, d = 3000, 15
X = np.random.normal(0, 1, (n, d)).astype("float32")
logit = 1.5 * X[:, 0] - 1.0 * X[:, 1] + np.sin(2 * X[:, 2]) + 0.8 * X[:, 3] * X[:, 4]
y = (logit + np.random.normal(0, 0.5, n) > 0).astype("float32")
x_train, y_train, x_val, y_val = X[:2400], y[:2400], X[2400:], y[2400:]

model = keras.Sequential([
    keras.Input(shape=(d,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])
early_stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=4, restore_best_weights=True)
history = model.fit(x_train, y_train, epochs=40, batch_size=32,
                    validation_data=(x_val, y_val), callbacks=[early_stop], verbose=2)
print("stopped after", len(history.history["loss"]), "epochs")
print("val loss/acc:", model.evaluate(x_val, y_val, verbose=0))
