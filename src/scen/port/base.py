"""What every translated layer shares: the error, the activation table, weight claims.

A translation is a torch module plus a list of claims: which Keras variable each torch tensor
holds. Every variable is kept in Keras's own layout, so the port computes what Keras computes,
op for op.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import keras
import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

__all__ = ["UnsupportedLayerError", "layer_error", "refuse", "Act", "activation_for",
           "ACTIVATION_TABLE", "SUPPORTED_ACTIVATIONS", "LOGIT_ACTIVATIONS", "Claim", "PortLayer",
           "as_param", "as_buffer", "value_of", "check_plain", "KerasSeedStream"]


class UnsupportedLayerError(ValueError):
    """A layer (or its activation or setting) has no translation; the message names it."""


def layer_error(layer, why: str) -> UnsupportedLayerError:
    """The layer's name and class, and why (the layers with a translation: SUPPORTED_LAYERS)."""
    return UnsupportedLayerError(f"cannot port layer '{layer.name}' ({type(layer).__name__}): {why}")


def refuse(layer, setting: str) -> UnsupportedLayerError:
    """An error naming the layer class and the setting, e.g. `LSTM(unroll=True)`."""
    return layer_error(layer, f"{type(layer).__name__}({setting}) is not supported")


# --------------------------------------------------------------------------------------------
# Activations, keyed by the Keras function *object* (what `layer.activation` holds after
# `keras.activations.get`), so "swish"/"silu", a string and the function itself resolve alike.
# Each torch function is what Keras's torch backend calls (keras/src/backend/torch/nn.py), with
# Keras's defaults spelled out where torch's differ (leaky_relu: Keras 0.2, torch 0.01).
# --------------------------------------------------------------------------------------------
def _hard_tanh(x):
    return F.hardtanh(x)


def _hard_shrink(x):  # keras/src/activations/activations.py: threshold 0.5
    return F.hardshrink(x, lambd=0.5)


def _soft_shrink(x):
    return F.softshrink(x, lambd=0.5)


def _squareplus(x):  # activations.py squareplus(b=4): (x + sqrt(x^2 + b)) / 2
    return (x + torch.sqrt(torch.square(x) + 4.0)) / 2


def _tanh_shrink(x):
    return x - torch.tanh(x)


def _sparse_plus(x):  # torch/nn.py sparse_plus
    return torch.where(x <= -1, torch.zeros_like(x),
                       torch.where(x < 1, (1 / 4) * torch.pow(x + 1, 2), x))


def _sparsemax(x):  # torch/nn.py sparsemax, axis -1
    logits_sorted, _ = torch.sort(x, dim=-1, descending=True)
    cumsum = torch.cumsum(logits_sorted, dim=-1)
    r = torch.arange(1, x.size(-1) + 1, device=x.device, dtype=x.dtype)
    support = logits_sorted - (cumsum - 1) / r > 0
    k = torch.sum(support, dim=-1, keepdim=True)
    tau = (torch.sum(torch.where(support, cumsum, torch.zeros_like(cumsum)), dim=-1,
                     keepdim=True) - 1) / k
    return torch.clamp(x - tau, min=0.0)


_CANDIDATES: list[tuple[str, Callable]] = [
    ("linear", lambda x: x),
    ("relu", F.relu),
    ("sigmoid", torch.sigmoid),
    ("softmax", lambda x: F.softmax(x, dim=-1)),  # on an axis of size 1: exactly 1.0, as Keras
    ("tanh", torch.tanh),
    ("elu", lambda x: F.elu(x, alpha=1.0)),
    ("selu", F.selu),
    ("softplus", F.softplus),
    ("softsign", F.softsign),
    ("gelu", lambda x: F.gelu(x, approximate="none")),
    ("silu", F.silu),
    ("leaky_relu", lambda x: F.leaky_relu(x, negative_slope=0.2)),
    ("exponential", torch.exp),
    ("relu6", F.relu6),
    ("hard_sigmoid", F.hardsigmoid),
    ("hard_silu", F.hardswish),
    ("mish", F.mish),
    ("celu", lambda x: F.celu(x, alpha=1.0)),
    ("log_sigmoid", F.logsigmoid),
    ("log_softmax", lambda x: F.log_softmax(x, dim=-1)),
    ("hard_tanh", _hard_tanh),
    ("hard_shrink", _hard_shrink),
    ("soft_shrink", _soft_shrink),
    ("tanh_shrink", _tanh_shrink),
    ("squareplus", _squareplus),
    ("sparse_plus", _sparse_plus),
    ("sparsemax", _sparsemax),
]
# Some names exist only in newer Keras versions: take those this Keras has.
ACTIVATION_TABLE: dict[Callable, tuple[str, Callable]] = {
    getattr(keras.activations, name): (name, fn)
    for name, fn in _CANDIDATES if hasattr(keras.activations, name)
}
_ALIASES = [a for a in ("swish", "hard_swish") if hasattr(keras.activations, a)]
SUPPORTED_ACTIVATIONS = tuple(sorted([n for n, _ in ACTIVATION_TABLE.values()] + _ALIASES))

# Keras's TensorFlow backend computes cross-entropy from the tensor *before* these two
# (`_keras_logits`, keras/src/activations/activations.py), so a native loss needs them too.
LOGIT_ACTIVATIONS = ("sigmoid", "softmax")


