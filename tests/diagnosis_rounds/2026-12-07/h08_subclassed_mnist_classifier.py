"""Subclassed keras.Model classifier on an MNIST subset."""
import os
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(108)

MNIST = os.environ.get("SCEN_MNIST") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")
with np.load(MNIST) as d:
    x_train, y_train = d["x_train"][:6000], d["y_train"][:6000]
    x_test, y_test = d["x_test"][:2000], d["y_test"][:2000]
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
x_test = x_test.reshape(-1, 784).astype("float32") / 255.0


class DigitClassifier(keras.Model):
    def __init__(self, hidden=256, num_classes=10, **kwargs):
        super().__init__(**kwargs)
        self.d1 = layers.Dense(hidden, activation="relu")
        self.drop = layers.Dropout(0.2)
        self.d2 = layers.Dense(hidden // 2, activation="relu")
        self.out = layers.Dense(num_classes)

    def call(self, x, training=False):
        x = self.d1(x)
        x = self.drop(x, training=training)
        x = self.d2(x)
        return self.out(x)          # logits


model = DigitClassifier()
model.compile(optimizer="adam",
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
              metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=64, epochs=6, validation_split=0.1, verbose=2)
print("test [loss, acc]:", model.evaluate(x_test, y_test, verbose=0))
