"""scen.keras_exact's losses against Keras-on-torch: the value and its gradient for a grid of
inputs (with sample weights and each reduction), and a few training steps from the same
weights (the contract's train_parity), within the contract tolerance."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras
import numpy as np
import pytest
import torch
from keras.src.losses.losses import LossFunctionWrapper

from port_contract import _close, train_parity
from scen import keras_exact as ke

pytestmark = [
    pytest.mark.skipif(keras.backend.backend() != "torch", reason="the oracle is Keras on torch"),
    pytest.mark.filterwarnings("ignore::UserWarning"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning"),
]
L = keras.losses
# name -> (the Keras loss, the kind of output and labels it takes)
LOSSES = {
    "bce": (lambda: L.BinaryCrossentropy(), "sigmoid"),
    "bce-logits": (lambda: L.BinaryCrossentropy(from_logits=True), "logits01"),
    "bce-smooth": (lambda: L.BinaryCrossentropy(label_smoothing=0.2), "sigmoid"),
    "bce-logits-smooth": (lambda: L.BinaryCrossentropy(from_logits=True, label_smoothing=0.1),
                          "logits01"),
    "cce": (lambda: L.CategoricalCrossentropy(), "softmax"),
    "cce-logits": (lambda: L.CategoricalCrossentropy(from_logits=True), "logits-onehot"),
    "cce-smooth": (lambda: L.CategoricalCrossentropy(label_smoothing=0.1), "softmax"),
    "cce-logits-smooth": (lambda: L.CategoricalCrossentropy(from_logits=True,
                                                            label_smoothing=0.3),
                          "logits-onehot"),
    "scce": (lambda: L.SparseCategoricalCrossentropy(), "softmax-sparse"),
    "scce-logits": (lambda: L.SparseCategoricalCrossentropy(from_logits=True), "logits-sparse"),
    "huber": (lambda: L.Huber(), "regression"),
    "huber-delta": (lambda: L.Huber(delta=0.3), "regression"),
    "log_cosh": (lambda: L.LogCosh(), "regression"),
    "kld": (lambda: L.KLDivergence(), "softmax-soft"),
    "poisson": (lambda: L.Poisson(), "counts"),
    "hinge": (lambda: L.Hinge(), "logits01"),
    "squared_hinge": (lambda: L.SquaredHinge(), "logits01"),
    "categorical_hinge": (lambda: L.CategoricalHinge(), "logits-onehot"),
    "mae": (lambda: "mae", "regression"),
    "mape": (lambda: L.MeanAbsolutePercentageError(), "regression"),
    "msle": (lambda: "msle", "counts"),
    "cosine": (lambda: L.CosineSimilarity(), "regression"),
    "mse-sum": (lambda: L.MeanSquaredError(reduction="sum"), "regression"),
    "function": (lambda: keras.losses.huber, "regression"),
}
K = 3  # outputs


def _data(kind, n, seed):
    """(y_true, y_pred) for a loss of this kind: y_pred as the model would output it."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=(n, K)).astype("float32") * 2
    classes = rng.integers(0, K, n)
    if kind in ("sigmoid", "logits01"):
        y = rng.integers(0, 2, (n, K)).astype("float32")
        return y, (1 / (1 + np.exp(-z)) if kind == "sigmoid" else z).astype("float32")
    if kind.startswith("softmax"):
        p = np.exp(z) / np.exp(z).sum(-1, keepdims=True)
        if kind == "softmax-sparse":
            return classes.astype("float32"), p.astype("float32")
        if kind == "softmax-soft":
            q = rng.random((n, K)).astype("float32")
            return q / q.sum(-1, keepdims=True), p.astype("float32")
        return np.eye(K, dtype="float32")[classes], p.astype("float32")
    if kind == "logits-onehot":
        return np.eye(K, dtype="float32")[classes], z
    if kind == "logits-sparse":
        return classes.reshape(-1, 1).astype("float32"), z
    if kind == "counts":
        return rng.poisson(2.0, (n, K)).astype("float32"), np.exp(z / 2).astype("float32")
    return rng.normal(size=(n, K)).astype("float32"), z


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_loss_value_and_gradient_match_keras(name):
    make, kind = LOSSES[name]
    theirs = make()
    theirs = L.get(theirs) if isinstance(theirs, str) else theirs
    if not isinstance(theirs, L.Loss):  # as compile() wraps a function
        theirs = LossFunctionWrapper(theirs)
    ours = ke.get_loss(make())
    for seed, weights in [(0, None), (1, "batch"), (2, "column")]:
        y, p = _data(kind, 8, seed)
        sw = None
        if weights:
            sw = np.random.default_rng(seed).uniform(0, 2, (8,) if weights == "batch" else (8, 1))
            sw = sw.astype("float32")
        pk = torch.tensor(p, requires_grad=True)
        ref = theirs(torch.from_numpy(y), pk, sample_weight=None if sw is None else torch.from_numpy(sw))
        ref.backward()
        pp = torch.tensor(p, requires_grad=True)
        value = ours(torch.from_numpy(y), pp, sample_weight=sw)
        value.backward()
        _close(f"{name} value (weights {weights})", value, ref)
        _close(f"{name} d/dy_pred (weights {weights})", pp.grad, pk.grad)


