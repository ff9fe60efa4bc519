"""BatchNormalization, LayerNormalization and (adapted) Normalization
(keras/src/layers/normalization/, layers/preprocessing/normalization.py, ops/nn.py)."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from scen.port.base import Claim, PortLayer, as_buffer, as_param, check_plain, refuse

__all__ = ["BatchNorm", "LayerNorm", "Normalization", "BUILDERS"]


class BatchNorm(PortLayer):
    """keras/src/layers/normalization/batch_normalization.py, torch backend.

    Training (module.train() and the Keras layer trainable): batch moments over every axis but
    `axis`, variance as E[x^2] - E[x]^2 (torch/nn.py moments), and the moving statistics
    updated in place as Keras assigns them: moving * momentum + batch * (1 - momentum)
    (momentum 0.99 by default). Inference: the moving statistics. Output:
    (x - mean) * (rsqrt(variance + epsilon) * gamma) + beta, epsilon 1e-3 by default.
    """

    def __init__(self, axis, momentum, epsilon, gamma, beta, moving_mean, moving_variance,
                 frozen: bool):
        super().__init__()
        self.axis, self.momentum, self.epsilon, self.frozen = axis, momentum, epsilon, frozen
        self.gamma, self.beta = gamma, beta
        self.register_buffer("moving_mean", moving_mean)
        self.register_buffer("moving_variance", moving_variance)

    def forward(self, x):
        axis = self.axis % x.dim()
        shape = [1] * x.dim()
        shape[axis] = x.shape[axis]
        if self.training and not self.frozen:
            dims = [d for d in range(x.dim()) if d != axis]
            mean = torch.mean(x, dim=dims, keepdim=True)
            variance = torch.mean(torch.square(x), dim=dims, keepdim=True) - torch.square(mean)
            mean, variance = mean.reshape(-1), variance.reshape(-1)
            with torch.no_grad():
                m = self.momentum
                self.moving_mean.copy_(self.moving_mean * m + mean.detach() * (1.0 - m))
                self.moving_variance.copy_(self.moving_variance * m + variance.detach() * (1.0 - m))
        else:
            mean, variance = self.moving_mean, self.moving_variance
        mean, variance = mean.reshape(shape), variance.reshape(shape)
        scale = torch.rsqrt(variance + self.epsilon)
        if self.gamma is not None:
            scale = scale * self.gamma.reshape(shape)
        y = (x - mean) * scale
        if self.beta is not None:
            y = y + self.beta.reshape(shape)
        return y


def batch_norm(layer):
    check_plain(layer)
    if layer.renorm:
        raise refuse(layer, "renorm=True")
    gamma = as_param(layer.gamma) if layer.scale else None
    beta = as_param(layer.beta) if layer.center else None
    m = BatchNorm(int(layer.axis), float(layer.momentum), float(layer.epsilon), gamma, beta,
                  as_buffer(layer.moving_mean), as_buffer(layer.moving_variance),
                  frozen=not layer.trainable)
    claims = []
    if gamma is not None:
        claims.append(Claim(layer.gamma, gamma))
    if beta is not None:
        claims.append(Claim(layer.beta, beta))
    claims += [Claim(layer.moving_mean, m.moving_mean), Claim(layer.moving_variance, m.moving_variance)]
    return m, claims


class LayerNorm(PortLayer):
    """ops/nn.py layer_normalization on the torch backend: F.layer_norm over the trailing
    axes (`axis`, contiguous), or x * rsqrt(var + epsilon) * gamma with rms_scaling."""

    def __init__(self, axes, epsilon, gamma, beta, rms):
        super().__init__()
        self.axes, self.epsilon, self.gamma, self.beta, self.rms = axes, epsilon, gamma, beta, rms

    def forward(self, x):
        if self.rms:
            variance = torch.var(x, dim=self.axes, keepdim=True, correction=0)
            y = x * torch.rsqrt(variance + self.epsilon)
            return y * self.gamma if self.gamma is not None else y
        shape = tuple(x.shape[a] for a in self.axes)
        return F.layer_norm(x, shape, self.gamma, self.beta, self.epsilon)


def layer_norm(layer):
    check_plain(layer)
    axes = [layer.axis] if isinstance(layer.axis, int) else list(layer.axis)
    rank = len(layer.input.shape) if hasattr(layer, "input") else None
    axes = sorted(a % rank for a in axes)
    if axes != list(range(rank - len(axes), rank)):
        raise refuse(layer, f"axis={layer.axis} (only trailing axes)")
    gamma = as_param(layer.gamma) if layer.gamma is not None else None
    beta = as_param(layer.beta) if layer.beta is not None else None
    if gamma is not None and gamma.dim() != len(axes) and not layer.rms_scaling:
        raise refuse(layer, f"axis={layer.axis}")
    m = LayerNorm(axes, float(layer.epsilon), gamma, beta, bool(layer.rms_scaling))
    claims = [Claim(v, t) for v, t in ((layer.gamma, gamma), (layer.beta, beta)) if t is not None]
    return m, claims


class Normalization(PortLayer):
    """layers/preprocessing/normalization.py: (x - mean) / max(sqrt(variance), 1e-7), or the
    inverse with invert=True; mean and variance as adapt() (or the constructor) left them."""

    def __init__(self, mean, variance, invert):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean))
        self.register_buffer("variance", torch.as_tensor(variance))
        self.invert = invert

    def forward(self, x):
        std = torch.clamp(torch.sqrt(self.variance), min=1e-7)  # maximum(sqrt(v), epsilon)
        if self.invert:
            return self.mean + x * std
        return (x - self.mean) / std


def normalization(layer):
    if layer.mean is None:
        raise refuse(layer, "not adapted / built")
    mean = np.array(layer.mean.detach().cpu().numpy() if hasattr(layer.mean, "detach")
                    else np.asarray(layer.mean), dtype=np.float32)
    var = np.array(layer.variance.detach().cpu().numpy() if hasattr(layer.variance, "detach")
                   else np.asarray(layer.variance), dtype=np.float32)
    m = Normalization(mean, var, bool(layer.invert))
    # adapt_mean / adapt_variance / count are weights Keras saves; the call reads `mean` and
    # `variance` computed from them at adapt/build time: carry them as constants.
    return m, [Claim(v, None) for v in layer.weights]


BUILDERS = {"BatchNormalization": batch_norm, "LayerNormalization": layer_norm,
            "Normalization": normalization}
