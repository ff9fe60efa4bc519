"""scen.keras_exact's optimizers and gradient clipping under the port contract: a few steps of
a small Dense + Conv model against Keras-on-torch's own optimizer, from the same weights."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import pytest

from port_contract import check_model, make_inputs

pytestmark = [
    pytest.mark.skipif(keras.backend.backend() != "torch", reason="the oracle is Keras on torch"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]
O = keras.optimizers
OPTIMIZERS = {
    "sgd-momentum": lambda: O.SGD(0.05, momentum=0.9),
    "sgd-nesterov": lambda: O.SGD(0.05, momentum=0.9, nesterov=True),
    "adam-amsgrad": lambda: O.Adam(0.01, amsgrad=True),
    "adamw": lambda: O.AdamW(0.01, weight_decay=0.05),
    "adagrad": lambda: O.Adagrad(0.05),
    "adamax": lambda: O.Adamax(0.01),
    "lion": lambda: O.Lion(0.001),
    "rmsprop-centered": lambda: O.RMSprop(0.01, centered=True, momentum=0.5),
    "clipnorm": lambda: O.Adam(0.01, clipnorm=0.1),
    "clipvalue": lambda: O.SGD(0.1, clipvalue=0.01),
    "global_clipnorm": lambda: O.SGD(0.1, global_clipnorm=0.2),
    "sgd-weight_decay": lambda: O.SGD(0.1, weight_decay=0.01),
    "nadam": lambda: O.Nadam(0.01),
    "nadam-clipnorm": lambda: O.Nadam(0.02, beta_1=0.8, clipnorm=0.5),
    "adadelta": lambda: O.Adadelta(1.0),
    "adadelta-rho": lambda: O.Adadelta(0.5, rho=0.8, weight_decay=0.01),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizer_steps_match_keras(name):
    keras.utils.set_random_seed(0)
    inp = keras.Input((6, 2))
    x = keras.layers.Conv1D(3, 3, activation="tanh")(inp)
    model = keras.Model(inp, keras.layers.Dense(2)(keras.layers.Flatten()(x)))
    check_model(model, make_inputs([(6, 2)], 8, 1), optimizers=[OPTIMIZERS[name]()], steps=5,
                label=name)
