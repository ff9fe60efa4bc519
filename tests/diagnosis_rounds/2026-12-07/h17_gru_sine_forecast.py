import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(5)
rng = np.random.default_rng(5)

# noisy sine series
t = np.arange(1500, dtype="float32")
series = np.sin(2 * np.pi * t / 50) + 0.5 * np.sin(2 * np.pi * t / 170) + rng.normal(0, 0.1, t.size)
series = series.astype("float32")

window = 24
def make_windows(s, window):
    X = np.stack([s[i:i + window] for i in range(len(s) - window)])
    y = s[window:]
    return X[..., None], y

split = 1200
train_s, test_s = series[:split], series[split - window:]
mu, sd = train_s.mean(), train_s.std()
train_s = (train_s - mu) / sd
test_s = (test_s - mu) / sd
x_train, y_train = make_windows(train_s, window)
x_test, y_test = make_windows(test_s, window)
print(x_train.shape, x_test.shape)

model = keras.Sequential([
    keras.Input(shape=(window, 1)),
    layers.GRU(16),
    layers.Dense(1),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-3), loss="mse", metrics=["mae"])
model.fit(x_train, y_train, epochs=12, batch_size=64, validation_split=0.15, verbose=2)

mse, mae = model.evaluate(x_test, y_test, verbose=0)
naive = np.mean((x_test[:, -1, 0] - y_test) ** 2)
print("test MSE %.4f (naive last-value MSE %.4f), MAE %.4f" % (mse, naive, mae))
