# Churn model with two inputs: customer profile + last 12 months of usage.
# Adding the usage history didn't help AT ALL - validation accuracy is ~0.6,
# the same as the profile-only model I had before. Usage should be the best
# signal (people who churn stop using the app), so I don't get it.
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(8)
rng = np.random.default_rng(8)

n = 5000
age = rng.uniform(18, 75, n)
tenure = rng.exponential(24, n)
premium = rng.integers(0, 2, n)
support_calls = rng.poisson(1.5, n)
profile = np.stack([age, tenure, premium, support_calls], axis=1).astype("float32")

base = rng.uniform(5, 30, n)
trend = rng.normal(0, 1, n)
months = np.arange(12)
usage = base[:, None] + trend[:, None] * months[None, :] * 1.2 + rng.normal(0, 2, (n, 12))
usage = np.clip(usage, 0, None).astype("float32")

logit = (-2.2 * trend - 0.02 * (tenure - 24) + 0.3 * (support_calls - 1.5) - 0.4 * premium)
churn = (rng.uniform(size=n) < 1 / (1 + np.exp(-logit))).astype("float32")
print("churn rate:", churn.mean())

# standardise with training statistics
idx_tr, idx_te = np.arange(4000), np.arange(4000, n)
p_mu, p_sd = profile[idx_tr].mean(0), profile[idx_tr].std(0)
u_mu, u_sd = usage[idx_tr].mean(), usage[idx_tr].std()
profile = (profile - p_mu) / p_sd
usage = (usage - u_mu) / u_sd

profile_in = keras.Input(shape=(4,), name="profile")
usage_in = keras.Input(shape=(12,), name="usage")

p = layers.Dense(32, activation="relu")(profile_in)
p = layers.Dense(16, activation="relu")(p)

u = layers.Dense(32, activation="relu")(usage_in)
u = layers.Dense(16, activation="relu")(p)

x = layers.concatenate([p, u])
x = layers.Dense(16, activation="relu")(x)
out = layers.Dense(1, activation="sigmoid", name="churn")(x)

model = keras.Model(inputs=[profile_in, usage_in], outputs=out)
model.compile(optimizer="adam", loss="binary_crossentropy",
              metrics=["accuracy", keras.metrics.AUC(name="auc")])
model.fit({"profile": profile[idx_tr], "usage": usage[idx_tr]}, churn[idx_tr],
          validation_split=0.2, epochs=12, batch_size=64, verbose=2)

res = model.evaluate({"profile": profile[idx_te], "usage": usage[idx_te]}, churn[idx_te],
                     verbose=0, return_dict=True)
print("test:", {k: round(float(v), 3) for k, v in res.items()})
