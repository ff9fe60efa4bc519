# Loan default prediction from a CSV export of our loan book.
# Model trains but accuracy is stuck around 70% and I can't get it higher,
# tried more layers / more epochs. What am I doing wrong?
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(11)
rng = np.random.default_rng(11)

N = 3000
# --- simulate the export (columns as in the csv) ---
income_k = rng.lognormal(mean=3.9, sigma=0.4, size=N)          # annual income, k$
loan_amount_k = rng.uniform(2, 40, size=N)                      # k$
credit_lines = rng.poisson(6, size=N).astype(float)
age = rng.uniform(21, 70, size=N)
days_since_last_payment = rng.gamma(shape=2.0, scale=20.0, size=N)
debt_to_income = loan_amount_k / income_k

logit = (0.06 * (days_since_last_payment - 40.0)
         + 2.0 * (debt_to_income - 0.8)
         - 0.02 * (age - 45.0)
         + rng.normal(0, 0.5, size=N))
default = (logit > 0).astype("float32")

# the export writes 1e9 when the payment date is not filled in
missing = rng.random(N) < 0.03
days_since_last_payment[missing] = 1e9

X = np.stack([income_k, loan_amount_k, credit_lines, age,
              days_since_last_payment, debt_to_income], axis=1).astype("float32")
y = default

idx = rng.permutation(N)
n_train = 2400
X_train, y_train = X[idx[:n_train]], y[idx[:n_train]]
X_val, y_val = X[idx[n_train:]], y[idx[n_train:]]
print("default rate:", y_train.mean())

norm = layers.Normalization()
norm.adapt(X_train)

model = keras.Sequential([
    keras.Input(shape=(X.shape[1],)),
    norm,
    layers.Dense(64, activation="relu"),
    layers.Dense(32, activation="relu"),
    layers.Dense(1, activation="sigmoid"),
])
model.compile(optimizer=keras.optimizers.Adam(1e-3),
              loss="binary_crossentropy", metrics=["accuracy"])
model.fit(X_train, y_train, validation_data=(X_val, y_val),
          epochs=25, batch_size=64, verbose=2)

loss, acc = model.evaluate(X_val, y_val, verbose=0)
print(f"val loss {loss:.4f}  val acc {acc:.4f}")
