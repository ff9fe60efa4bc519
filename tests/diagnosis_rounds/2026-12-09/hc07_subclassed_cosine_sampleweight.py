# Subclassed residual MLP for 3-class defect grading from 10 sensor features.
# Labels come from several inspectors; I weight each sample by how much the inspectors
# agreed (sample_weight), and use AdamW with a cosine-decay learning-rate schedule.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(64)
rng = np.random.default_rng(64)

n = 6000
X = rng.normal(size=(n, 10)).astype("float32")
score = 1.2 * X[:, 0] - 0.8 * X[:, 1] + 0.9 * X[:, 2] * X[:, 3] + 0.6 * np.sin(2 * X[:, 4])
true_grade = np.digitize(score, [-0.7, 0.7])                  # 0, 1, 2
agreement = rng.uniform(0.5, 1.0, n)                        # fraction of inspectors agreeing
# low agreement -> label more likely to be wrong
flip = rng.uniform(size=n) < (1.0 - agreement) * 0.6
noisy_grade = np.where(flip, rng.integers(0, 3, n), true_grade)

X_train, X_val = X[:5000], X[5000:]
y_train, y_val = noisy_grade[:5000], true_grade[5000:]      # validate against true grades
w_train = agreement[:5000].astype("float32")


class ResidualBlock(layers.Layer):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.d1 = layers.Dense(units, activation="relu")
        self.d2 = layers.Dense(units)
        self.norm = layers.LayerNormalization()

    def call(self, x):
        return self.norm(x + self.d2(self.d1(x)))


class GradeNet(keras.Model):
    def __init__(self, n_classes=3, width=64):
        super().__init__()
        self.inp = layers.Dense(width, activation="relu")
        self.block1 = ResidualBlock(width)
        self.block2 = ResidualBlock(width)
        self.out = layers.Dense(n_classes, activation="softmax")

    def call(self, x):
        return self.out(self.block2(self.block1(self.inp(x))))


epochs, batch_size = 12, 64
steps = epochs * int(np.ceil(len(X_train) / batch_size))
schedule = keras.optimizers.schedules.CosineDecay(initial_learning_rate=3e-3, decay_steps=steps, alpha=0.05)

model = GradeNet()
model.compile(optimizer=keras.optimizers.AdamW(learning_rate=schedule, weight_decay=1e-4),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X_train, y_train, sample_weight=w_train, validation_data=(X_val, y_val),
          epochs=epochs, batch_size=batch_size, verbose=2)

loss, acc = model.evaluate(X_val, y_val, verbose=0)
print(f"accuracy vs. true grades: {acc:.3f}")
