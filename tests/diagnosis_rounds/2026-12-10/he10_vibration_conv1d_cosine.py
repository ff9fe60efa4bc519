import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Bearing vibration snippets: healthy / inner-race fault / outer-race fault / imbalance
SEQ_LEN = 128
CLASSES = ["normal", "inner_race", "outer_race", "imbalance"]


def make_signals(n):
    t = np.arange(SEQ_LEN) / SEQ_LEN
    x = np.zeros((n, SEQ_LEN, 2), dtype="float32")
    y = rng.integers(0, len(CLASSES), n)
    for i in range(n):
        f0 = rng.uniform(4, 6)
        base = np.sin(2 * np.pi * f0 * t + rng.uniform(0, 2 * np.pi))
        sig = base.copy()
        if y[i] == 1:
            period = rng.integers(10, 14)
            sig[rng.integers(0, period)::period] += rng.uniform(1.5, 2.5)
        elif y[i] == 2:
            period = rng.integers(20, 26)
            sig[rng.integers(0, period)::period] += rng.uniform(1.5, 2.5)
        elif y[i] == 3:
            sig += 1.2 * np.sin(2 * np.pi * 2 * f0 * t)
        x[i, :, 0] = sig + rng.normal(0, 0.4, SEQ_LEN)
        x[i, :, 1] = 0.5 * base + rng.normal(0, 0.4, SEQ_LEN)
    return x, y


x_train, y_train = make_signals(2400)
x_test, y_test = make_signals(600)

model = keras.Sequential(
    [
        keras.Input(shape=(SEQ_LEN, 2)),
        layers.Conv1D(32, 7, padding="same", activation="relu"),
        layers.MaxPooling1D(2),
        layers.Conv1D(32, 5, padding="same", activation="relu"),
        layers.MaxPooling1D(2),
        layers.Conv1D(64, 3, padding="same", activation="relu"),
        layers.GlobalAveragePooling1D(),
        layers.Dropout(0.2),
        layers.Dense(len(CLASSES), activation="softmax"),
    ]
)

EPOCHS, BATCH = 10, 64
steps = EPOCHS * int(np.ceil(len(x_train) * 0.85 / BATCH))
schedule = keras.optimizers.schedules.CosineDecay(
    initial_learning_rate=3e-3, decay_steps=steps, alpha=0.05
)
model.compile(
    optimizer=keras.optimizers.Adam(schedule),
    loss="sparse_categorical_crossentropy",
    metrics=["accuracy"],
)
model.fit(x_train, y_train, batch_size=BATCH, epochs=EPOCHS, validation_split=0.15, verbose=2)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.4f}")
