"""A subclassed keras.Model (layers made in __init__, used in call, built on the first batch)
trained from a torch DataLoader, with RMSprop on a CosineDecay schedule."""
# kinds: models.subclassed, data.dataloader, lr_schedule.cosine_decay, optimizers.rmsprop_object, metrics.objects

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset
import keras
from keras import layers

keras.utils.set_random_seed(55)


class ResidualMLP(keras.Model):
    def __init__(self, hidden=32, classes=3, **kwargs):
        super().__init__(**kwargs)
        self.inp = layers.Dense(hidden, activation="relu")
        self.block = layers.Dense(hidden, activation="relu")
        self.norm = layers.LayerNormalization()
        self.dropout = layers.Dropout(0.1)
        self.head = layers.Dense(classes)

    def call(self, inputs, training=False):
        h = self.inp(inputs)
        h = self.norm(h + self.block(h))
        h = self.dropout(h, training=training)
        return self.head(h)


rng = np.random.default_rng(55)
x = rng.normal(size=(576, 7)).astype("float32")
y = np.digitize(x[:, 0] + x[:, 1] * x[:, 2], [-0.5, 0.5]).astype("int64")

loader = DataLoader(TensorDataset(torch.from_numpy(x[:480]), torch.from_numpy(y[:480])),
                    batch_size=48, shuffle=True, generator=torch.Generator().manual_seed(1))

model = ResidualMLP()
schedule = keras.optimizers.schedules.CosineDecay(1e-2, decay_steps=60)
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=schedule),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc")])
history = model.fit(loader, epochs=5, verbose=0)

print("built", model.built, "params", model.count_params())
print("losses", [round(v, 3) for v in history.history["loss"]])
loss, acc = model.evaluate(x[480:], y[480:], verbose=0)
print("evaluate", round(loss, 3), round(acc, 3))
print("logits shape", model.predict(x[:6], verbose=0).shape)
print("history keys", sorted(history.history))
