"""fit(sample_weight=...) and fit(class_weight=...) in the native Trainer against Keras's own fit
on torch: the per-epoch loss and accuracy, validation included, from the same weights and the
same shuffles, within the contract tolerance."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
import pytest
import torch

from port_contract import _close
from scen.keras_exact.reduction import class_weight_to_sample_weights, fit_sample_weights
from scen.native import Trainer
from scen.observe import Observers
from scen.scenario import Dataset, Fit

pytestmark = [
    pytest.mark.skipif(keras.backend.backend() != "torch", reason="the oracle is Keras on torch"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]
RNG = np.random.default_rng(0)
X = RNG.normal(size=(36, 4)).astype("float32")
CLASSES = RNG.integers(0, 3, 36)
CASES = {
    "sample_weight-bce-split": dict(
        y=(CLASSES > 0).astype("float32"), units=1, activation="sigmoid",
        loss="binary_crossentropy", sample_weight=RNG.uniform(0, 3, 36).astype("float32"),
        validation_split=0.25),
    "class_weight-sparse": dict(
        y=CLASSES.astype("float32"), units=3, activation="softmax",
        loss="sparse_categorical_crossentropy", class_weight={0: 0.2, 1: 1.0, 2: 3.0},
        validation_split=0.25),
    "class_weight-onehot-smoothed": dict(
        y=np.eye(3, dtype="float32")[CLASSES], units=3, activation=None,
        loss=keras.losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1),
        class_weight={2: 5.0}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_weighted_fit_matches_keras(name):
    case = CASES[name]
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,))
    out = keras.layers.Dense(case["units"], activation=case["activation"])(
        keras.layers.Dense(6, activation="tanh")(inp))
    model = keras.Model(inp, out)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss=case["loss"], metrics=["accuracy"])
    start = model.get_weights()
    split = case.get("validation_split", 0.0)
    torch.manual_seed(5)
    theirs = model.fit(X, case["y"], batch_size=8, epochs=2, validation_split=split,
                       sample_weight=case.get("sample_weight"),
                       class_weight=case.get("class_weight"), verbose=0).history
    model.set_weights(start)
    data = Dataset(X, case["y"], sample_weight=case.get("sample_weight"))
    fit = Fit(epochs=2, batch_size=8, validation_split=split,
              class_weight=case.get("class_weight"))
    trainer = Trainer(model, data, fit)
    torch.manual_seed(5)
    trainer.fit(2, Observers([]))
    assert set(theirs) <= set(trainer.history)
    for key, values in theirs.items():
        _close(f"{name} {key}", np.array(trainer.history[key]), np.array(values))


def test_class_weight_to_sample_weights_as_keras():
    from keras.src.trainers.data_adapters import data_adapter_utils

    for y in (CLASSES, CLASSES.reshape(-1, 1).astype("float32"), np.eye(3)[CLASSES],
              CLASSES + 0.4):
        _close("weights", class_weight_to_sample_weights(y, {0: 2.0, 2: 0.5}),
               data_adapter_utils.class_weight_to_sample_weights(y, {0: 2.0, 2: 0.5}))


def test_both_weights_at_once_is_refused_as_keras_does():
    with pytest.raises(ValueError, match="class_weight"):
        fit_sample_weights(CLASSES, np.ones(36), {0: 1.0}, 30)
    assert fit_sample_weights(CLASSES, None, None, 30) == (None, None)
