import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(2024)
rng = np.random.default_rng(2024)

# customer churn-ish: numeric account features + a categorical plan id
n = 5000
num_feats = rng.normal(size=(n, 8)).astype("float32")
plan = rng.integers(0, 12, size=(n, 1)).astype("int32")
plan_effect = rng.normal(0, 1.2, 12)
logit = (1.5 * num_feats[:, 0] - 1.0 * num_feats[:, 1] + 0.8 * num_feats[:, 2] * num_feats[:, 3]
         + plan_effect[plan[:, 0]])
y = (logit + rng.logistic(0, 0.5, n) > 0).astype("float32")

num_in = keras.Input(shape=(8,), name="account")
plan_in = keras.Input(shape=(1,), dtype="int32", name="plan")
p = layers.Embedding(12, 4)(plan_in)
p = layers.Flatten()(p)
h = layers.Dense(32, activation="relu")(num_in)
x = layers.concatenate([h, p])
x = layers.Dense(32, activation="relu")(x)
out = layers.Dense(1, activation="sigmoid", name="churn")(x)
model = keras.Model(inputs=[num_in, plan_in], outputs=out)

model.compile(optimizer=keras.optimizers.Adam(learning_rate=3e-3),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit({"account": num_feats[:4000], "plan": plan[:4000]}, y[:4000],
          validation_split=0.2, epochs=15, batch_size=128, verbose=2)

loss, acc = model.evaluate({"account": num_feats[4000:], "plan": plan[4000:]}, y[4000:], verbose=0)
print("Held-out loss %.4f accuracy %.4f" % (loss, acc))
