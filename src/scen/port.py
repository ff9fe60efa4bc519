"""Translate a built Keras 3 model into a plain PyTorch module that computes the same function.

Why: scen runs each scenario on Keras's backends *and* on a native PyTorch port, so that a
failure can be pinned on the model/data (it happens everywhere) or on a backend (it does not).
The port must therefore be the same function with the same starting weights, trainable by a
stock torch optimizer, and its weights must go back into Keras in `model.get_weights()` order.

Only the public-ish structure of the model is read: `layer.get_config()`-level attributes,
`Variable.numpy()` values and `Variable.path` names, and the model's own node graph
(`_nodes_by_depth`, the same structure `Functional._run_through_graph` executes). Nothing here
depends on the backend the model was built on.

    ported = translate(model)             # an nn.Module, in eval mode like `model(x)`
    y = ported(x1, x2)                    # same order as model.inputs
    y, logits = ported.forward_with_logits(x1, x2)
    model.set_weights(keras_weights(ported))

Limits, on purpose: one output; float32 throughout (a mixed-precision model's float16/bfloat16
compute is not reproduced); inputs are used as given (Keras's Functional also squeezes or
expands a trailing axis of size 1 when an input's rank is off by one - the port does not).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = [
    "UnsupportedLayerError",
    "PortedModel",
    "translate",
    "keras_weights",
    "count_params",
    "SUPPORTED_LAYERS",
    "SUPPORTED_ACTIVATIONS",
    "LayerInfo",
]


class UnsupportedLayerError(ValueError):
    """A layer (or its activation) has no translation; the message names it in one line."""


# --------------------------------------------------------------------------------------------
# Activations. Keyed by the Keras function *object* (what `layer.activation` holds after
# `keras.activations.get`), not by the config string, so "swish" and "silu", a string and the
# function itself, all resolve the same way. Each torch function is what Keras's own torch
# backend calls (keras/src/backend/torch/nn.py), with Keras's default arguments spelled out
# where torch's differ (leaky_relu: Keras 0.2, torch 0.01; gelu: Keras exact, i.e. "none").
# --------------------------------------------------------------------------------------------
_ACTIVATIONS: dict[Callable, tuple[str, Callable[[torch.Tensor], torch.Tensor]]] = {
    keras.activations.linear: ("linear", lambda x: x),
    keras.activations.relu: ("relu", F.relu),
    keras.activations.sigmoid: ("sigmoid", torch.sigmoid),
    # dim=-1 is Keras's default axis. On an axis of size 1 torch returns exactly 1.0, as Keras does.
    keras.activations.softmax: ("softmax", lambda x: F.softmax(x, dim=-1)),
    keras.activations.tanh: ("tanh", torch.tanh),
    keras.activations.elu: ("elu", lambda x: F.elu(x, alpha=1.0)),
    keras.activations.selu: ("selu", F.selu),
    keras.activations.softplus: ("softplus", F.softplus),
    keras.activations.softsign: ("softsign", F.softsign),
    keras.activations.gelu: ("gelu", lambda x: F.gelu(x, approximate="none")),
    keras.activations.silu: ("silu", F.silu),  # also "swish"
    keras.activations.leaky_relu: ("leaky_relu", lambda x: F.leaky_relu(x, negative_slope=0.2)),
    keras.activations.exponential: ("exponential", torch.exp),
    keras.activations.relu6: ("relu6", F.relu6),
    keras.activations.hard_sigmoid: ("hard_sigmoid", F.hardsigmoid),
    keras.activations.hard_silu: ("hard_silu", F.hardswish),  # also "hard_swish"
    keras.activations.mish: ("mish", F.mish),
    keras.activations.celu: ("celu", lambda x: F.celu(x, alpha=1.0)),
    keras.activations.log_sigmoid: ("log_sigmoid", F.logsigmoid),
    keras.activations.log_softmax: ("log_softmax", lambda x: F.log_softmax(x, dim=-1)),
}
SUPPORTED_ACTIVATIONS = tuple(sorted([name for name, _ in _ACTIVATIONS.values()] + ["swish", "hard_swish"]))

# Keras's TensorFlow backend computes cross-entropy from the tensor *before* these two
# (the `_keras_logits` attribute set in keras/src/activations/activations.py), so a native
# loss needs those pre-activation values too.
_LOGIT_ACTIVATIONS = ("sigmoid", "softmax")

# Exact class names: a user subclass of Dense may override call(), so isinstance is not enough.
SUPPORTED_LAYERS = ("Activation", "Concatenate", "Dense", "Dropout", "Flatten", "InputLayer")


def _layer_error(layer, why: str) -> UnsupportedLayerError:
    return UnsupportedLayerError(
        f"cannot port layer '{layer.name}' ({type(layer).__name__}): {why}; "
        f"supported layers: {', '.join(SUPPORTED_LAYERS)}"
    )


def _activation(layer, fn) -> "_Act":
    if fn is None:
        fn = keras.activations.linear
    try:
        entry = _ACTIVATIONS.get(fn)
    except TypeError:  # an unhashable callable object
        entry = None
    if entry is None:
        name = getattr(fn, "__name__", type(fn).__name__)
        raise UnsupportedLayerError(
            f"cannot port layer '{layer.name}' ({type(layer).__name__}): unsupported activation "
            f"'{name}'; supported activations: {', '.join(SUPPORTED_ACTIVATIONS)}"
        )
    return _Act(*entry)


# --------------------------------------------------------------------------------------------
# Torch modules, one per Keras layer. Every module's `step(x)` returns (output, pre_activation)
# so the runner can hand out logits without computing anything twice.
# --------------------------------------------------------------------------------------------
class _Act(nn.Module):
    def __init__(self, name: str, fn: Callable):
        super().__init__()
        self.name, self.fn = name, fn

    def forward(self, x):
        return self.fn(x)

    def extra_repr(self):
        return self.name


class _Dense(nn.Linear):
    """nn.Linear (weight = Keras kernel transposed) followed by the Keras activation."""

    def __init__(self, in_features: int, out_features: int, bias: bool, act: _Act):
        super().__init__(in_features, out_features, bias=bias)
        self.act = act

    def step(self, x):
        # Same arithmetic as Keras's Dense.call: matmul(x, kernel) then add(bias), with the
        # kernel in Keras's (in, out) memory layout. F.linear (addmm on a transposed weight)
        # sums in another order and drifts by several float32 ulps (~7e-6 on a 784-wide layer);
        # this way the port is bit-identical to Keras-on-torch on CPU, in values and gradients.
        pre = torch.matmul(x, self.weight.t().contiguous())  # last axis, like Keras on rank > 2
        if self.bias is not None:
            pre = pre + self.bias
        return self.act(pre), pre

    def forward(self, x):
        return self.step(x)[0]


class _Activation(nn.Module):
    def __init__(self, act: _Act):
        super().__init__()
        self.act = act

    def step(self, x):
        return self.act(x), x

    def forward(self, x):
        return self.act(x)


class _Flatten(nn.Module):
    def __init__(self, channels_first: bool):
        super().__init__()
        self.channels_first = channels_first

    def forward(self, x):
        # Keras moves channels last before flattening a channels_first input, so that a
        # following Dense sees the features in the same order on every data_format.
        if self.channels_first and x.dim() > 2:
            x = x.permute(0, *range(2, x.dim()), 1)
        return x.reshape(x.shape[0], -1)


class _Concatenate(nn.Module):
    def __init__(self, axis: int):
        super().__init__()
        self.axis = axis  # Keras's axis counts the batch axis, as torch's dim does

    def forward(self, xs):
        return torch.cat(list(xs), dim=self.axis)


class _Dropout(nn.Dropout):
    """nn.Dropout that can be pinned on, for dropout built into the graph with training=True."""

    always = False

    def active(self) -> bool:
        return (self.training or self.always) and self.p > 0

    def forward(self, x):
        return F.dropout(x, self.p, training=self.active())


def _make_module(layer) -> nn.Module:
    """One torch module for one Keras layer (called once per layer, so sharing is preserved)."""
    cls = type(layer).__name__
    if cls == "Dense":
        if getattr(layer, "lora_enabled", False) or getattr(layer, "quantization_mode", None):
            raise _layer_error(layer, "LoRA / quantized Dense kernels are not supported")
        kernel = np.asarray(layer.kernel.numpy(), dtype=np.float32)  # (in, out)
        use_bias = layer.bias is not None
        module = _Dense(kernel.shape[0], kernel.shape[1], use_bias, _activation(layer, layer.activation))
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(kernel.T.copy()))
            if use_bias:
                module.bias.copy_(torch.from_numpy(np.asarray(layer.bias.numpy(), dtype=np.float32)))
        return module
    if cls == "Activation":
        return _Activation(_activation(layer, layer.activation))
    if cls == "Dropout":
        if layer.noise_shape is not None:
            raise _layer_error(layer, "Dropout with noise_shape has no torch equivalent")
        # Identity in eval mode, inverted dropout (scale 1/(1-p)) in train mode, as in Keras.
        # The random masks differ from Keras's: only eval-mode outputs can be compared.
        return _Dropout(p=float(layer.rate))
    if cls == "Flatten":
        return _Flatten(layer.data_format == "channels_first")
    if cls == "Concatenate":
        return _Concatenate(int(layer.axis))
    raise _layer_error(layer, "unsupported layer class")


def _claim_weights(layer, module) -> dict[int, tuple[nn.Parameter, bool]]:
    """{id(keras variable): (torch parameter, transposed?)} for one translated layer."""
    if not isinstance(module, _Dense):
        if layer.weights:  # e.g. a future layer with state: refuse rather than drop it silently
            raise _layer_error(layer, "it has weights this port does not know about")
        return {}
    claimed = {id(layer.kernel): (module.weight, True)}
    if layer.bias is not None:
        claimed[id(layer.bias)] = (module.bias, False)
    for v in (layer.kernel, layer.bias):
        if v is not None and not v.trainable:  # a frozen Keras layer stays frozen in torch
            claimed[id(v)][0].requires_grad_(False)
    return claimed


# --------------------------------------------------------------------------------------------
# Graph walking
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Step:
    key: str  # module name in PortedModel.layer_modules (one per Keras layer)
    inputs: tuple[int, ...]  # tensor slots read
    output: int  # tensor slot written
    many: bool  # the module takes a list (Concatenate) rather than one tensor


@dataclass(frozen=True)
class _WeightSpec:
    path: str  # Variable.path, e.g. "dense/kernel" or "sequential/dense/kernel"
    param: nn.Parameter | None  # None: a model weight outside the graph (kept as a constant)
    transpose: bool  # Dense kernel: Keras (in, out) vs torch (out, in)
    constant: np.ndarray | None


def _graph_of(model):
    """The Functional that holds the node graph: the model itself, or a Sequential's inner one."""
    if isinstance(model, keras.Sequential):
        # A built Sequential wraps an auto-generated Functional (models/sequential.py: build());
        # it stays None while the model is unbuilt or was built with a nested input.
        graph = getattr(model, "_functional", None)
        if graph is None:
            raise ValueError(
                f"Sequential model '{model.name}' has no graph yet: give it an Input or call "
                "model.build(input_shape) / model(x) before translating"
            )
        return graph
    if getattr(model, "_nodes_by_depth", None) is None:
        raise UnsupportedLayerError(
            f"cannot port model '{model.name}' ({type(model).__name__}): only Sequential and "
            "functional models have a graph to translate (subclassed models do not)"
        )
    return model


