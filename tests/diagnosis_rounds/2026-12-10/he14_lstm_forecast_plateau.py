import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# One-step-ahead forecasting of noisy oscillating signals with random frequency/phase
SEQ_LEN = 30


def make_windows(n):
    t = np.arange(SEQ_LEN + 1)
    f1 = rng.uniform(0.03, 0.12, (n, 1))
    f2 = rng.uniform(0.15, 0.3, (n, 1))
    p1, p2 = rng.uniform(0, 2 * np.pi, (2, n, 1))
    a2 = rng.uniform(0.2, 0.6, (n, 1))
    clean = np.sin(2 * np.pi * f1 * t + p1) + a2 * np.sin(2 * np.pi * f2 * t + p2)
    noisy = clean + rng.normal(0, 0.05, clean.shape)
    x = noisy[:, :SEQ_LEN, None].astype("float32")
    y = clean[:, SEQ_LEN].astype("float32")
    return x, y


x_train, y_train = make_windows(4000)
x_test, y_test = make_windows(800)
last_value_mse = np.mean((x_test[:, -1, 0] - y_test) ** 2)
print(f"naive last-value mse {last_value_mse:.4f}, target variance {y_test.var():.4f}")

model = keras.Sequential(
    [
        keras.Input(shape=(SEQ_LEN, 1)),
        layers.LSTM(48),
        layers.Dense(16, activation="relu"),
        layers.Dense(1),
    ]
)
model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse", metrics=["mae"])
callbacks = [
    keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, min_lr=1e-4, verbose=1),
]
model.fit(
    x_train,
    y_train,
    batch_size=64,
    epochs=12,
    validation_split=0.2,
    callbacks=callbacks,
    verbose=2,
)
mse, mae = model.evaluate(x_test, y_test, verbose=0)
print(f"test mse {mse:.4f}  test mae {mae:.4f}")
