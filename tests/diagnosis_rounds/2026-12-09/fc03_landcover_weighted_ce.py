# Land-cover classification from 6 spectral bands (5 classes). Since "wetland"
# and "urban" are rarer I wrote my own weighted categorical cross-entropy.
# The loss goes negative and keeps decreasing every epoch, but accuracy gets
# WORSE than random (drops towards 0). Subclassed model, nothing fancy.
import numpy as np
import keras
from keras import layers, ops

keras.utils.set_random_seed(11)
rng = np.random.default_rng(11)

n_classes = 5
class_names = ["water", "forest", "crop", "urban", "wetland"]
priors = np.array([0.25, 0.3, 0.25, 0.1, 0.1])
n = 6000
labels = rng.choice(n_classes, size=n, p=priors)
centers = rng.normal(0, 1.0, size=(n_classes, 6))
X = (centers[labels] + rng.normal(0, 0.7, size=(n, 6))).astype("float32")
Y = keras.utils.to_categorical(labels, n_classes).astype("float32")

X_train, X_test = X[:5000], X[5000:]
Y_train, Y_test = Y[:5000], Y[5000:]

counts = Y_train.sum(axis=0)
class_w = (counts.sum() / (n_classes * counts)).astype("float32")
print("class weights:", np.round(class_w, 2))


def weighted_cce(y_true, y_pred):
    y_pred = ops.clip(y_pred, 1e-7, 1.0 - 1e-7)
    w = ops.convert_to_tensor(class_w)
    return ops.sum(w * y_true * ops.log(y_pred), axis=-1)


class LandCoverNet(keras.Model):
    def __init__(self, n_classes):
        super().__init__()
        self.h1 = layers.Dense(64, activation="relu")
        self.h2 = layers.Dense(64, activation="relu")
        self.drop = layers.Dropout(0.1)
        self.out = layers.Dense(n_classes, activation="softmax")

    def call(self, x, training=False):
        x = self.h1(x)
        x = self.drop(self.h2(x), training=training)
        return self.out(x)


model = LandCoverNet(n_classes)
model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=weighted_cce,
              metrics=["categorical_accuracy"])
model.fit(X_train, Y_train, epochs=10, batch_size=64, validation_split=0.2, verbose=2)

loss, acc = model.evaluate(X_test, Y_test, verbose=0)
print(f"test loss {loss:.3f}, test accuracy {acc:.3f}")
