import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(0)
rng = np.random.default_rng(0)

# Support tickets as token ids: predict the team (3 classes) and the hours to resolve
VOCAB = 400
MAXLEN = 24
TEAM_WORDS = [np.arange(10, 40), np.arange(40, 70), np.arange(70, 100)]
URGENT_WORDS = np.arange(100, 110)


def make_tickets(n):
    x = np.zeros((n, MAXLEN), dtype="int32")
    team = rng.integers(0, 3, n)
    hours = np.zeros(n, dtype="float32")
    for i in range(n):
        length = rng.integers(10, MAXLEN + 1)
        seq = rng.integers(110, VOCAB, size=length)
        k = rng.integers(2, 5)
        seq[rng.choice(length, k, replace=False)] = rng.choice(TEAM_WORDS[team[i]], k)
        n_urgent = rng.integers(0, 3)
        if n_urgent:
            seq[rng.choice(length, n_urgent, replace=False)] = rng.choice(URGENT_WORDS, n_urgent)
        hours[i] = 24.0 * (team[i] + 1) / (1 + 2 * n_urgent) + rng.normal(0, 2)
        x[i, MAXLEN - length :] = seq  # pre-padding
    return x, team, np.log1p(np.maximum(hours, 0.5)).astype("float32")


x_train, team_train, logh_train = make_tickets(3000)
x_test, team_test, logh_test = make_tickets(600)

tokens = keras.Input(shape=(MAXLEN,), dtype="int32", name="tokens")
h = layers.Embedding(VOCAB, 32)(tokens)
h = layers.GRU(32)(h)
h = layers.Dense(32, activation="relu")(h)
team_out = layers.Dense(3, activation="softmax", name="team")(h)
hours_out = layers.Dense(1, name="log_hours")(h)
model = keras.Model(tokens, [team_out, hours_out])

model.compile(
    optimizer=keras.optimizers.Adam(2e-3),
    loss={"team": "sparse_categorical_crossentropy", "log_hours": "mse"},
    loss_weights={"team": 1.0, "log_hours": 0.5},
    metrics={"team": ["accuracy"], "log_hours": ["mae"]},
)
model.fit(
    x_train,
    {"team": team_train, "log_hours": logh_train},
    batch_size=64,
    epochs=10,
    validation_split=0.2,
    verbose=2,
)
res = model.evaluate(x_test, {"team": team_test, "log_hours": logh_test}, verbose=0, return_dict=True)
print("test:", {k: round(float(v), 4) for k, v in res.items()})
print("log-hours variance:", round(float(logh_test.var()), 4))