class Act(nn.Module):
    """A named elementwise function (an activation, with a layer's own settings bound in)."""

    def __init__(self, name: str, fn: Callable):
        super().__init__()
        self.name, self.fn = name, fn

    def forward(self, x):
        return self.fn(x)

    # Called in every layer of every step: skip nn.Module's hook machinery (~2 us a call).
    __call__ = forward

    def extra_repr(self):
        return self.name


def activation_for(layer, fn, what: str = "activation") -> Act:
    """The Act for a layer's Keras activation function (None: linear)."""
    if fn is None:
        fn = keras.activations.linear
    try:
        entry = ACTIVATION_TABLE.get(fn)
    except TypeError:  # an unhashable callable object
        entry = None
    if entry is None:
        name = getattr(fn, "__name__", type(fn).__name__)
        raise UnsupportedLayerError(
            f"cannot port layer '{layer.name}' ({type(layer).__name__}): unsupported {what} "
            f"'{name}'; supported activations: {', '.join(SUPPORTED_ACTIVATIONS)}"
        )
    return Act(*entry)


# --------------------------------------------------------------------------------------------
# Weights
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Claim:
    """One Keras variable held by a torch tensor.

    tensor: an nn.Parameter (trainable) or a buffer (Keras's non-trainable state, e.g.
    BatchNormalization's moving statistics); None: the variable is carried as a constant (it
    does not take part in the computation, e.g. Normalization's adapt counters).
    """

    variable: object
    tensor: torch.Tensor | None


def value_of(variable) -> np.ndarray:
    return np.array(variable.numpy(), dtype=np.float32)


def as_param(variable) -> nn.Parameter:
    """A float32 parameter holding a Keras variable's value; frozen if Keras's is."""
    return nn.Parameter(torch.from_numpy(value_of(variable)), requires_grad=bool(variable.trainable))


def as_buffer(variable) -> torch.Tensor:
    return torch.from_numpy(value_of(variable))


def weight_penalty(regularizer) -> tuple[float, float] | None:
    """(l1, l2) of Keras's L1, L2 or L1L2 weight regularizer (keras/src/regularizers/
    regularizers.py), which the port adds to the loss (PortedModel.penalties); None for any
    other."""
    kind = type(regularizer)
    if kind is keras.regularizers.L1:
        return float(regularizer.l1), 0.0
    if kind is keras.regularizers.L2:
        return 0.0, float(regularizer.l2)
    if kind is keras.regularizers.L1L2:
        return float(regularizer.l1), float(regularizer.l2)
    return None


def check_plain(layer, *, regularizers=("kernel_regularizer", "bias_regularizer",
                                        "recurrent_regularizer", "embeddings_regularizer",
                                        "gamma_regularizer", "beta_regularizer"),
                constraints=("kernel_constraint", "bias_constraint", "recurrent_constraint",
                             "embeddings_constraint", "gamma_constraint", "beta_constraint")):
    """Refuse what changes training outside the layer's call that the port does not do:
    activity regularizers and weight regularizers other than L1, L2 and L1L2 add to the loss
    (Layer.losses; the port adds those three, PortedModel.penalties), constraints rewrite
    weights after each step (optimizer.apply)."""
    if getattr(layer, "activity_regularizer", None) is not None:
        raise refuse(layer, "activity_regularizer=...")
    for name in regularizers:
        regularizer = getattr(layer, name, None)
        if regularizer is not None and weight_penalty(regularizer) is None:
            raise refuse(layer, f"{name}={type(regularizer).__name__}(...)")
    for name in constraints:
        if getattr(layer, name, None) is not None:
            raise refuse(layer, f"{name}=...")
    if getattr(layer, "dtype_policy", None) is not None and layer.compute_dtype != "float32":
        raise refuse(layer, f"dtype={layer.compute_dtype}")
    # LoRA adds a low-rank kernel, quantization another kernel layout (Dense, Embedding, ...).
    if getattr(layer, "lora_enabled", False):
        raise refuse(layer, "lora_rank=...")
    if getattr(layer, "quantization_mode", None):
        raise refuse(layer, f"quantization_mode={layer.quantization_mode!r}")


class PortLayer(nn.Module):
    """Base of every translated layer.

    many: the layer takes a list of tensors (merging layers). step(x) returns
    (output, pre-activation or None); pre-activations are the logits a native loss needs.
    """

    many = False

    def step(self, x):
        return self(x), None


class KerasSeedStream:
    """The random stream of a seeded Keras op on the torch backend.

    keras/src/backend/torch/random.py: torch_seed_generator(seed) draws [s0, s1] from the
    layer's SeedGenerator (state += [0, 1] after each draw, random/seed_generator.py) and
    seeds a fresh torch.Generator with (s0 + s1) & 0xFFFFFFFF. Replaying the same counter gives
    the same noise as Keras, draw for draw, as long as both make the same calls in order.
    """

    def __init__(self, seed_generator):
        s0, s1 = (int(v) for v in np.asarray(seed_generator.state.numpy()).reshape(-1)[:2])
        self.state = [s0, s1]

    def generator(self, device) -> torch.Generator:
        s0, s1 = self.state
        self.state = [s0, s1 + 1]
        g = torch.Generator(device=device)
        g.manual_seed(int(s0 + s1) & 0xFFFFFFFF)
        return g
