"""scen.port against Keras-on-torch as the oracle: same outputs, same gradients, same weights.

On the torch backend a Keras variable's `.value` is a torch Parameter, so a loss computed in
torch on `model(x)` backpropagates into Keras's own weights and can be compared, path by path,
with the port's gradients.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import torch
from torch import nn

from scen.port import (
    SUPPORTED_ACTIVATIONS,
    PortedModel,
    UnsupportedLayerError,
    count_params,
    keras_weights,
    translate,
)
from scen.port.keras_call import KerasCall
from port_contract import check_model

pytestmark = [
    pytest.mark.skipif(keras.backend.backend() != "torch", reason="the oracle needs Keras on the torch backend"),
    # Keras's own Variable.numpy() on numpy 2 (keras/src/backend/common/variables.py): not ours.
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"),
    # Dense(1, softmax) is a case under test on purpose; Keras warns that it is always 1.
    pytest.mark.filterwarnings("ignore:You are using a softmax over axis:UserWarning"),
]

TOL = 1e-6
L = keras.layers


def rand(*shape, seed=0, scale=1.0):
    return torch.from_numpy(np.random.default_rng(seed).normal(size=shape).astype(np.float32) * scale)


def keras_out(model, *xs):
    return model(list(xs) if len(xs) > 1 else xs[0])


def max_diff(a, b):
    return float((torch.as_tensor(a) - torch.as_tensor(b)).detach().abs().max())


# ---- models --------------------------------------------------------------------------------
def seq_sigmoid_softmax():
    return keras.Sequential([keras.Input((4,)), L.Dense(2, activation="sigmoid"), L.Dense(2, activation="softmax")])


def seq_flatten():
    return keras.Sequential([keras.Input((28, 28)), L.Flatten(), L.Dense(10, activation="sigmoid")])


def seq_relu_relu_sigmoid():
    return keras.Sequential(
        [keras.Input((6,)), L.Dense(16, activation="relu"), L.Dense(16, activation="relu"), L.Dense(1, activation="sigmoid")]
    )


def shared_functional(units=1, head="softmax"):
    a, b = keras.Input((8,), name="left"), keras.Input((8,), name="right")
    shared = L.Dense(8, activation="relu", name="shared")
    x = L.concatenate([shared(a), shared(b)], axis=1)
    x = L.Dense(16, activation="relu")(x)
    return keras.Model([a, b], L.Dense(units, activation=head, name="head")(x))


def inputs_for(model, n=5, seed=1):
    return [rand(n, *t.shape[1:], seed=seed + i, scale=2.0) for i, t in enumerate(model.inputs)]


MODELS = {
    "seq_sigmoid_softmax": seq_sigmoid_softmax,
    "seq_flatten": seq_flatten,
    "seq_relu_relu_sigmoid": seq_relu_relu_sigmoid,
    "shared_softmax1": lambda: shared_functional(1, "softmax"),
    "shared_softmax5": lambda: shared_functional(5, "softmax"),
    "shared_linear5": lambda: shared_functional(5, None),
    "activation_layers": lambda: keras.Sequential(
        [keras.Input((5,)), L.Dense(4), L.Activation("tanh"), L.Dense(3), L.Activation("softmax")]
    ),
    "no_bias_dropout": lambda: keras.Sequential(
        [keras.Input((5,)), L.Dense(4, use_bias=False, activation="elu"), L.Dropout(0.5), L.Dense(2, use_bias=False)]
    ),
    "concat_last_axis_3d": lambda: _concat_3d(),
    "flatten_channels_first": lambda: keras.Sequential(
        [keras.Input((3, 4)), L.Flatten(data_format="channels_first"), L.Dense(2)]
    ),
    "seq_built_late": lambda: _built_late(),
}


def _concat_3d():
    a, b = keras.Input((2, 3)), keras.Input((2, 4))
    x = L.Concatenate(axis=-1)([a, b])
    x = L.Dense(3, activation="gelu")(x)  # Dense on a rank-3 tensor works on the last axis
    return keras.Model([a, b], L.Dense(1, activation="sigmoid")(L.Flatten()(x)))


def _built_late():
    model = keras.Sequential([L.Dense(3, activation="relu"), L.Dense(2, activation="sigmoid")])
    model.build((None, 7))  # no Input: Sequential builds its inner Functional here
    return model


# ---- forward parity --------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(MODELS))
def test_forward_parity(name):
    model = MODELS[name]()
    xs = inputs_for(model)
    ported = translate(model)
    assert isinstance(ported, nn.Module) and isinstance(ported, PortedModel)
    with torch.no_grad():
        assert max_diff(keras_out(model, *xs), ported(*xs)) <= TOL
        assert max_diff(keras_out(model, *xs), ported(list(xs))) <= TOL  # Keras-style list call


ACTIVATION_NAMES = sorted(set(SUPPORTED_ACTIVATIONS))


@pytest.mark.parametrize("act", ACTIVATION_NAMES)
def test_every_activation_in_dense_and_activation_layer(act):
    model = keras.Sequential([keras.Input((6,)), L.Dense(5, activation=act), L.Dense(4), L.Activation(act)])
    x = rand(32, 6, scale=0.7)  # exp(Dense(exp(...))) overflows float32 at larger scales
    with torch.no_grad():
        ref = model(x)
        assert torch.isfinite(ref).all()
        assert max_diff(ref, translate(model)(x)) <= TOL


def test_activation_given_as_function_object():
    model = keras.Sequential([keras.Input((3,)), L.Dense(2, activation=keras.activations.swish)])
    x = rand(4, 3)
    with torch.no_grad():
        assert max_diff(model(x), translate(model)(x)) <= TOL


def test_softmax_on_a_single_unit_is_all_ones():
    model = shared_functional(1, "softmax")
    out = translate(model)(*inputs_for(model))
    assert torch.equal(out, torch.ones_like(out))
    assert torch.equal(keras_out(model, *inputs_for(model)), out)


def test_dropout_built_with_training_true_stays_on():
    # `Dropout(r)(x, training=True)` is recorded in the Keras node: model(x) keeps dropping.
    inp = keras.Input((200,))
    model = keras.Model(inp, L.Dropout(0.5)(inp, training=True))
    ported = translate(model)
    x = torch.ones(4, 200)
    for y in (model(x), ported(x)):
        assert set(torch.unique(y).tolist()) == {0.0, 2.0}
    assert ported.forward_with_logits(x)[1] is None


def test_dropout_is_identity_in_eval_and_active_in_train():
    model = MODELS["no_bias_dropout"]()
    ported = translate(model)
    assert not ported.training  # Keras's model(x) runs with training=False
    x = rand(64, 5)
    ported.train()
    torch.manual_seed(0)
    assert max_diff(model(x), ported(x)) > 1e-3  # some units dropped
    ported.eval()
    assert max_diff(model(x), ported(x)) <= TOL


# ---- gradient parity -------------------------------------------------------------------------
GRAD_MODELS = ["seq_sigmoid_softmax", "seq_flatten", "seq_relu_relu_sigmoid", "shared_softmax5",
               "shared_linear5", "activation_layers", "no_bias_dropout", "concat_last_axis_3d"]


def keras_grads(model, xs, target):
    for v in model.weights:
        v.value.grad = None
    loss = ((keras_out(model, *xs) - target) ** 2).mean()
    loss.backward()
    return {v.path: v.value.grad.detach().clone() for v in model.weights}


@pytest.mark.parametrize("name", GRAD_MODELS)
def test_gradient_parity(name):
    model = MODELS[name]()
    xs = inputs_for(model, n=8)
    target = rand(*model.outputs[0].shape[1:], seed=99).expand(8, *model.outputs[0].shape[1:])
    expected = keras_grads(model, xs, target)

    ported = translate(model)
    ((ported(*xs) - target) ** 2).mean().backward()
    assert set(ported.keras_paths) == set(expected)
    for path, param in ported.keras_paths.items():
        grad = param.grad
        assert grad.shape == expected[path].shape
        assert max_diff(grad, expected[path]) <= TOL, path


def test_parameters_are_plain_and_trainable_by_torch_optimizer():
    model = seq_relu_relu_sigmoid()
    ported = translate(model)
    params = list(ported.parameters())
    assert params and all(type(p) is nn.Parameter and p.requires_grad and p.dtype == torch.float32 for p in params)
    x, t = rand(16, 6), torch.rand(16, 1)
    opt = torch.optim.SGD(ported.parameters(), lr=0.5)
    before = [w.copy() for w in keras_weights(ported)]
    loss0 = nn.functional.binary_cross_entropy(ported(x), t)
    for _ in range(5):
        opt.zero_grad()
        nn.functional.binary_cross_entropy(ported(x), t).backward()
        opt.step()
    assert nn.functional.binary_cross_entropy(ported(x), t) < loss0
    assert any(not np.array_equal(a, b) for a, b in zip(before, keras_weights(ported)))
    # The trained weights load back into Keras and give the port's function.
    model.set_weights(keras_weights(ported))
    with torch.no_grad():
        assert max_diff(model(x), ported(x)) <= TOL


def test_frozen_keras_layer_is_frozen_in_torch():
    model = seq_sigmoid_softmax()
    model.layers[0].trainable = False
    ported = translate(model)
    frozen = {p for p, param in ported.keras_paths.items() if not param.requires_grad}
    assert frozen == {v.path for v in model.layers[0].weights}


# ---- shared layers -------------------------------------------------------------------------------
def test_shared_layer_is_one_parameter_set():
    model = shared_functional(5, "softmax")
    ported = translate(model)
    assert count_params(ported) == model.count_params()
    assert sum(p.numel() for p in ported.parameters()) == model.count_params()
    assert len(list(ported.parameters())) == len(model.weights) == 6
    assert len(ported.layer_modules) == 4  # shared, concatenate, dense, head
    assert "shared/kernel" in ported.keras_paths


def test_layer_shared_with_another_model_uses_only_this_models_nodes():
    # A layer's `_inbound_nodes` lists its calls in every model; only this graph's count.
    d = L.Dense(3, activation="relu", name="reused")
    a = keras.Input((4,))
    keras.Model(a, d(a))
    b = keras.Input((4,))
    model = keras.Model(b, L.Dense(2, activation="sigmoid")(d(b)))
    ported, x = translate(model), rand(5, 4)
    assert len(d._inbound_nodes) == 2 and len(ported.layer_modules) == 2
    with torch.no_grad():
        assert max_diff(model(x), ported(x)) <= TOL


def test_functional_cut_from_an_intermediate_tensor():
    i = keras.Input((4,))
    h = L.Dense(6, name="h1")(i)
    sub = keras.Model(h, L.Dense(2, activation="softmax", name="h2")(h))  # Keras clones the graph
    ported, x = translate(sub), rand(5, 6)
    assert list(ported.keras_paths) == ["h2/kernel", "h2/bias"]
    with torch.no_grad():
        assert max_diff(sub(x), ported(x)) <= TOL


# ---- logits ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "name, kind",
    [("seq_sigmoid_softmax", "softmax"), ("seq_flatten", "sigmoid"), ("shared_softmax5", "softmax"),
     ("shared_softmax1", "softmax"), ("activation_layers", "softmax"), ("concat_last_axis_3d", "sigmoid")],
)
def test_forward_with_logits(name, kind):
    model = MODELS[name]()
    xs = inputs_for(model)
    ported = translate(model)
    assert ported.final_activation == kind
    with torch.no_grad():
        out, logits = ported.forward_with_logits(*xs)
        squash = torch.sigmoid if kind == "sigmoid" else (lambda z: torch.softmax(z, dim=-1))
        assert torch.equal(squash(logits), out)
        assert torch.equal(out, ported(*xs))
        # Keras-on-torch leaves its own logits on the output (activations.py `_keras_logits`).
        ref = keras_out(model, *xs)
        assert max_diff(ref._keras_logits, logits) <= TOL


def test_no_logits_for_linear_or_other_heads():
    for model in (shared_functional(5, None), MODELS["no_bias_dropout"](),
                  keras.Sequential([keras.Input((3,)), L.Dense(2, activation="sigmoid"), L.Dense(2, activation="tanh")])):
        ported = translate(model)
        out, logits = ported.forward_with_logits(*inputs_for(model))
        assert logits is None


def test_logits_pass_through_eval_dropout_only():
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, activation="sigmoid"), L.Dropout(0.3)])
    ported = translate(model)
    x = rand(6, 4)
    out, logits = ported.forward_with_logits(x)
    assert logits is not None and torch.equal(torch.sigmoid(logits), out)
    ported.train()
    assert ported.forward_with_logits(x)[1] is None


# ---- weights ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["seq_flatten", "shared_softmax5", "no_bias_dropout", "seq_built_late"])
def test_keras_weights_round_trip(name):
    model = MODELS[name]()
    before = model.get_weights()
    ported = translate(model)
    names = [path for path, _ in ported.named_keras_weights()]
    assert names == [v.path for v in model.weights]
    model.set_weights(keras_weights(ported))
    after = model.get_weights()
    assert len(after) == len(before)
    assert all(a.shape == b.shape and np.array_equal(a, b) for a, b in zip(before, after))


def test_in_place_change_shows_up_at_the_right_index():
    model = shared_functional(5, "softmax")
    ported = translate(model)
    paths = [v.path for v in model.weights]
    with torch.no_grad():
        ported.keras_paths["head/kernel"][7, 3] += 1.0  # the kernel in Keras's (in, out) layout
        ported.keras_paths["shared/bias"][2] -= 2.0
    new, old = keras_weights(ported), model.get_weights()
    for i, path in enumerate(paths):
        delta = new[i] - old[i]
        if path == "head/kernel":
            assert delta[7, 3] == pytest.approx(1.0) and np.count_nonzero(delta) == 1
        elif path == "shared/bias":
            assert delta[2] == pytest.approx(-2.0) and np.count_nonzero(delta) == 1
        else:
            assert not delta.any(), path


def test_keras_weights_are_snapshots():
    ported = translate(seq_sigmoid_softmax())
    snapshot = keras_weights(ported)
    with torch.no_grad():
        for param in ported.parameters():
            param.add_(1.0)
    later = keras_weights(ported)
    assert all(np.allclose(b - a, 1.0) for a, b in zip(snapshot, later))


def test_weight_paths_follow_the_build_context():
    # A Sequential builds its layers under its own name scope: paths include the model name.
    model = seq_sigmoid_softmax()
    ported = translate(model)
    assert list(ported.keras_paths) == [v.path for v in model.weights]
    assert all(p.startswith(model.name + "/") for p in ported.keras_paths)


# ---- layers Keras runs ----------------------------------------------------------------------
class MyDense(L.Dense):  # may override call(): not translated as a Dense
    pass


@pytest.mark.parametrize(
    "make, cls",
    [(lambda: L.Conv1DTranspose(2, 3, name="my_conv"), "Conv1DTranspose"),
     (lambda: L.LSTM(3, dropout=0.25, name="my_lstm"), "LSTM"),
     (lambda: MyDense(4, activation="tanh", name="my_dense"), "MyDense")],
)
def test_a_layer_without_a_translation_is_run_by_keras(make, cls):
    """A layer the port does not translate (a class outside the list, a setting a translation
    refuses, a user's subclass) is called by Keras on torch (KerasCall): forward, gradients,
    dropout draws and training steps are Keras's, on the port's own tensors."""
    keras.utils.set_random_seed(3)
    layer = make()
    model = keras.Sequential([keras.Input((10, 3)), layer, L.Flatten(), L.Dense(1)])
    ported = translate(model)
    (called,) = [m for m in ported.modules() if isinstance(m, KerasCall)]
    assert cls in called.extra_repr() and called.operation is layer
    check_model(model, [np.random.default_rng(0).normal(size=(4, 10, 3)).astype("float32")],
                label=cls)


def test_keras_ops_on_constants_and_a_layers_add_loss_are_keras_own():
    """keras.ops calls the port does not translate, or that take a constant, run as Keras
    runs them; a layer's add_loss values of the latest forward are the port's added_losses."""

    class Penalised(L.Layer):
        def call(self, x):
            self.add_loss(0.5 * keras.ops.sum(keras.ops.square(x)))
            return x * 2.0

    a = keras.Input((3,))
    model = keras.Model(a, Penalised()(keras.ops.exp(keras.ops.add(L.Dense(2)(a), 1.0))))
    ported = translate(model)
    x = np.random.default_rng(1).normal(size=(5, 3)).astype("float32")
    with torch.no_grad():
        out = ported(torch.from_numpy(x))
    np.testing.assert_allclose(out.numpy(), keras.ops.convert_to_numpy(model(x)), rtol=1e-6)
    (added,) = ported.added_losses()
    np.testing.assert_allclose(float(added), 0.5 * float(np.sum(np.square(out.numpy() / 2))),
                               rtol=1e-5)


def test_what_keras_cannot_run_for_the_port_is_refused():
    """A custom layer whose call prints (the port calls it outside the steps too), a weight
    constraint (Keras's optimizer applies it), a masked input to a layer that takes the mask."""

    class Loud(L.Layer):
        def call(self, x):
            print("called")
            return x

    with pytest.raises(UnsupportedLayerError, match="'loud' .*prints"):
        translate(keras.Sequential([keras.Input((3,)), Loud(name="loud")]))
    with pytest.raises(UnsupportedLayerError, match="constraint"):
        translate(keras.Sequential([keras.Input((3,)), MyDense(2, kernel_constraint="non_neg")]))

    class Masked(L.Layer):
        def call(self, x, mask=None):
            return x

    tokens = keras.Input((5,), dtype="int32")
    with pytest.raises(UnsupportedLayerError, match="mask"):
        translate(keras.Model(tokens, Masked()(L.Embedding(9, 2, mask_zero=True)(tokens))))


def my_squash(x):
    return x / (1 + abs(x))


def test_an_activation_of_the_users_own_is_run_by_keras():
    model = keras.Sequential([keras.Input((3,)), L.Dense(2, activation=my_squash, name="odd")])
    (called,) = [m for m in translate(model).modules() if isinstance(m, KerasCall)]
    assert "'odd'" in called.extra_repr()
    check_model(model, [np.random.default_rng(4).normal(size=(4, 3)).astype("float32")],
                label="my_squash")


def test_a_nested_model_of_several_inputs_is_run_by_keras_and_unbuilt_models_are_refused():
    x1, x2 = keras.Input((3,)), keras.Input((2,))
    two_inputs = keras.Model([x1, x2], L.Dense(2)(L.Concatenate()([x1, x2])), name="two_inputs")
    b, c = keras.Input((3,)), keras.Input((2,))
    model = keras.Model([b, c], two_inputs([b, c]))
    assert any(isinstance(m, KerasCall) for m in translate(model).modules())
    rng = np.random.default_rng(2)
    check_model(model, [rng.normal(size=(4, 3)).astype("float32"),
                        rng.normal(size=(4, 2)).astype("float32")], label="two_inputs")
    with pytest.raises(ValueError, match="build"):
        translate(keras.Sequential([L.Dense(2)]))
    with pytest.raises(UnsupportedLayerError, match="not built"):
        translate(ResidualBlocks())


# ---- subclassed models -------------------------------------------------------------------------
class ResidualBlocks(keras.Model):
    """A keras-io-style subclassed model: layers made in __init__, wired in call with ops."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stem = L.Dense(6, activation="relu")
        self.block = L.Dense(6, activation="tanh")
        self.norm = L.LayerNormalization()
        self.drop = L.Dropout(0.3)
        self.head = L.Dense(3, activation="softmax")

    def call(self, inputs, training=None):
        h = self.stem(inputs)
        h = self.norm(h + self.block(h))
        h = self.drop(h, training=training)
        return self.head(keras.ops.concatenate([h, inputs], axis=-1))


def test_a_subclassed_model_is_traced_into_its_own_layers():
    """Its call, run once on a symbolic input, is a graph of the model's own layers (and the
    ops between them): outputs, gradients and weights are the model's, and the names Keras
    gives later layers are what they would be without the trace."""
    model = ResidualBlocks()
    x = rand(5, 4, scale=2.0)
    model(x)  # built on its first batch, as fit builds it
    number = lambda name: int(name.rpartition("_")[2]) if "_" in name else 0  # noqa: E731
    before = number(L.Add().name)  # "add_3": Keras numbers each name's uses
    ported = translate(model)
    assert number(L.Add().name) == before + 1  # the trace's own Add took no number
    ported.eval()
    with torch.no_grad():
        assert max_diff(keras_out(model, x), ported(x)) <= TOL
    assert list(ported.keras_paths) == [v.path for v in model.weights]
    # The trace leaves no node on the layers: model.summary() reads as after Keras's fit.
    assert all(not layer._inbound_nodes and not layer._outbound_nodes for layer in model.layers)


def test_a_subclassed_model_that_cannot_be_one_graph_is_refused_with_why():
    class TrainingOnly(ResidualBlocks):  # another layer in training: no one graph
        def call(self, inputs, training=None):
            h = self.stem(inputs)
            if training:
                h = self.drop(h)
            return self.head(h)

    class TwoInputs(ResidualBlocks):
        def call(self, inputs):
            return self.head(self.stem(inputs[0]) + self.stem(inputs[1]))

    class Prints(ResidualBlocks):  # Keras's fit prints this every batch; a graph would not
        def call(self, inputs):
            print("batch of", inputs.shape)
            return self.head(self.stem(inputs))

    x = rand(5, 4)
    for cls, says in ((TrainingOnly, "other layers in training"), (TwoInputs, "not built on one input tensor"), (Prints, "prints")):
        model = cls()
        model([x, x] if cls is TwoInputs else x)
        with pytest.raises(UnsupportedLayerError, match=says):
            translate(model)


# ---- other backends --------------------------------------------------------------------------------
OTHER_BACKEND_CHECK = textwrap.dedent(
    """
    import keras, numpy as np, torch
    from scen.port import translate
    L = keras.layers
    a, b = keras.Input((8,)), keras.Input((2, 4))
    shared = L.Dense(8, activation="relu")
    x = L.concatenate([shared(a), shared(L.Flatten()(b))])
    x = L.Dropout(0.2)(L.Dense(16, activation="tanh")(x))
    m = keras.Model([a, b], L.Dense(3, activation="softmax")(x))
    rng = np.random.default_rng(0)
    xa, xb = rng.normal(size=(4, 8)).astype("float32"), rng.normal(size=(4, 2, 4)).astype("float32")
    ref = m([xa, xb])
    out, logits = translate(m).forward_with_logits(torch.from_numpy(xa), torch.from_numpy(xb))
    d_out = float(np.abs(np.asarray(ref) - out.detach().numpy()).max())
    # Where the backend's tensors accept attributes, Keras leaves its logits on the output.
    ref_logits = getattr(ref, "_keras_logits", None)
    d_logits = 0.0 if ref_logits is None else float(np.abs(np.asarray(ref_logits) - logits.detach().numpy()).max())
    print(d_out, d_logits, ref_logits is not None)
    """
)


def test_models_built_on_other_backends():
    # Only the node graph, layer attributes and Variable.numpy() are read, so the backend the
    # model was built on must not matter. TensorFlow is the backend that matters most (its
    # cross-entropy reads the logits); JAX is checked too when SCEN_TEST_ALL_BACKENDS is set,
    # as the two processes together take longer than this file's time budget on 2 CPUs.
    import importlib.util

    wanted = ("tensorflow", "jax") if os.environ.get("SCEN_TEST_ALL_BACKENDS") else ("tensorflow",)
    backends = [b for b in wanted if importlib.util.find_spec(b)]
    if not backends:
        pytest.skip(f"{' / '.join(wanted)} not installed")
    procs = {
        b: subprocess.Popen(
            [sys.executable, "-c", OTHER_BACKEND_CHECK],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env={**os.environ, "KERAS_BACKEND": b, "TF_CPP_MIN_LOG_LEVEL": "3"},
        )
        for b in backends
    }
    for b, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, f"{b}: {err[-2000:]}"
        d_out, d_logits, has_logits = out.split()[-3:]
        assert float(d_out) <= TOL and float(d_logits) <= TOL, (b, d_out, d_logits)
        if b == "tensorflow":  # its cross-entropy reads `_keras_logits`: they must be there
            assert has_logits == "True"


def test_a_model_used_as_a_layer_computes_what_keras_computes():
    """A nested Sequential (with its own Dropout) and a nested functional model: the same
    output as Keras (the script test holds training to it), its weights in get_weights order."""
    encoder = keras.Sequential([keras.Input((5,)), L.Dense(4, activation="tanh"),
                                L.Dense(3, activation="relu")], name="encoder")
    z = keras.Input((3,))
    decoder = keras.Model(z, L.Dense(5, activation="sigmoid")(L.Dense(4)(z)), name="decoder")
    a = keras.Input((5,))
    model = keras.Model(a, decoder(encoder(a)))
    x = np.random.default_rng(0).normal(size=(7, 5)).astype("float32")
    ported = translate(model)
    out, logits = ported.forward_with_logits(torch.from_numpy(x))
    expected = model(x).detach().numpy()
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-6, atol=1e-7)
    assert logits is not None  # the decoder's sigmoid: a native loss gets its logits
    for ours, theirs in zip(ported.keras_weights(), model.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
