import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

N_ARMS = 3


def make_spirals(n_per_arm):
    xs, ys = [], []
    for k in range(N_ARMS):
        r = rng.uniform(0.1, 1.0, n_per_arm)
        theta = 3.5 * np.pi * r + 2 * np.pi * k / N_ARMS + rng.normal(0, 0.3, n_per_arm)
        xs.append(np.column_stack([r * np.cos(theta), r * np.sin(theta)]))
        ys.append(np.full(n_per_arm, k))
    x = np.concatenate(xs).astype("float32")
    y = np.concatenate(ys)
    perm = rng.permutation(len(x))
    return x[perm], y[perm]


x_train, y_train = make_spirals(1000)
x_val, y_val = make_spirals(200)
x_test, y_test = make_spirals(200)


class ResidualMLP(keras.Model):
    def __init__(self, width=64, depth=3, num_classes=N_ARMS, **kwargs):
        super().__init__(**kwargs)
        self.inp = layers.Dense(width, activation="relu")
        self.blocks = [
            (layers.Dense(width, activation="relu"), layers.Dense(width))
            for _ in range(depth)
        ]
        self.norms = [layers.LayerNormalization() for _ in range(depth)]
        self.out = layers.Dense(num_classes)

    def call(self, x, training=False):
        h = self.inp(x)
        for (d1, d2), norm in zip(self.blocks, self.norms):
            h = norm(h + d2(d1(h)))
            h = ops.relu(h)
        return self.out(h)


class ValAccuracyLogger(keras.callbacks.Callback):
    """Prints per-class validation accuracy every few epochs."""

    def __init__(self, x, y, every=3):
        super().__init__()
        self.x, self.y, self.every = x, y, every

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        pred = np.argmax(self.model.predict(self.x, verbose=0), axis=-1)
        per_class = [float(np.mean(pred[self.y == k] == k)) for k in range(N_ARMS)]
        print(f"  epoch {epoch + 1}: per-class val acc {np.round(per_class, 3).tolist()}")


model = ResidualMLP()
model.compile(
    optimizer=keras.optimizers.Adam(1e-3),
    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    metrics=["accuracy"],
)
model.fit(
    x_train,
    y_train,
    batch_size=64,
    epochs=15,
    validation_data=(x_val, y_val),
    callbacks=[ValAccuracyLogger(x_val, y_val)],
    verbose=2,
)
loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"test loss {loss:.4f}  test accuracy {acc:.4f}")
