# LSTM to forecast the next value of a noisy periodic sensor signal.
# I added gradient clipping because I read LSTMs suffer from exploding
# gradients. Now the loss goes down extremely slowly and the predictions are
# almost a flat line. More epochs help only a tiny bit.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(5)
rng = np.random.default_rng(5)

t = np.arange(6000)
signal = (np.sin(2 * np.pi * t / 50) + 0.5 * np.sin(2 * np.pi * t / 17)
          + 0.1 * rng.normal(size=t.shape)).astype("float32")

window = 20
idx = np.arange(0, len(signal) - window - 1, 3)
x = np.stack([signal[i:i + window] for i in idx])[..., None]
y = signal[idx + window]
split = int(0.8 * len(x))
x_train, y_train, x_val, y_val = x[:split], y[:split], x[split:], y[split:]
print(x_train.shape, "target std:", y_train.std())

model = keras.Sequential([
    keras.Input(shape=(window, 1)),
    layers.LSTM(32),
    layers.Dense(16, activation="relu"),
    layers.Dense(1),
])

opt = keras.optimizers.SGD(learning_rate=0.01, momentum=0.9, clipnorm=1e-3)
model.compile(optimizer=opt, loss="mse", metrics=["mae"])

model.fit(x_train, y_train, epochs=10, batch_size=64,
          validation_data=(x_val, y_val), verbose=2)

pred = model.predict(x_val[:200], verbose=0)[:, 0]
print("pred std:", pred.std(), "target std:", y_val[:200].std())
