"""Every translated layer under the port contract (tests/port_contract.py): forward, gradients
and SGD/Adam steps against Keras-on-torch from the same weights, over a grid of settings."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
import pytest

from port_contract import check_model, make_inputs, run_layer_contract
from scen.port import SUPPORTED_ACTIVATIONS, UnsupportedLayerError, translate

pytestmark = [
    pytest.mark.skipif(keras.backend.backend() != "torch", reason="the oracle is Keras on torch"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
]
L = keras.layers

CASES = {
    "Dense": (lambda **k: L.Dense(3, **k), (2, 5), {"use_bias": [True, False]}),
    "Conv1D": (lambda **k: L.Conv1D(3, 3, **k), (9, 2),
               {"padding": ["valid", "same", "causal"], "strides": [1, 2]}),
    "Conv1D-dilated": (lambda **k: L.Conv1D(2, 3, dilation_rate=2, **k), (9, 2),
                       {"padding": ["valid", "same", "causal"]}),
    "Conv2D": (lambda **k: L.Conv2D(3, (3, 2), **k), (7, 6, 2),
               {"padding": ["valid", "same"], "strides": [1, 2], "activation": ["relu"]}),
    "Conv2D-dilated": (lambda **k: L.Conv2D(2, 3, dilation_rate=2, **k), (8, 8, 1),
                       {"padding": ["valid", "same"]}),
    "Conv2D-channels_first": (lambda **k: L.Conv2D(2, 3, data_format="channels_first", **k),
                              (2, 6, 6), {"padding": ["valid", "same"]}),
    "MaxPooling1D": (lambda **k: L.MaxPooling1D(**k), (9, 2), {"pool_size": [2, 3], "padding": ["valid", "same"]}),
    "AveragePooling1D": (lambda **k: L.AveragePooling1D(**k), (9, 2), {"pool_size": [2, 3], "padding": ["valid", "same"]}),
    "MaxPooling2D": (lambda **k: L.MaxPooling2D(**k), (7, 6, 2), {"pool_size": [2, 3], "strides": [None, 1], "padding": ["valid", "same"]}),
    "AveragePooling2D": (lambda **k: L.AveragePooling2D(**k), (7, 6, 2), {"pool_size": [2, 3], "padding": ["valid", "same"]}),
    "GlobalAveragePooling1D": (lambda **k: L.GlobalAveragePooling1D(**k), (5, 3), {"keepdims": [False, True]}),
    "GlobalMaxPooling1D": (lambda **k: L.GlobalMaxPooling1D(**k), (5, 3), {}),
    "GlobalAveragePooling2D": (lambda **k: L.GlobalAveragePooling2D(**k), (4, 5, 3), {}),
    "GlobalMaxPooling2D": (lambda **k: L.GlobalMaxPooling2D(**k), (4, 5, 3), {"keepdims": [False, True]}),
    "BatchNormalization": (lambda **k: L.BatchNormalization(**k), (6,), {"center": [True, False], "scale": [True, False]}),
    "BatchNormalization-conv": (lambda **k: L.BatchNormalization(**k), (4, 4, 3), {"momentum": [0.99, 0.5]}),
    "LayerNormalization": (lambda **k: L.LayerNormalization(**k), (3, 6), {"rms_scaling": [False, True]}),
    "SimpleRNN": (lambda **k: L.SimpleRNN(3, **k), (5, 2), {"return_sequences": [False, True], "go_backwards": [False, True]}),
    "LSTM": (lambda **k: L.LSTM(3, **k), (5, 2), {"return_sequences": [False, True], "go_backwards": [False, True], "use_bias": [True, False]}),
    "GRU": (lambda **k: L.GRU(3, **k), (5, 2), {"reset_after": [True, False], "return_sequences": [False, True], "go_backwards": [False, True]}),
    "Reshape": (lambda **k: L.Reshape((3, 4), **k), (12,), {}),
    "Permute": (lambda **k: L.Permute((2, 1), **k), (3, 4), {}),
    "RepeatVector": (lambda **k: L.RepeatVector(3, **k), (4,), {}),
    "ZeroPadding1D": (lambda **k: L.ZeroPadding1D(**k), (4, 2), {"padding": [1, (2, 0)]}),
    "ZeroPadding2D": (lambda **k: L.ZeroPadding2D(**k), (4, 3, 2), {"padding": [1, ((1, 0), (0, 2))]}),
    "Cropping1D": (lambda **k: L.Cropping1D(**k), (6, 2), {"cropping": [1, (2, 0)]}),
    "Cropping2D": (lambda **k: L.Cropping2D(**k), (6, 5, 2), {"cropping": [1, ((1, 0), (0, 2))]}),
    "UpSampling1D": (lambda **k: L.UpSampling1D(**k), (3, 2), {"size": [2]}),
    "UpSampling2D": (lambda **k: L.UpSampling2D(**k), (3, 2, 2), {"size": [2, (1, 3)]}),
    "Flatten": (lambda **k: L.Flatten(**k), (3, 2, 2), {}),
    "Dropout": (lambda **k: L.Dropout(**k), (8,), {"rate": [0.0, 0.5]}),
    "SpatialDropout1D": (lambda **k: L.SpatialDropout1D(**k), (4, 6), {"rate": [0.5]}),
    "SpatialDropout2D": (lambda **k: L.SpatialDropout2D(**k), (3, 3, 6), {"rate": [0.5]}),
    "GaussianNoise": (lambda **k: L.GaussianNoise(**k), (6,), {"stddev": [0.3]}),
    "GaussianDropout": (lambda **k: L.GaussianDropout(**k), (6,), {"rate": [0.3]}),
    "Rescaling": (lambda **k: L.Rescaling(**k), (4,), {"scale": [1 / 255.0, 2.0], "offset": [0.0, -1.0]}),
    "ReLU": (lambda **k: L.ReLU(**k), (6,), {"max_value": [None, 6.0, 1.0], "negative_slope": [0.0, 0.1], "threshold": [0.0, 0.5]}),
    "LeakyReLU": (lambda **k: L.LeakyReLU(**k), (6,), {}),
    "ELU": (lambda **k: L.ELU(**k), (6,), {"alpha": [1.0, 0.5]}),
    "Softmax": (lambda **k: L.Softmax(**k), (3, 4), {"axis": [-1, 1]}),
    "PReLU": (lambda **k: L.PReLU(**k), (6,), {}),
    "Activation": (lambda **k: L.Activation(**k), (6,), {"activation": sorted(SUPPORTED_ACTIVATIONS)}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_layer_contract(name):
    make, shape, grid = CASES[name]
    run_layer_contract(make, shape, grid)


def test_embedding_contract():
    run_layer_contract(lambda **k: keras.layers.Embedding(10, 3, **k), (5,), {}, ints=(0, 10))


MERGES = {"Add": L.Add, "Subtract": L.Subtract, "Multiply": L.Multiply, "Average": L.Average,
          "Maximum": L.Maximum, "Minimum": L.Minimum, "Concatenate": L.Concatenate}


@pytest.mark.parametrize("name", sorted(MERGES))
def test_merge_contract(name):
    run_layer_contract(lambda **k: MERGES[name](**k), [(3, 4), (3, 4)], {})


@pytest.mark.parametrize("axes, normalize, shapes", [
    (1, False, [(4,), (4,)]), (1, True, [(4,), (4,)]), ((2, 2), False, [(3, 4), (5, 4)]),
    ((1, 2), False, [(3, 4), (5, 3)])])
def test_dot_contract(axes, normalize, shapes):
    run_layer_contract(lambda **k: L.Dot(axes=axes, normalize=normalize), shapes, {})


def test_normalization_adapted():
    data = np.random.default_rng(0).normal(3.0, 2.0, size=(50, 4)).astype("float32")
    norm = L.Normalization()
    norm.adapt(data)
    inp = keras.Input((4,))
    model = keras.Model(inp, L.Dense(2)(norm(inp)))
    check_model(model, make_inputs([(4,)], 4, 1), label="Normalization")


@pytest.mark.parametrize("layer", ["lstm", "gru", "simple", "pool"])
def test_masked_sequence_from_embedding(layer):
    inp = keras.Input((6,))
    x = L.Embedding(8, 3, mask_zero=True)(inp)
    x = {"lstm": L.LSTM(4), "gru": L.GRU(4), "simple": L.SimpleRNN(4),
         "pool": L.GlobalAveragePooling1D()}[layer](x)
    model = keras.Model(inp, L.Dense(1)(x))
    xs = make_inputs([(6,)], 4, 2, ints=(1, 8))
    xs[0][:, 4:] = 0  # padding at the end
    xs[0][1, 2:] = 0
    check_model(model, xs, label=f"masked {layer}")


@pytest.mark.parametrize("layer", ["lstm", "gru", "simple"])
@pytest.mark.parametrize("masked", [False, True], ids=["dense", "masked"])
def test_return_state_gives_the_last_carried_states(layer, masked):
    """[output, h] (and c for an LSTM), each feeding the head: forward, gradients and steps."""
    inp = keras.Input((6,))
    x = L.Embedding(8, 3, mask_zero=masked)(inp)
    rnn = {"lstm": L.LSTM, "gru": L.GRU, "simple": L.SimpleRNN}[layer]
    _, *states = rnn(4, return_state=True, return_sequences=True)(x)
    model = keras.Model(inp, L.Dense(1)(L.Concatenate()(states)))
    xs = make_inputs([(6,)], 4, 2, ints=(1, 8))
    xs[0][1, 3:] = 0  # padding at the end: the states stop at the last real step
    check_model(model, xs, label=f"{layer} return_state {'masked' if masked else ''}")


def test_masked_return_sequences_into_a_second_lstm():
    inp = keras.Input((6,))
    x = L.Embedding(8, 3, mask_zero=True)(inp)
    x = L.LSTM(4, return_sequences=True)(x)
    model = keras.Model(inp, L.Dense(1)(L.LSTM(2)(x)))
    xs = make_inputs([(6,)], 4, 2, ints=(0, 8))
    check_model(model, xs, label="stacked masked LSTM")


@pytest.mark.parametrize("make, shape", [
    (lambda: L.LSTM(3, dropout=0.2, seed=1), (4, 2)),
    (lambda: L.GRU(3, recurrent_dropout=0.1, seed=2), (4, 2)),
    (lambda: L.SimpleRNN(3, dropout=0.5), (4, 2)),
    (lambda: L.Dense(3, activity_regularizer="l2"), (4,)),
    (lambda: L.BatchNormalization(renorm=True), (4,)),
    (lambda: L.UpSampling2D(interpolation="bilinear"), (4, 4, 1)),
    (lambda: L.Conv2DTranspose(2, 3), (4, 4, 1)),
], ids=["LSTM(dropout)", "GRU(recurrent_dropout)", "SimpleRNN(dropout)",
        "Dense(activity_regularizer)", "BatchNormalization(renorm)", "UpSampling2D(bilinear)",
        "Conv2DTranspose"])
def test_settings_without_a_translation_are_run_by_keras(make, shape):
    """Where a translation refuses a setting, Keras runs the layer (KerasCall), under the
    same contract."""
    run_layer_contract(lambda: make(), shape, perturb=False)


def test_a_regularizer_the_port_cannot_add_is_refused():
    inp = keras.Input((4,))
    model = keras.Model(inp, L.Dense(3, kernel_regularizer=keras.regularizers.OrthogonalRegularizer())(inp))
    with pytest.raises(UnsupportedLayerError, match="OrthogonalRegularizer"):
        translate(model)


def test_masked_input_to_a_layer_that_would_use_it_is_refused():
    inp = keras.Input((6,))
    x = L.Embedding(8, 3, mask_zero=True)(inp)
    model = keras.Model(inp, L.Dense(1)(L.Flatten()(L.BatchNormalization()(x))))
    with pytest.raises(UnsupportedLayerError, match="BatchNormalization.*masked"):
        translate(model)
