# Land-cover classification (water / forest / urban) from 12 spectral band values,
# written as a subclassed model so I can change the width from a config.
# Validation accuracy stays at chance level (~33-40%) every epoch. I tried lower
# learning rates and more epochs, nothing changes. Is subclassing broken?
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(4)
rng = np.random.default_rng(4)

n_bands, n_classes = 12, 3
W1 = rng.normal(size=(n_bands, 24))
W2 = rng.normal(size=(24, n_classes))
bands = rng.normal(size=(4000, n_bands)).astype("float32")
cover = (np.tanh(bands @ W1 / np.sqrt(n_bands) * 2.0) @ W2).argmax(axis=1)
print("class counts:", np.bincount(cover))


class LandCoverNet(keras.Model):
    def __init__(self, width=64, n_classes=3, **kwargs):
        super().__init__(**kwargs)
        self.width = width
        self.hidden = layers.Dense(width // 2, activation="relu")
        self.dropout = layers.Dropout(0.1)
        self.classifier = layers.Dense(n_classes, activation="softmax")

    def call(self, inputs, training=False):
        x = layers.Dense(self.width, activation="relu")(inputs)
        x = self.hidden(x)
        x = self.dropout(x, training=training)
        return self.classifier(x)


model = LandCoverNet(width=64)
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss="sparse_categorical_crossentropy", metrics=["accuracy"])
early = keras.callbacks.EarlyStopping(monitor="val_accuracy", patience=4,
                                      restore_best_weights=True)
model.fit(bands[:3200], cover[:3200], validation_data=(bands[3200:], cover[3200:]),
          epochs=8, batch_size=128, callbacks=[early], verbose=2)
print("val accuracy:", model.evaluate(bands[3200:], cover[3200:], verbose=0)[1])