def _node_order(graph) -> list:
    """Non-input nodes of this model's graph in an order where inputs come before use.

    `_nodes_by_depth` only holds this model's nodes (a layer's `_inbound_nodes` also lists calls
    made in other models). Deepest-first is Keras's own execution order; the extra
    "ready" check mirrors `_run_through_graph`, which skips nodes it cannot compute from the
    declared inputs instead of trusting depths blindly.
    """
    pending = [
        node
        for depth in sorted(graph._nodes_by_depth, reverse=True)
        for node in graph._nodes_by_depth[depth]
        if not node.is_input
    ]
    known = {id(t) for t in graph.inputs}
    ordered = []
    progress = True
    while pending and progress:
        progress, rest = False, []
        for node in pending:
            if all(id(t) in known for t in node.input_tensors):
                ordered.append(node)
                known.update(id(t) for t in node.outputs)
                progress = True
            else:
                rest.append(node)
        pending = rest
    return ordered  # nodes left in `pending` are unreachable from the inputs, as in Keras


@dataclass(frozen=True)
class LayerInfo:
    """One step of a PortedModel's graph, for code that computes the same function its own way
    (scen.sweep's hand-written Dense chains). Slots number the tensors: inputs first."""

    key: str  # the layer (a shared layer's steps share it)
    kind: str  # "dense", "activation", "flatten", "concatenate", "dropout"
    inputs: tuple[int, ...]  # slots read
    output: int  # slot written
    activation: str | None = None  # dense, activation: the activation's name
    kernel: str | None = None  # dense: parameter names, as named_parameters() gives them
    bias: str | None = None
    features: tuple[int, int] | None = None  # dense: (in, out)
    channels_first: bool = False  # flatten
    rate: float = 0.0  # dropout: the rate when active in training, else 0


