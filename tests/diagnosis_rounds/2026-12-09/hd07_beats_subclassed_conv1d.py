# Heartbeat-type classification (normal / premature / wide beat) from 128-sample
# single-lead segments. Subclassed Conv1D model with a cosine-decay learning rate.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(27)
rng = np.random.default_rng(27)

T = 128
t = np.arange(T)


def beat(kind):
    center = 64 + rng.normal(0, 4)
    width = {0: 3.0, 1: 3.0, 2: 7.0}[kind] * rng.uniform(0.85, 1.15)
    amp = rng.uniform(0.8, 1.2)
    sig = amp * np.exp(-0.5 * ((t - center) / width) ** 2)          # QRS
    p_wave = 0.0 if kind == 1 else 0.25                              # no P wave when premature
    sig += p_wave * np.exp(-0.5 * ((t - center + 25) / 5) ** 2)
    t_amp = -0.3 if kind == 1 else 0.3                               # inverted T wave when premature
    sig += t_amp * np.exp(-0.5 * ((t - center - 30) / 8) ** 2)        # T wave
    sig += 0.05 * np.sin(2 * np.pi * t / T * rng.uniform(0.5, 1.5) + rng.uniform(0, 6))  # baseline wander
    return sig + rng.normal(0, 0.08, T)


labels = rng.integers(0, 3, size=2000)
signals = np.stack([beat(k) for k in labels])[..., None].astype("float32")
x_train, y_train = signals[:1600], labels[:1600]
x_test, y_test = signals[1600:], labels[1600:]


class BeatNet(keras.Model):
    def __init__(self, n_classes=3, **kwargs):
        super().__init__(**kwargs)
        self.conv1 = layers.Conv1D(16, 7, padding="same", activation="relu")
        self.pool1 = layers.MaxPooling1D(2)
        self.conv2 = layers.Conv1D(32, 5, padding="same", activation="relu")
        self.pool2 = layers.GlobalAveragePooling1D()
        self.dense = layers.Dense(32, activation="relu")
        self.out = layers.Dense(n_classes, activation="softmax")

    def call(self, x):
        x = self.pool1(self.conv1(x))
        x = self.pool2(self.conv2(x))
        return self.out(self.dense(x))


epochs, batch_size = 8, 64
steps = epochs * int(np.ceil(len(x_train) * 0.9 / batch_size))
schedule = keras.optimizers.schedules.CosineDecay(3e-3, decay_steps=steps, alpha=0.05)
model = BeatNet()
model.compile(optimizer=keras.optimizers.Adam(schedule),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(x_train, y_train, validation_split=0.1, epochs=epochs,
          batch_size=batch_size, verbose=2)
print("test accuracy:", model.evaluate(x_test, y_test, verbose=0)[1])
