# Wine quality tier (low / medium / high) from lab measurements, using a
# subclassed model. I initialise the kernels to zeros so that every run
# starts from the same point and results are comparable between experiments.
# Problem: accuracy never goes above ~0.5 and the loss stops moving after
# the first epoch.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(8)
rng = np.random.default_rng(8)

N = 3000
fixed_acidity = rng.normal(8.3, 1.7, N)
volatile_acidity = rng.normal(0.53, 0.18, N)
citric_acid = np.clip(rng.normal(0.27, 0.19, N), 0, None)
residual_sugar = rng.lognormal(0.8, 0.4, N)
chlorides = rng.lognormal(-2.5, 0.3, N)
sulphates = rng.normal(0.66, 0.17, N)
alcohol = rng.normal(10.4, 1.0, N)
density = 0.9967 - 0.0008 * (alcohol - 10.4) + rng.normal(0, 0.0005, N)
pH = 3.3 - 0.05 * (fixed_acidity - 8.3) + rng.normal(0, 0.1, N)

score = (0.9 * (alcohol - 10.4) - 3.0 * (volatile_acidity - 0.53)
         + 2.0 * (sulphates - 0.66) + 0.8 * (citric_acid - 0.27)
         + rng.normal(0, 0.35, N))
tier = np.digitize(score, np.quantile(score, [0.5, 0.8]))   # 50% low, 30% mid, 20% high

X = np.stack([fixed_acidity, volatile_acidity, citric_acid, residual_sugar, chlorides,
              sulphates, alcohol, density, pH], axis=1)
X = ((X - X.mean(0)) / X.std(0)).astype("float32")
y = tier.astype("int32")


class QualityNet(keras.Model):
    def __init__(self, n_classes=3, **kwargs):
        super().__init__(**kwargs)
        self.hidden1 = layers.Dense(64, activation="relu", kernel_initializer="zeros")
        self.hidden2 = layers.Dense(32, activation="relu", kernel_initializer="zeros")
        self.out = layers.Dense(n_classes, activation="softmax")

    def call(self, inputs):
        x = self.hidden1(inputs)
        x = self.hidden2(x)
        return self.out(x)


model = QualityNet()
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
model.fit(X[:2400], y[:2400], validation_data=(X[2400:], y[2400:]),
          epochs=20, batch_size=64, verbose=2)
print("class counts in predictions:",
      np.bincount(model.predict(X[2400:], verbose=0).argmax(1), minlength=3))
