"""Bidirectional and TimeDistributed under the port contract (forward, gradients, training
steps against Keras-on-torch from the same weights), masks and refusals included."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import pytest

from port_contract import check_model, make_inputs, run_layer_contract

pytestmark = [
    pytest.mark.skipif(keras.backend.backend() != "torch", reason="the oracle is Keras on torch"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]
L = keras.layers


@pytest.mark.parametrize("rnn", ["lstm", "gru", "simple"])
def test_bidirectional(rnn):
    make_rnn = {"lstm": L.LSTM, "gru": L.GRU, "simple": L.SimpleRNN}[rnn]

    def bidirectional(merge_mode, return_sequences):
        return L.Bidirectional(make_rnn(3, return_sequences=return_sequences),
                               merge_mode=merge_mode)

    grid = {"merge_mode": ["concat", "sum", "ave", "mul"], "return_sequences": [False, True]}
    if rnn != "lstm":  # the grid once in full; the other cells on two corners of it
        grid = {"merge_mode": ["concat", "mul"], "return_sequences": [True]}
    run_layer_contract(bidirectional, (4, 2), grid, optimizers=("adam",), steps=2)


def test_bidirectional_on_a_masked_sequence():
    inp = keras.Input((6,))
    x = L.Embedding(8, 3, mask_zero=True)(inp)
    x = L.Bidirectional(L.LSTM(3, return_sequences=True))(x)
    model = keras.Model(inp, L.Dense(1)(L.Bidirectional(L.GRU(2), merge_mode="sum")(x)))
    xs = make_inputs([(6,)], 4, 2, ints=(1, 8))
    xs[0][:, 4:] = 0
    xs[0][1, 2:] = 0
    check_model(model, xs, label="masked Bidirectional", optimizers=("sgd",), steps=2)


@pytest.mark.parametrize("inner", ["dense", "dense-softmax", "conv2d", "dropout", "batchnorm"])
def test_time_distributed(inner):
    make_inner, shape = {
        "dense": (lambda: L.Dense(3, activation="tanh"), (4, 2)),
        "dense-softmax": (lambda: L.Dense(3, activation="softmax"), (4, 2)),
        "conv2d": (lambda: L.Conv2D(2, 2, padding="same"), (3, 4, 4, 1)),
        "dropout": (lambda: L.Dropout(0.5), (4, 5)),
        "batchnorm": (lambda: L.BatchNormalization(), (4, 3)),
    }[inner]
    run_layer_contract(lambda: L.TimeDistributed(make_inner()), shape, optimizers=("sgd",),
                       steps=2)


def test_time_distributed_dense_then_lstm():
    inp = keras.Input((5, 3))
    x = L.TimeDistributed(L.Dense(4, activation="relu"))(inp)
    model = keras.Model(inp, L.TimeDistributed(L.Dense(2))(L.LSTM(3, return_sequences=True)(x)))
    check_model(model, make_inputs([(5, 3)], 4, 1), label="TimeDistributed+LSTM")


@pytest.mark.parametrize("make", [
    lambda: lambda x: L.Concatenate()(L.Bidirectional(L.LSTM(3), merge_mode=None)(x)),
    lambda: L.Bidirectional(L.LSTM(3, dropout=0.1, seed=4)),
    lambda: L.TimeDistributed(L.Dense(3, activity_regularizer="l2")),
], ids=["Bidirectional(merge_mode=None)", "LSTM(dropout)", "Dense(activity_regularizer)"])
def test_wrapped_settings_without_a_translation_are_run_by_keras(make):
    """A wrapper whose translation refuses its setting or its inner layer's is run by Keras
    (scen.port.keras_call), under the same contract."""
    inp = keras.Input((4, 2))
    keras.utils.set_random_seed(0)
    model = keras.Model(inp, make()(inp))  # a layer, or a function of the input
    check_model(model, make_inputs([(4, 2)], 4, 1), label="wrapped")
