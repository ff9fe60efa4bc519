# Sensor forecasting with an LSTM that has two heads: the next value
# (regression) and whether the next value is higher than the current one.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(108)
rng = np.random.default_rng(108)

STEPS, WINDOW = 2800, 30
t = np.arange(STEPS)
signal = (np.sin(2 * np.pi * t / 40) + 0.5 * np.sin(2 * np.pi * t / 13 + 0.7)
          + 0.1 * rng.normal(size=STEPS))
signal = ((signal - signal[:2200].mean()) / signal[:2200].std()).astype("float32")

X = np.stack([signal[i:i + WINDOW] for i in range(STEPS - WINDOW)])[..., None]
next_val = signal[WINDOW:].reshape(-1, 1)
goes_up = (signal[WINDOW:] > signal[WINDOW - 1:-1]).astype("float32").reshape(-1, 1)
split = 2200

inp = keras.Input(shape=(WINDOW, 1), name="window")
h = layers.LSTM(32)(inp)
h = layers.Dense(32, activation="relu")(h)
value_out = layers.Dense(1, name="next_value")(h)
up_out = layers.Dense(1, activation="sigmoid", name="goes_up")(h)
model = keras.Model(inp, {"next_value": value_out, "goes_up": up_out})

model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=2e-3),
              loss={"next_value": "mse", "goes_up": "binary_crossentropy"},
              metrics={"next_value": ["mae"], "goes_up": ["accuracy"]})
model.fit(X[:split], {"next_value": next_val[:split], "goes_up": goes_up[:split]},
          validation_data=(X[split:], {"next_value": next_val[split:], "goes_up": goes_up[split:]}),
          epochs=12, batch_size=64, verbose=2)
print("naive last-value MSE:", float(np.mean((X[split:, -1, 0] - next_val[split:, 0]) ** 2)))