class PortedModel(nn.Module):
    """The torch twin of a Keras model. Build it with `translate(model)`.

    Attributes:
        layer_modules: nn.ModuleDict, one module per Keras layer, keyed by the layer's name.
        keras_paths: {Keras variable path: the nn.Parameter that holds it}, in get_weights order.
        input_names / output_name: names of the Keras input and output tensors.
        final_activation: name of the activation that produced the output ("sigmoid",
            "softmax", ...) or None if the output is not an activation's result.
    """

    def __init__(self, model):
        super().__init__()
        graph = _graph_of(model)
        if len(graph.outputs) != 1:
            raise ValueError(
                f"cannot port model '{model.name}': it has {len(graph.outputs)} outputs, "
                "only single-output models are supported"
            )
        self.name = model.name
        self.input_names = [t.name for t in graph.inputs]
        self.layer_modules = nn.ModuleDict()

        slots: dict[int, int] = {id(t): i for i, t in enumerate(graph.inputs)}
        keys: dict[int, str] = {}  # id(keras layer) -> module key; a shared layer maps once
        owner: dict[int, tuple[nn.Parameter, bool]] = {}  # id(keras variable) -> (param, transpose)
        steps: list[_Step] = []
        final_act: dict[int, str | None] = {}  # slot -> activation that produced it
        for node in _node_order(graph):
            layer = node.operation
            # Keras records the symbolic call's `training` value in the node (False unless the
            # graph was built with `layer(x, training=True)`); other keyword arguments would
            # change what a layer computes, and none of the supported layers takes one.
            kwargs = {k: v for k, v in node.arguments.kwargs.items() if v is not None}
            baked_training = bool(kwargs.pop("training", False))
            if kwargs:
                raise _layer_error(layer, f"called with keyword arguments {sorted(kwargs)}")
            if len(node.outputs) != 1:
                raise _layer_error(layer, "layers with several outputs are not supported")
            if id(layer) not in keys:
                key = layer.name.replace(".", "_")  # ModuleDict keys cannot contain dots
                self.layer_modules[key] = _make_module(layer)
                keys[id(layer)] = key
                owner.update(_claim_weights(layer, self.layer_modules[key]))
            key = keys[id(layer)]
            module = self.layer_modules[key]
            if baked_training and isinstance(module, _Dropout):
                # `Dropout(r)(x, training=True)` in the graph: Keras's `model(x)` keeps it on
                # (Monte-Carlo dropout); only an explicit model(x, training=False) turns it off.
                module.always = True
            ins = tuple(slots[id(t)] for t in node.input_tensors)
            out = len(slots)
            slots[id(node.outputs[0])] = out
            many = isinstance(module, _Concatenate)
            if not many and len(ins) != 1:
                raise _layer_error(layer, f"expected one input tensor, got {len(ins)}")
            steps.append(_Step(key, ins, out, many))
            if hasattr(module, "act"):
                final_act[out] = module.act.name
            elif isinstance(module, _Dropout) and not module.always:
                final_act[out] = final_act.get(ins[0])  # identity at eval keeps the logits
        self._steps = steps
        out_tensor = graph.outputs[0]
        if id(out_tensor) not in slots:
            raise ValueError(f"cannot port model '{model.name}': its output is not connected to its inputs")
        self._output_slot = slots[id(out_tensor)]
        self.output_name = out_tensor.name
        self.final_activation = final_act.get(self._output_slot)

        # Record the weights in model.weights order, which is exactly the order of
        # model.get_weights() / set_weights() (Layer.get_weights), matched by variable identity.
        self._weights: list[_WeightSpec] = []
        for v in model.weights:
            if id(v) in owner:
                param, transpose = owner[id(v)]
                self._weights.append(_WeightSpec(v.path, param, transpose, None))
            else:
                # A layer attached to the model object but not used by its graph: it cannot
                # change the output, so carry its value unchanged for set_weights round-trips.
                self._weights.append(_WeightSpec(v.path, None, False, np.array(v.numpy())))
        self.keras_paths: dict[str, nn.Parameter] = {
            w.path: w.param for w in self._weights if w.param is not None
        }
        # Keras's `model(x)` runs with training=False (Dropout off): start in eval mode to match.
        # Call .train() for training, as with any torch module.
        self.eval()

    # ---- execution -------------------------------------------------------------------------
    def _inputs(self, inputs) -> list[torch.Tensor]:
        if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
            inputs = tuple(inputs[0])  # accept model([a, b]) style too
        if len(inputs) != len(self.input_names):
            raise ValueError(
                f"{self.name} expects {len(self.input_names)} inputs "
                f"({', '.join(self.input_names)}), got {len(inputs)}"
            )
        ref = next(self.parameters(), None)
        device = ref.device if ref is not None else None
        # as_tensor neither copies nor detaches a tensor that already has the right dtype/device.
        return [torch.as_tensor(x, dtype=torch.float32, device=device) for x in inputs]

    def forward_with_logits(self, *inputs) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(output, logits): logits are the final sigmoid/softmax's input, else None."""
        values: list[torch.Tensor | None] = self._inputs(inputs)
        values += [None] * len(self._steps)
        pre: dict[int, torch.Tensor] = {}
        for s in self._steps:
            module = self.layer_modules[s.key]
            if s.many:
                y = module([values[i] for i in s.inputs])
            elif hasattr(module, "step"):
                y, pre[s.output] = module.step(values[s.inputs[0]])
            else:
                y = module(values[s.inputs[0]])
                if isinstance(module, _Dropout) and not module.active():
                    # Keras's Dropout returns its input object at inference, so the TF
                    # backend still finds `_keras_logits` on it; keep the logits too.
                    if s.inputs[0] in pre:
                        pre[s.output] = pre[s.inputs[0]]
            values[s.output] = y
        out = values[self._output_slot]
        logits = pre.get(self._output_slot) if self.final_activation in _LOGIT_ACTIVATIONS else None
        return out, logits

    def layers(self) -> list[LayerInfo]:
        """The graph's steps in execution order; the output is slot `output_slot`."""
        names = {id(p): name for name, p in self.named_parameters()}
        kinds = {_Dense: "dense", _Activation: "activation", _Flatten: "flatten",
                 _Concatenate: "concatenate", _Dropout: "dropout"}
        out = []
        for s in self._steps:
            m = self.layer_modules[s.key]
            info = dict(key=s.key, kind=kinds[type(m)], inputs=s.inputs, output=s.output)
            if isinstance(m, (_Dense, _Activation)):
                info["activation"] = m.act.name
            if isinstance(m, _Dense):
                info.update(kernel=names[id(m.weight)], features=(m.in_features, m.out_features),
                            bias=names[id(m.bias)] if m.bias is not None else None)
            elif isinstance(m, _Flatten):
                info["channels_first"] = m.channels_first
            elif isinstance(m, _Dropout):
                info["rate"] = m.p
            out.append(LayerInfo(**info))
        return out

    @property
    def output_slot(self) -> int:
        return self._output_slot

    def forward(self, *inputs, with_logits: bool = False):
        """The output; with_logits=True gives forward_with_logits's pair (for functional_call,
        which calls forward)."""
        out, logits = self.forward_with_logits(*inputs)
        return (out, logits) if with_logits else out

    # ---- weights ---------------------------------------------------------------------------
    def named_keras_weights(self) -> list[tuple[str, np.ndarray]]:
        """[(Keras path, value as Keras lays it out)] in model.get_weights() order."""
        result = []
        for w in self._weights:
            if w.param is None:
                result.append((w.path, w.constant.copy()))
                continue
            value = w.param.detach().cpu().numpy()  # shares memory with the parameter: copy
            result.append((w.path, np.array(value.T if w.transpose else value, order="C")))
        return result

    def keras_weights(self) -> list[np.ndarray]:
        return [value for _, value in self.named_keras_weights()]


def translate(model) -> PortedModel:
    """A torch.nn.Module computing the same function as the built Keras `model` (float32)."""
    return PortedModel(model)


def keras_weights(ported: PortedModel) -> list[np.ndarray]:
    """The port's weights in `model.get_weights()` order, kernels back in Keras's (in, out)."""
    return ported.keras_weights()


def count_params(ported: PortedModel) -> int:
    """Number of scalars in the port's parameters (equals model.count_params() when shared
    layers are shared)."""
    return sum(math.prod(p.shape) for p in ported.parameters())
