import os
import numpy as np
import keras
from keras import layers
MNIST = os.environ.get("SCEN_MNIST") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "shared", "data", "mnist.npz")

keras.utils.set_random_seed(110)
np.random.seed(110)

d = np.load(MNIST)
x_train = d["x_train"][:3000].reshape(-1, 784).astype("float32") / 255.0
x_test = d["x_test"][:1000].reshape(-1, 784).astype("float32") / 255.0


class Autoencoder(keras.Model):
    def __init__(self, latent_dim=32, **kwargs):
        super().__init__(**kwargs)
        self.encoder = keras.Sequential([layers.Dense(128, activation="relu"),
                                         layers.Dense(latent_dim, activation="relu")])
        self.decoder = keras.Sequential([layers.Dense(128, activation="relu"),
                                         layers.Dense(784, activation="sigmoid")])

    def call(self, x):
        return self.decoder(self.encoder(x))


autoencoder = Autoencoder(32)
autoencoder.compile(optimizer="adam", loss="binary_crossentropy", metrics=["mse"])
autoencoder.fit(x_train, x_train, epochs=8, batch_size=64, shuffle=True,
                validation_data=(x_test, x_test), verbose=2)
recon = autoencoder.predict(x_test[:200], verbose=0)
print("reconstruction mse:", float(np.mean((recon - x_test[:200]) ** 2)),
      "baseline (predict mean image):", float(np.mean((x_train.mean(0) - x_test[:200]) ** 2)))
