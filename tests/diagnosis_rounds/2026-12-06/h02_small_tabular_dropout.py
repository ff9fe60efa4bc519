import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(102)
np.random.seed(102)

# small clinical dataset: only 500 patients, 12 standardized features
n, d = 500, 12
X = np.random.normal(0, 1, (n, d)).astype("float32")
logit = 1.4 * X[:, 0] - 1.1 * X[:, 1] + 0.8 * X[:, 2] * X[:, 3] + 0.6 * X[:, 4]
y = (logit + np.random.normal(0, 0.8, n) > 0).astype("float32")

model = keras.Sequential([
    keras.Input(shape=(d,)),
    layers.Dense(32, activation="relu"),
    layers.Dropout(0.3),
    layers.Dense(16, activation="relu"),
    layers.Dropout(0.3),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(learning_rate=0.003),
              loss="binary_crossentropy", metrics=["accuracy"])
history = model.fit(X, y, epochs=40, batch_size=16, validation_split=0.25, verbose=2)
print("final train acc %.3f / val acc %.3f" % (history.history["accuracy"][-1], history.history["val_accuracy"][-1]))
