"""Twenty programs of the kinds people post (tests/forum_programs.py): each is translated, and
its per-step loss over 100 steps matches Keras-on-torch within the contract tolerance
(|port - keras| <= 1e-5 + 1e-5 * |keras|). The table is printed with `pytest -s`."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
import pytest

from forum_programs import PROGRAMS
from port_contract import ATOL, RTOL, train_parity
from scen.port import UnsupportedLayerError

pytestmark = [
    pytest.mark.skipif(keras.backend.backend() != "torch", reason="the oracle is Keras on torch"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]
STEPS = 100
RESULTS = {}
# Over ~15 s each on a shared 2-core machine (Keras's train_on_batch is most of it).
SLOW = {"conv_lstm_hybrid", "gru_sequence", "text_lstm_masked", "mnist_convnet",
        "cifar_like_bn_dropout"}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n in SLOW else n
                                  for n in PROGRAMS])
def test_program_trains_like_keras(name):
    keras.utils.set_random_seed(0)
    model, xs, y, loss, optimizer = PROGRAMS[name]()
    try:
        theirs, ours = train_parity(model, xs, y, loss, optimizer, steps=STEPS)
    except UnsupportedLayerError as e:
        RESULTS[name] = (False, None)
        pytest.fail(f"not translated: {e}")
    diff = np.abs(ours - theirs)
    RESULTS[name] = (True, float(diff.max()))
    bad = diff > ATOL + RTOL * np.abs(theirs)
    assert not bad.any(), f"step {int(np.argmax(bad))}: keras {theirs[bad][0]} port {ours[bad][0]}"


def teardown_module(module):
    if RESULTS:
        done = sum(ok for ok, _ in RESULTS.values())
        print(f"\n{done}/{len(RESULTS)} translated; per-step loss, {STEPS} steps:")
        for name, (ok, worst) in RESULTS.items():
            print(f"  {name:32s} {'yes' if ok else 'no ':3s} {'' if worst is None else f'{worst:.1e}'}")
