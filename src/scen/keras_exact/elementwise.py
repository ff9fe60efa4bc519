"""The regression, probabilistic and hinge losses, per sample (unreduced), op for op as
keras/src/losses/losses.py writes them with the torch backend's ops (backend/torch/numpy.py:
``maximum``/``minimum`` are ``torch.maximum``/``torch.minimum`` against a tensor, whose
gradient at a tie is split in half -- unlike ``clamp``, which is why they are kept here).

Each function: y_true, y_pred rank-fixed (reduction.prepare), float32, (batch, ..., k);
returns (batch, ...): the last axis is reduced (mean, or sum where Keras sums). These formulas
are the same on every backend up to rounding, so they take no flavour.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from scen.keras_exact.reduction import EPSILON


def _const(value, like):
    # ops.maximum(x, 0.0) etc. convert the Python number to a tensor of x's dtype first.
    return torch.tensor(value, dtype=like.dtype, device=like.device)


def mean_squared_error(y_true, y_pred):
    """mean(square(t - p), -1)."""
    return torch.mean(torch.square(y_true - y_pred), dim=-1)


def mean_absolute_error(y_true, y_pred):
    """mean(abs(t - p), -1)."""
    return torch.mean(torch.abs(y_true - y_pred), dim=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """100 * mean(abs((t - p) / maximum(abs(t), 1e-7)), -1)."""
    diff = torch.abs((y_true - y_pred) / torch.maximum(torch.abs(y_true), _const(EPSILON, y_pred)))
    return 100.0 * torch.mean(diff, dim=-1)


def mean_squared_logarithmic_error(y_true, y_pred):
    """mean(square(log(maximum(p, eps) + 1) - log(maximum(t, eps) + 1)), -1)."""
    eps = _const(EPSILON, y_pred)
    first_log = torch.log(torch.maximum(y_pred, eps) + 1.0)
    second_log = torch.log(torch.maximum(y_true, eps) + 1.0)
    return torch.mean(torch.square(first_log - second_log), dim=-1)


def _l2_normalize(x, axis):
    """ops.nn.normalize, order 2 (ops/nn.py _normalize): x * minimum(rsqrt(sum(x^2)), 1/eps)."""
    square_sum = torch.sum(torch.square(x), dim=axis, keepdim=True)
    inv_norm = torch.minimum(torch.rsqrt(square_sum), _const(1.0 / EPSILON, x))
    return x * inv_norm


def cosine_similarity(y_true, y_pred, axis=-1):
    """-sum(l2_normalize(t) * l2_normalize(p), axis): -1 for parallel vectors, 0 where either
    is zero."""
    return -torch.sum(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis), dim=axis)


def huber(y_true, y_pred, delta=1.0):
    """mean(where(|e| <= delta, 0.5 e^2, delta |e| - 0.5 delta^2), -1), e = p - t; delta and
    0.5 are float32 tensors (ops.convert_to_tensor), so 0.5*delta^2 is rounded in float32."""
    delta = _const(delta, y_pred)
    error = y_pred - y_true
    abs_error = torch.abs(error)
    half = _const(0.5, abs_error)
    return torch.mean(torch.where(abs_error <= delta, half * torch.square(error),
                                  delta * abs_error - half * torch.square(delta)), dim=-1)


def log_cosh(y_true, y_pred):
    """mean(x + softplus(-2x) - log 2, -1), x = p - t: log(cosh(x)) without overflow."""
    log2 = _const(math.log(2.0), y_pred)
    x = y_pred - y_true
    return torch.mean(x + F.softplus(x * -2.0) - log2, dim=-1)


def kl_divergence(y_true, y_pred):
    """sum(t * log(t / p), -1) with t and p clipped to [1e-7, 1]."""
    y_true = torch.clip(y_true, EPSILON, 1)
    y_pred = torch.clip(y_pred, EPSILON, 1)
    return torch.sum(y_true * torch.log(y_true / y_pred), dim=-1)


def poisson(y_true, y_pred):
    """mean(p - t * log(p + 1e-7), -1)."""
    return torch.mean(y_pred - y_true * torch.log(y_pred + _const(EPSILON, y_pred)), dim=-1)


def _hinge_labels(y_true):
    """convert_binary_labels_to_hinge (losses.py): 0/1 labels become -1/1 -- but only when
    *every* label in the batch is 0 or 1; otherwise they are used as they are."""
    is_binary = torch.all((y_true == 0) | (y_true == 1))
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


def hinge(y_true, y_pred):
    """mean(maximum(1 - t*p, 0), -1), t in {-1, 1} (0/1 labels converted)."""
    t = _hinge_labels(y_true)
    return torch.mean(torch.maximum(1.0 - t * y_pred, _const(0.0, y_pred)), dim=-1)


def squared_hinge(y_true, y_pred):
    """mean(square(maximum(1 - t*p, 0)), -1), t in {-1, 1} (0/1 labels converted)."""
    t = _hinge_labels(y_true)
    return torch.mean(torch.square(torch.maximum(1.0 - t * y_pred, _const(0.0, y_pred))),
                      dim=-1)


def categorical_hinge(y_true, y_pred):
    """maximum(max((1 - t) * p, -1) - sum(t * p, -1) + 1, 0): the best wrong class against the
    right one."""
    pos = torch.sum(y_true * y_pred, dim=-1)
    neg = torch.amax((1.0 - y_true) * y_pred, dim=-1)
    return torch.maximum(neg - pos + 1.0, _const(0.0, y_pred))
