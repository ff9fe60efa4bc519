"""Dense, Embedding, activation layers and Rescaling (keras/src/layers/core/, activations/,
preprocessing/rescaling.py). Every module's step(x) returns (output, pre-activation)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from scen.port.base import (Act, Claim, PortLayer, activation_for, as_param, check_plain,
                            refuse)

__all__ = ["Dense", "ActivationLayer", "Embedding", "Rescaling", "PReLU", "BUILDERS"]


class Dense(PortLayer):
    """Keras's Dense: weight is the kernel in Keras's (in, out) layout, bias (out,) or None,
    then the Keras activation. Input (..., in) -> output (..., out), on the last axis as
    Keras's Dense on rank > 2."""

    def __init__(self, weight: nn.Parameter, bias: nn.Parameter | None, act):
        super().__init__()
        self.weight, self.bias, self.act = weight, bias, act
        self.in_features, self.out_features = weight.shape

    def step(self, x):
        # Keras's Dense.call op for op: matmul(x, kernel) then add(bias), the kernel in its
        # (in, out) layout. nn.Linear's (out, in) weight (F.linear, addmm on its transpose)
        # sums in another order and drifts by several float32 ulps (~7e-6 on a 784-wide
        # layer); this way the port is bit-identical to Keras-on-torch on CPU, in values and
        # gradients, and spends no copy on a transpose.
        pre = torch.matmul(x, self.weight)
        if self.bias is not None:  # a mixed policy reads the bias in the compute dtype too
            pre = pre + self.bias.to(pre.dtype)
        return self.act(pre), pre

    def forward(self, x):
        return self.step(x)[0]


def dense(layer):
    check_plain(layer)
    bias = as_param(layer.bias) if layer.bias is not None else None
    module = Dense(as_param(layer.kernel), bias, activation_for(layer, layer.activation))
    claims = [Claim(layer.kernel, module.weight)]
    if bias is not None:
        claims.append(Claim(layer.bias, bias))
    return module, claims


class ActivationLayer(PortLayer):
    """Activation(name) and the activation layers (ReLU, LeakyReLU, ELU, Softmax): any shape."""

    def __init__(self, act):
        super().__init__()
        self.act = act

    def step(self, x):
        return self.act(x), x

    def forward(self, x):
        return self.act(x)


def activation(layer):
    return ActivationLayer(activation_for(layer, layer.activation)), []


def relu_layer(layer):
    """keras/src/layers/activations/relu.py -> activations.ReLU.static_call, branch for branch."""
    slope, top, threshold = float(layer.negative_slope), layer.max_value, float(layer.threshold)
    if slope != 0 and top is None and threshold == 0:
        return ActivationLayer(Act("leaky_relu", lambda x: F.leaky_relu(x, slope))), []

    def fn(x):
        neg = (F.relu(-x + threshold) if threshold != 0 else F.relu(-x)) if slope != 0 else 1
        clip = top is not None
        if threshold != 0:
            y = torch.where(x > threshold, x, torch.zeros_like(x))
        elif top == 6:
            y, clip = F.relu6(x), False
        else:
            y = F.relu(x)
        if clip:
            y = torch.clip(y, 0.0, float(top))
        if slope != 0:
            y = y - slope * neg
        return y

    return ActivationLayer(Act("relu" if slope == 0 and top is None and threshold == 0
                               else "relu_settings", fn)), []


def leaky_relu_layer(layer):
    slope = float(layer.negative_slope)  # LeakyReLU layer default 0.3 (the function's is 0.2)
    return ActivationLayer(Act("leaky_relu", lambda x: F.leaky_relu(x, negative_slope=slope))), []


def elu_layer(layer):
    alpha = float(layer.alpha)
    return ActivationLayer(Act("elu", lambda x: F.elu(x, alpha=alpha))), []


def softmax_layer(layer):
    axis = layer.axis
    if not isinstance(axis, int):
        raise refuse(layer, f"axis={axis}")
    name = "softmax" if axis == -1 else "softmax_axis"
    return ActivationLayer(Act(name, lambda x: F.softmax(x, dim=axis))), []


class PReLU(PortLayer):
    """keras/src/layers/activations/prelu.py: pos = relu(x); neg = -alpha * relu(-x)."""

    def __init__(self, alpha: nn.Parameter):
        super().__init__()
        self.alpha = alpha

    def forward(self, x):
        return F.relu(x) + (-self.alpha * F.relu(-x))


def prelu(layer):
    check_plain(layer, regularizers=("alpha_regularizer",), constraints=("alpha_constraint",))
    m = PReLU(as_param(layer.alpha))
    return m, [Claim(layer.alpha, m.alpha)]


class Embedding(PortLayer):
    """keras/src/layers/core/embedding.py: take(embeddings (vocab, dim), int32(x)).
    Input (batch, ...) of indices (floats are truncated, as Keras's cast to int32 does) ->
    (batch, ..., dim). With mask_zero the graph also derives the mask (x != 0)."""

    def __init__(self, weight: nn.Parameter, mask_zero: bool):
        super().__init__()
        self.weight, self.mask_zero = weight, mask_zero

    def forward(self, x):
        return F.embedding(x.to(torch.int64), self.weight)

    def mask_of(self, x):
        return x.to(torch.int64) != 0


def embedding(layer):
    check_plain(layer)
    m = Embedding(as_param(layer.embeddings), bool(layer.mask_zero))
    return m, [Claim(layer.embeddings, m.weight)]


class Rescaling(PortLayer):
    """keras/src/layers/preprocessing/rescaling.py: x * scale + offset (channels_last)."""

    def __init__(self, scale, offset):
        super().__init__()
        self.register_buffer("scale", torch.as_tensor(np.asarray(scale, dtype=np.float32)))
        self.register_buffer("offset", torch.as_tensor(np.asarray(offset, dtype=np.float32)))

    def forward(self, x):
        return x * self.scale + self.offset


def rescaling(layer):
    import keras

    if np.ndim(layer.scale) > 0 and keras.config.image_data_format() == "channels_first":
        raise refuse(layer, "scale=<vector> with image_data_format='channels_first'")
    return Rescaling(layer.scale, layer.offset), []


BUILDERS = {
    "Dense": dense, "Activation": activation, "Embedding": embedding, "Rescaling": rescaling,
    "ReLU": relu_layer, "LeakyReLU": leaky_relu_layer, "ELU": elu_layer,
    "Softmax": softmax_layer, "PReLU": prelu,
}
