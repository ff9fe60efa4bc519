# Two-tower click model (user tower + ad tower), subclassed keras.Model.
# Offline this should be an easy dataset (the teammate's GBM gets ~80% acc), but
# my model sits at ~55% train and val accuracy and the loss hardly drops from 0.69.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(8)
rng = np.random.default_rng(8)

n, d = 6000, 8
user_feats = rng.normal(size=(n, d)).astype("float32")
ad_feats = rng.normal(size=(n, d)).astype("float32")
affinity = np.sum(user_feats[:, :4] * ad_feats[:, :4], axis=1)
clicked = (affinity + rng.normal(0, 0.5, n) > 0).astype("float32")


class TwoTower(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.user_tower = keras.Sequential([layers.Dense(32, activation="relu"),
                                            layers.Dense(16)])
        self.ad_tower = keras.Sequential([layers.Dense(32, activation="relu"),
                                          layers.Dense(16)])
        self.head = keras.Sequential([layers.Dense(32, activation="relu"),
                                      layers.Dense(1, activation="sigmoid")])

    def call(self, inputs):
        u = self.user_tower(inputs["user"])
        a = self.ad_tower(inputs["user"])
        return self.head(layers.concatenate([u, a, u * a]))


model = TwoTower()
model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.AUC(name="auc")])
x = {"user": user_feats, "ad": ad_feats}
x_train = {k: v[:5000] for k, v in x.items()}
x_val = {k: v[5000:] for k, v in x.items()}
model.fit(x_train, clicked[:5000], validation_data=(x_val, clicked[5000:]),
          epochs=8, batch_size=256, verbose=2)
print(model.evaluate(x_val, clicked[5000:], verbose=0, return_dict=True))
