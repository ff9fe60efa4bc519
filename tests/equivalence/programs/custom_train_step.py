"""Subclassed Model overriding train_step the way keras.io's "Customizing what happens in fit()
with PyTorch" guide does: zero_grad, compute_loss, loss.backward(), optimizer.apply, metrics."""
# kinds: custom.train_step, models.subclassed, metrics.names, optimizers.adam_object

import numpy as np
import torch
import keras
from keras import layers

keras.utils.set_random_seed(59)


class CustomModel(keras.Model):
    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


rng = np.random.default_rng(59)
x = rng.normal(size=(512, 32)).astype("float32")
y = (x[:, :4].sum(axis=1, keepdims=True) * 0.5).astype("float32")

inputs = keras.Input(shape=(32,))
h = layers.Dense(32, activation="relu")(inputs)
outputs = layers.Dense(1)(h)
model = CustomModel(inputs, outputs)
model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3), loss="mse", metrics=["mae"])
history = model.fit(x, y, epochs=4, batch_size=32, verbose=0)

print("losses", [round(v, 3) for v in history.history["loss"]])
print("final mae", round(history.history["mae"][-1], 3))
print("evaluate", [round(float(v), 3) for v in model.evaluate(x, y, verbose=0)])
print("history keys", sorted(history.history))
