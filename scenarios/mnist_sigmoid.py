"""Loss grows with the learning rate on MNIST (seed 002).

Flatten -> Dense(10, sigmoid) on MNIST with SGD and categorical cross-entropy: the loss is in
the hundreds and roughly triples when the learning rate triples, while accuracy looks fine.
The pixels were never scaled (0..255), so the logits are huge and the sigmoids saturate.
Only Keras's TensorFlow backend shows the poster's loss: it computes the cross-entropy from the
pre-sigmoid logits, which are unbounded. The torch and JAX backends clip the probabilities, so
the loss stays small and accuracy collapses instead.
"""

import numpy as np

from scen.data import load_mnist
from scen.scenario import Check, Dataset, Fit, Scenario, Variant, keras_optimizer

POSTED_CODE = """\
model = Sequential()
model.add(Input(shape=(28, 28)))
model.add(Flatten())
model.add(Dense(10, activation='sigmoid'))
model.compile(optimizer=tf.keras.optimizers.SGD(learning_rate=0.01),
              loss='categorical_crossentropy', metrics=['accuracy'])
history = model.fit(x_train, y_train, validation_data=(x_test, y_test),
                    batch_size=32, epochs=10)"""

CONFIG = dict(head="sigmoid", learning_rate=0.01, pixel_scale=1.0, epochs=10)

FIRST_LOSS = "epoch-1 loss"
FIRST_VAL_LOSS = "epoch-1 val_loss"
FIRST_ACC = "epoch-1 logged accuracy"
LOSS_HUGE = "loss in the hundreds"
ACC_COLLAPSED = "logged accuracy at most 0.5"

VARIANTS = (
    Variant("as-posted", "pixels 0..255, sigmoid output, SGD(learning_rate=0.01)", fixes=False,
            reported={FIRST_LOSS: 315.4696, FIRST_VAL_LOSS: 195.9139, FIRST_ACC: 0.8432}),
    Variant("lr-0.03", "the poster's second run: SGD(learning_rate=0.03)",
            dict(learning_rate=0.03), fixes=False,
            reported={FIRST_LOSS: 931.754, FIRST_VAL_LOSS: 618.5505, FIRST_ACC: 0.8417}),
    Variant("scaled-pixels", "x / 255: inputs in [0, 1] (the root cause)", dict(pixel_scale=1 / 255),
            applies="inputs scaled"),
    Variant("softmax-output", "the answer: Dense(10, softmax) for one-of-ten classes",
            dict(head="softmax"), fixes=False),
    Variant("lower-lr", "the answer: a lower learning rate, SGD(learning_rate=0.001)",
            dict(learning_rate=0.001), fixes=False),
    Variant("scaled-softmax", "both: x / 255 and a softmax output",
            dict(pixel_scale=1 / 255, head="softmax")),
)


def make_data(config: dict, seed: int) -> Dataset:
    (x_train, y_train), (x_test, y_test) = load_mnist()
    scale = np.float32(config["pixel_scale"])
    x_train, x_test = x_train.astype("float32") * scale, x_test.astype("float32") * scale
    onehot = np.eye(10, dtype="float32")
    note = f"MNIST, pixels in [0, {255 * scale:g}], one-hot labels"
    return Dataset(x_train, onehot[y_train], validation=(x_test, onehot[y_test]), note=note)


def build_model(config: dict):
    import keras
    from keras import layers

    model = keras.Sequential([
        keras.Input(shape=(28, 28)),
        layers.Flatten(),
        layers.Dense(10, activation=config["head"]),
    ])
    model.compile(optimizer=keras_optimizer("sgd", config["learning_rate"]),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def fit(config: dict) -> Fit:
    return Fit(epochs=config["epochs"], batch_size=32)


def symptom(config: dict, run) -> list[Check]:
    h = run.history
    return [
        Check(FIRST_LOSS, round(h["loss"][0], 4)),
        Check(FIRST_VAL_LOSS, round(h["val_loss"][0], 4)),
        Check(FIRST_ACC, round(h["accuracy"][0], 4)),
        Check(LOSS_HUGE, round(max(h["loss"]), 2), holds=max(h["loss"]) > 100,
              note="cross-entropy from unbounded logits (Keras on TensorFlow)"),
        Check(ACC_COLLAPSED, round(h["accuracy"][-1], 4), holds=h["accuracy"][-1] <= 0.5,
              note="saturated sigmoids tie at 1.0 and argmax picks the first"),
    ]


SCENARIO = Scenario(
    name="mnist-sigmoid",
    title="Loss proportional to the learning rate instead of decreasing (MNIST, sigmoid output)",
    seeds=("002_9e5447a2a6199d4d.txt",),
    question=("A single Dense(10, sigmoid) layer on MNIST: loss ~315 at lr 0.01 and ~931 at "
              "lr 0.03, at accuracy ~0.84-0.88. 'The decrease in the loss should be proportional "
              "to the learning rate, not the loss itself.'"),
    posted_code=POSTED_CODE,
    reported="lr 0.01: loss 315.47 -> 238.11, val_loss 195.91 -> 275.05, accuracy 0.843 -> 0.881; "
             "lr 0.03: loss 931.75 -> 696.23, val_loss 618.55 -> 785.19, accuracy 0.842 -> 0.883",
    config=CONFIG,
    variants=VARIANTS,
    make_data=make_data,
    build_model=build_model,
    fit=fit,
    symptom=symptom,
    backend_notes=("The loss in the hundreds appears only on Keras's TensorFlow backend, which "
                   "computes cross-entropy from the pre-sigmoid logits. The torch and JAX backends "
                   "clip the probabilities: the loss stays near 2-3 and the logged accuracy "
                   "collapses to 0.1-0.3, because several sigmoid outputs are exactly 1.0 and "
                   "argmax ties."),
    quick_epochs=2,
)
