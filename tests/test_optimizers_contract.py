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


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_build_makes_every_slot_an_update_would(name):
    """Trainer.compile builds the optimizer before torch.compile: a slot an update makes
    that build() did not would be created inside the compiled step and compile it again."""
    import torch

    from scen.keras_exact import get_optimizer

    def params():
        torch.manual_seed(0)
        return [torch.nn.Parameter(torch.randn(3, 2)), torch.nn.Parameter(torch.randn(2))]

    built = get_optimizer(OPTIMIZERS[name](), params())
    built.build(built._params)
    stepped = get_optimizer(OPTIMIZERS[name](), params())
    stepped.apply([torch.ones_like(p) for p in stepped._params])
    assert [sorted(built.state[p]) for p in built._params] == \
        [sorted(stepped.state[p]) for p in stepped._params]
    before = [{k: v.clone() for k, v in built.state[p].items()} for p in built._params]
    built.apply([torch.ones_like(p) for p in built._params])  # built slots start as Keras's
    for p, q, was in zip(built._params, stepped._params, before):
        assert all(torch.equal(built.state[p][k], stepped.state[q][k]) for k in was)
