"""Daily store sales forecaster (LSTM); rows are shuffled 'to avoid ordering bias' before windowing."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(24)
rng = np.random.default_rng(24)

days = np.arange(3000)
sales = (200 + 40 * np.sin(2 * np.pi * days / 7) + 25 * np.sin(2 * np.pi * days / 365.25)
         + 10 * np.sin(2 * np.pi * days / 30) + rng.normal(0, 8, days.size))

# shuffle the records first so the model doesn't learn the row order
sales = sales[rng.permutation(len(sales))]
sales = (sales - sales.mean()) / sales.std()

window = 14
X = np.stack([sales[i:i + window] for i in range(len(sales) - window)])[..., None].astype("float32")
y = sales[window:].astype("float32")
split = int(0.8 * len(X))
x_train, y_train, x_val, y_val = X[:split], y[:split], X[split:], y[split:]

inputs = keras.Input(shape=(window, 1))
h = layers.LSTM(32)(inputs)
h = layers.Dense(16, activation="relu")(h)
outputs = layers.Dense(1)(h)
model = keras.Model(inputs, outputs)
model.compile(optimizer="adam", loss="mse", metrics=["mae"])
model.fit(x_train, y_train, validation_data=(x_val, y_val), epochs=6, batch_size=64, verbose=2)
print(f"val mse {model.evaluate(x_val, y_val, verbose=0)[0]:.4f} (target variance {y_val.var():.4f})")
