import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(77)
rng = np.random.default_rng(77)

# two interleaving spirals-ish / concentric rings: 3 classes in 2D plus noise dims
n = 4500
cls = rng.integers(0, 3, n)
r = 1.0 + cls + rng.normal(0, 0.25, n)
theta = rng.uniform(0, 2 * np.pi, n)
X = np.stack([r * np.cos(theta), r * np.sin(theta)], 1)
X = np.concatenate([X, rng.normal(size=(n, 4))], 1).astype("float32")
X = (X - X.mean(0)) / X.std(0)


class RingClassifier(keras.Model):
    def __init__(self, num_classes=3, **kwargs):
        super().__init__(**kwargs)
        self.hidden1 = layers.Dense(64, activation="relu")
        self.hidden2 = layers.Dense(32, activation="relu")
        self.dropout = layers.Dropout(0.1)
        self.classifier = layers.Dense(num_classes, activation="softmax")

    def call(self, inputs, training=False):
        x = self.hidden1(inputs)
        x = self.dropout(x, training=training)
        x = self.hidden2(x)
        return self.classifier(x)


model = RingClassifier(num_classes=3)
model.compile(optimizer=keras.optimizers.RMSprop(learning_rate=3e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X[:3600], cls[:3600], validation_split=0.2, epochs=25, batch_size=128, verbose=2)

loss, acc = model.evaluate(X[3600:], cls[3600:], verbose=0)
print("test loss %.4f acc %.4f" % (loss, acc))
