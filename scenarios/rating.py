"""Keras loss function does not decrease on mean squared error (seeds 000 and 001).

One question, asked in English and in Russian. A rating predictor with two inputs and a shared
Dense layer works as a 5-class classifier; as a regressor with a Dense(1, softmax) head its loss
never moves. A softmax over one unit is exactly 1.0 whatever its input: the output is constant,
every gradient is exactly zero and the weights never change.
"""

import numpy as np

from scen.scenario import Check, Dataset, Fit, Scenario, Variant, keras_optimizer

POSTED_CODE = """\
inputLayerU = Input(shape=(features,))
inputLayerM = Input(shape=(features,))
dense1 = Dense(features, activation='relu')
denseU = dense1(inputLayerU)
denseM = dense1(inputLayerM)
concatLayer = concatenate([denseU, denseM], axis = 1)
denseLayer = Dense(features*2, activation='relu')(concatLayer)
outputLayer = Dense(1, activation='softmax')(denseLayer)
model = Model(inputs=[inputLayerU, inputLayerM], outputs=outputLayer)
model.compile(loss='mean_squared_error', optimizer=Adam(lr=0.01), metrics=['accuracy'])
model.fit([inputU, inputM], outputY, epochs=10, steps_per_epoch=10)"""

FEATURES = 16
SAMPLES = 3200  # 10 epochs x 10 steps x 32: one pass over the data
# Shares of ratings 1..5 that give the poster's numbers: accuracy 0.056 (the share of 1s,
# the only rating a constant output of 1.0 gets right) and loss ~7.9 (mean (rating - 1)^2).
SHARES = (0.056, 0.108, 0.261, 0.349, 0.226)

CONFIG = dict(
    outputs=1,
    head="softmax",
    loss="mean_squared_error",
    target="rating",  # 'rating': 1..5 as a number; 'one-hot': five classes
    learning_rate=0.01,
    epochs=10,
)

LOSS_MOVES = "epoch loss range over the run"
WEIGHTS_MOVE = "largest weight change"
FINAL_LOSS = "final epoch loss"
FINAL_ACC = "final epoch accuracy"
FIRST_ACC = "first epoch accuracy"

VARIANTS = (
    Variant("as-posted", "the regression head: Dense(1, softmax) with mean_squared_error",
            fixes=False, reported={FINAL_LOSS: 7.9446, FINAL_ACC: 0.0563, WEIGHTS_MOVE: "none"}),
    Variant("classifier", "the poster's first model: Dense(5, softmax), categorical_crossentropy",
            dict(outputs=5, loss="categorical_crossentropy", target="one-hot"),
            reported={FIRST_ACC: 0.3209, FINAL_ACC: 0.4464, FINAL_LOSS: 1.2631}),
    Variant("linear-output", "the answer: no softmax on a regression output (Dense(1))",
            dict(head="linear"), applies="linear output"),
    Variant("adam-default-lr", "the answer's second idea alone: Adam() with its default lr",
            dict(learning_rate=None), fixes=False),
)


def make_data(config: dict, seed: int) -> Dataset:
    rng = np.random.default_rng(seed)
    users = rng.normal(size=(SAMPLES, FEATURES)).astype("float32")
    items = rng.normal(size=(SAMPLES, FEATURES)).astype("float32")
    # A rating grows with the user's generosity and the item's quality (each a direction in
    # feature space), plus taste noise: learnable, but not perfectly.
    generosity, quality = rng.normal(size=(2, FEATURES)) / np.sqrt(FEATURES)
    affinity = users @ generosity + items @ quality + 1.2 * rng.normal(size=SAMPLES)
    cuts = np.quantile(affinity, np.cumsum(SHARES)[:-1])
    rating = np.searchsorted(cuts, affinity) + 1  # 1..5
    if config["target"] == "one-hot":
        y = np.eye(5, dtype="float32")[rating - 1]
    else:
        y = rating.astype("float32")[:, None]
    note = (f"{SAMPLES} user/item pairs of {FEATURES} features; ratings 1..5 in shares "
            f"{SHARES}, from user and item features plus noise")
    return Dataset([users, items], y, note=note)


def build_model(config: dict):
    import keras
    from keras import layers

    user, item = keras.Input(shape=(FEATURES,)), keras.Input(shape=(FEATURES,))
    shared = layers.Dense(FEATURES, activation="relu")
    joined = layers.concatenate([shared(user), shared(item)], axis=1)
    hidden = layers.Dense(FEATURES * 2, activation="relu")(joined)
    output = layers.Dense(config["outputs"], activation=config["head"])(hidden)
    model = keras.Model(inputs=[user, item], outputs=output)
    model.compile(loss=config["loss"], optimizer=keras_optimizer("adam", config["learning_rate"]),
                  metrics=["accuracy"])
    return model


def fit(config: dict) -> Fit:
    return Fit(epochs=config["epochs"], batch_size=32, steps_per_epoch=10)


def symptom(config: dict, run) -> list[Check]:
    loss, accuracy = run.history["loss"], run.history["accuracy"]
    frozen = run.weight_change == 0.0
    return [
        Check(WEIGHTS_MOVE, "none" if frozen else f"{run.weight_change:.3g}", holds=frozen,
              note="no weight ever changes: every gradient is zero (on TensorFlow on some "
                   "CPUs the softmax is 0.99999994 and Adam turns its 7e-9 gradients into "
                   "whole steps: the weights wander, the output stays constant)"),
        Check(LOSS_MOVES, round(max(loss) - min(loss), 4),
              note="10-step epochs: the loss wobbles with the batches drawn"),
        Check(FIRST_ACC, round(accuracy[0], 4)),
        Check(FINAL_LOSS, round(loss[-1], 4)),
        Check(FINAL_ACC, round(accuracy[-1], 4)),
    ]


SCENARIO = Scenario(
    name="rating",
    title="Keras loss function does not decrease on mean squared error",
    seeds=("000_86359e2b7eb9981b.txt", "001_78faf240bdf28ff0.txt"),
    question=("Predicting a 1..5 rating from user and item features: as a 5-class classifier "
              "accuracy climbs 0.32 -> 0.45; as a regressor with a Dense(1, softmax) output the "
              "loss sits at 7.9446 from epoch 2 and accuracy at 0.0563 throughout."),
    posted_code=POSTED_CODE,
    reported="regression: loss 7.9451, 7.9447, then 7.9446 for epochs 3-10, accuracy 0.0563; "
             "classifier: loss 1.4778 -> 1.2631, accuracy 0.3209 -> 0.4464",
    config=CONFIG,
    variants=VARIANTS,
    make_data=make_data,
    build_model=build_model,
    fit=fit,
    symptom=symptom,
    backend_notes=("Every backend: softmax over one unit is 1.0, so all gradients are exactly 0. "
                   "Keras 3 warns about a softmax over an axis of size 1."),
)
