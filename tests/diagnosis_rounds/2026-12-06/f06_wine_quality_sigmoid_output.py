import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(21)
np.random.seed(21)

# wine-quality-like regression: quality score between 3 and 9
n = 3000
X = np.random.normal(0, 1, (n, 11)).astype("float32")
w = np.random.normal(0, 0.4, 11)
quality = 5.8 + X @ w + 0.3 * X[:, 0] * X[:, 1] + np.random.normal(0, 0.4, n)
y = np.clip(quality, 3, 9).astype("float32")

x_train, x_val = X[:2400], X[2400:]
y_train, y_val = y[:2400], y[2400:]

model = keras.Sequential([
    keras.Input(shape=(11,)),
    layers.Dense(64, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.001), loss="mean_squared_error", metrics=["mae"])
history = model.fit(x_train, y_train, epochs=12, batch_size=32,
                    validation_data=(x_val, y_val), verbose=2)
pred = model.predict(x_val[:5], verbose=0).ravel()
print("predictions:", np.round(pred, 3), "targets:", np.round(y_val[:5], 2))
print("val mae:", history.history["val_mae"][-1])
