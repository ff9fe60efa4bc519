"""Dense autoencoder trained with fit(x, x) (denoising: noisy input, clean target); a callback
predicts one fixed sample after every epoch; reconstructions are saved with np.save."""
# kinds: models.autoencoder, callbacks.custom_predicts, files.write, optimizers.adam_object

import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(49)

rng = np.random.default_rng(49)
latent = rng.normal(size=(600, 3))
clean = np.tanh(latent @ rng.normal(size=(3, 16))).astype("float32")
noisy = (clean + 0.1 * rng.normal(size=clean.shape)).astype("float32")


class ReconstructionMonitor(keras.callbacks.Callback):
    def __init__(self, sample):
        super().__init__()
        self.sample = sample
        self.errors = []

    def on_epoch_end(self, epoch, logs=None):
        recon = self.model.predict(self.sample, verbose=0)
        self.errors.append(round(float(np.mean((recon - self.sample) ** 2)), 4))


encoder = keras.Sequential([keras.Input(shape=(16,)), layers.Dense(8, activation="relu"),
                            layers.Dense(3)], name="encoder")
decoder = keras.Sequential([keras.Input(shape=(3,)), layers.Dense(8, activation="relu"),
                            layers.Dense(16, activation="tanh")], name="decoder")
autoencoder = keras.Sequential([encoder, decoder])
autoencoder.compile(optimizer=keras.optimizers.Adam(learning_rate=5e-3), loss="mse")

monitor = ReconstructionMonitor(clean[:1])
history = autoencoder.fit(noisy[:500], clean[:500], epochs=6, batch_size=50, shuffle=True,
                          validation_data=(noisy[500:], clean[500:]), callbacks=[monitor],
                          verbose=0)

recon = autoencoder.predict(noisy[500:], verbose=0)
np.save("reconstructions.npy", recon)
codes = encoder.predict(noisy[:5], verbose=0)
print("sample reconstruction error per epoch", monitor.errors)
print("val mse", round(float(np.mean((recon - clean[500:]) ** 2)), 3))
print("codes shape", codes.shape, "reconstructions shape", recon.shape)
print("history keys", sorted(history.history))
