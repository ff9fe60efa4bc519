# Click prediction with a two-tower-ish functional model: one input for user
# features and one for item features. Training accuracy stalls around 60-65%
# and validation is even worse. I expected much better since the click
# depends mostly on how well user and item match.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(10)
rng = np.random.default_rng(10)

n = 4000
users = rng.normal(size=(n, 8)).astype("float32")
items = rng.normal(size=(n, 8)).astype("float32")
affinity = (users[:, :4] * items[:, :4]).sum(axis=1) + 0.5 * users[:, 4] - 0.3 * items[:, 5]
clicked = (affinity + 0.5 * rng.normal(size=n) > 0).astype("float32")
print("click rate:", clicked.mean())

u_train, i_train, y_train = users[:3200], items[:3200], clicked[:3200]
u_val, i_val, y_val = users[3200:], items[3200:], clicked[3200:]

user_in = keras.Input(shape=(8,), name="user")
item_in = keras.Input(shape=(8,), name="item")
u = layers.Dense(32, activation="relu")(user_in)
i = layers.Dense(32, activation="relu")(item_in)
h = layers.Concatenate()([u, i])
h = layers.Dense(64, activation="relu")(h)
h = layers.Dense(32, activation="relu")(h)
out = layers.Dense(1, activation="sigmoid", name="click")(h)
model = keras.Model([user_in, item_in], out)

model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy"])

model.fit({"user": u_train, "item": u_train}, y_train,
          validation_data=({"user": u_val, "item": i_val}, y_val),
          epochs=15, batch_size=64, verbose=2)