@pytest.mark.parametrize("reduction", ["sum", "mean_with_sample_weight", None])
def test_reductions_match_keras(reduction):
    y, p = _data("regression", 6, 3)
    sw = np.linspace(0.5, 2, 6).astype("float32")
    ref = L.Huber(delta=0.5, reduction=reduction)(y, p, sample_weight=sw)
    _close(f"huber {reduction}", ke.get_loss(L.Huber(delta=0.5, reduction=reduction))(y, p, sample_weight=sw), ref)


def test_refusals_name_the_loss_and_setting():
    with pytest.raises(ValueError, match="ignore_class"):
        ke.get_loss(L.SparseCategoricalCrossentropy(ignore_class=0))
    with pytest.raises(ValueError, match="axis"):
        ke.get_loss(L.BinaryCrossentropy(axis=0))
    with pytest.raises(ValueError, match="BinaryFocalCrossentropy"):
        ke.get_loss(L.BinaryFocalCrossentropy())
    with pytest.raises(ValueError, match="my_loss"):
        def my_loss(y, p):
            return p
        ke.get_loss(my_loss)
    with pytest.raises(ValueError, match="crossentropy"):
        ke.get_loss("crossentropy")


ACTIVATION = {"sigmoid": "sigmoid", "softmax": "softmax", "softmax-sparse": "softmax",
              "softmax-soft": "softmax", "counts": "softplus"}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_training_steps_match_keras(name):
    make, kind = LOSSES[name]
    keras.utils.set_random_seed(0)
    inp = keras.Input((4,))
    h = keras.layers.Dense(5, activation="tanh")(inp)
    model = keras.Model(inp, keras.layers.Dense(K, activation=ACTIVATION.get(kind))(h))
    x = np.random.default_rng(9).normal(size=(16, 4)).astype("float32")
    y, _ = _data(kind, 16, 4)
    theirs, ours = train_parity(model, [x], y, make(), keras.optimizers.Adam(0.01), steps=4,
                                batch=8)
    _close(f"{name} per-step losses", ours, theirs)


def test_loss_name_names_settings_that_change_the_loss():
    from scen.keras_run import loss_name

    inp = keras.Input((2,))
    model = keras.Model(inp, keras.layers.Dense(1)(inp))
    for loss, name in [("mse", "mse"), (L.BinaryCrossentropy(), "binary_crossentropy"),
                       (L.BinaryCrossentropy(from_logits=True),
                        "binary_crossentropy(from_logits=True)"),
                       (L.Huber(delta=2.0, reduction="sum"), "huber_loss(delta=2.0, reduction='sum')")]:
        model.compile(loss=loss)
        assert loss_name(model) == name


@pytest.mark.parametrize("loss, labels, output_shape", [
    (keras.losses.BinaryCrossentropy(), np.array([[1.0], [2.0], [0.0]]), (1,)),
    ("sparse_categorical_crossentropy", np.array([0, 4, 1]), (3,)),
    (keras.losses.SparseCategoricalCrossentropy(from_logits=True), np.array([0, 1, 5]), (3,)),
    ("binary_crossentropy", np.array([[0.0], [1.0], [1.0]]), (1,)),  # fine: nothing raised
])
def test_labels_are_checked_on_the_host_with_the_cpus_own_message(loss, labels, output_shape):
    """On CUDA a bad label is a device-side assert that poisons the process: the port checks
    the labels on the host first and raises exactly what the CPU's training step raises."""
    from scen.keras_exact import check_labels_as_the_cpu_does, get_loss

    fn = get_loss(loss)
    y = torch.as_tensor(labels, dtype=torch.float32)
    pred = torch.full((len(y), *output_shape), 0.3)
    try:
        fn(y, pred, torch.zeros_like(pred))
        cpu = None
    except Exception as e:
        cpu = (type(e), str(e))
    try:
        check_labels_as_the_cpu_does(fn, labels, output_shape)
        host = None
    except Exception as e:
        host = (type(e), str(e))
    assert host == cpu
    assert (cpu is None) == (loss == "binary_crossentropy")
