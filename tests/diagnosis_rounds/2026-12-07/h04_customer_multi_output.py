"""Multi-output functional model: churn probability (classification) + next-month spend (regression)."""
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(104)
rng = np.random.default_rng(104)

n = 4000
tenure = rng.integers(1, 72, n)
monthly = rng.normal(70, 20, n).clip(20, 130)
tickets = rng.poisson(1.3, n)
usage_gb = rng.gamma(3, 10, n)
discount = rng.integers(0, 2, n)
churn_logit = -0.5 - 0.05 * tenure + 0.02 * monthly + 0.6 * tickets - 0.8 * discount
churn = (rng.random(n) < 1 / (1 + np.exp(-churn_logit))).astype("float32")
spend = (0.9 * monthly + 0.4 * usage_gb - 8 * discount + rng.normal(0, 5, n)).astype("float32")

X = np.stack([tenure, monthly, tickets, usage_gb, discount], 1).astype("float32")
X = (X - X.mean(0)) / X.std(0)
s_mean, s_std = spend.mean(), spend.std()
spend_z = (spend - s_mean) / s_std

tr, te = slice(0, 3200), slice(3200, None)

inputs = keras.Input(shape=(5,))
shared = layers.Dense(64, activation="relu")(inputs)
shared = layers.Dense(32, activation="relu")(shared)
churn_out = layers.Dense(1, activation="sigmoid", name="churn")(shared)
spend_out = layers.Dense(1, name="spend")(shared)
model = keras.Model(inputs, [churn_out, spend_out])
model.compile(optimizer="adam",
              loss={"churn": "binary_crossentropy", "spend": "mse"},
              loss_weights={"churn": 1.0, "spend": 0.5},
              metrics={"churn": ["accuracy"], "spend": ["mae"]})
model.fit(X[tr], {"churn": churn[tr], "spend": spend_z[tr]}, epochs=15, batch_size=64,
          validation_split=0.2, verbose=2)
res = model.evaluate(X[te], {"churn": churn[te], "spend": spend_z[te]}, verbose=0, return_dict=True)
print({k: round(float(v), 4) for k, v in res.items()})
print(f"spend MAE in dollars: {res['spend_mae'] * s_std:.2f}; churn base rate {churn[te].mean():.3f}")
