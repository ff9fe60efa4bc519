"""The cross-entropies as Keras computes them on each backend, per sample (unreduced).

Formulas from keras/src/losses/losses.py (label smoothing, the mean over the last axis) and the
backend's nn.py (keras/src/backend/{torch,jax,tensorflow}/nn.py) of the chosen *flavour*:

- ``"torch"``: probabilities clipped to [1e-7, 1-1e-7]; categorical CE first divides y_pred by
  its sum; binary CE is ``F.binary_cross_entropy`` itself, so labels outside [0, 1] raise
  ``RuntimeError: all elements of target should be between 0 and 1``. from_logits: the fused
  ``F.binary_cross_entropy_with_logits`` / ``log_softmax`` / ``F.cross_entropy``.
- ``"jax"``: the same clipping and normalisation, but binary CE is written out as
  ``-(t*log(p) + (1-t)*log(1-p))``: no label check, so labels like 2 give *negative* losses.
  from_logits: ``log_sigmoid`` / ``log_softmax``. JAX never looks at the pre-activation logits.
- ``"tensorflow"``: ``_get_logits`` (tensorflow/nn.py) takes ``output._keras_logits`` -- set by
  both ``sigmoid`` and ``softmax`` -- and switches to from_logits. So with ``logits`` given,
  binary CE is ``sigmoid_cross_entropy_with_logits`` and categorical CE is
  ``softmax_cross_entropy_with_logits`` over them, *even when they were fed to a sigmoid*:
  unbounded, where torch/jax clip and stay below -log(1e-7) ~ 16.1. Sparse categorical CE goes
  through ``_get_logits`` too; without logits it clips *without* normalising and feeds log(p)
  to ``sparse_softmax_cross_entropy_with_logits``.

Each function: y_true, y_pred already rank-fixed (reduction.prepare), float32; logits: the last
layer's pre-activation or None. Returns the per-sample losses, y_pred's shape less its last axis.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from scen.keras_exact.reduction import EPSILON


def sigmoid_xent_with_logits(labels, logits):
    """tf.nn.sigmoid_cross_entropy_with_logits (tensorflow nn_impl.py), verbatim."""
    cond = logits >= 0
    relu_logits = torch.where(cond, logits, torch.zeros_like(logits))
    neg_abs_logits = torch.where(cond, -logits, logits)
    return (relu_logits - logits * labels) + torch.log1p(torch.exp(neg_abs_logits))


def softmax_xent_with_logits(labels, logits):
    """TF's SoftmaxCrossEntropyWithLogits kernel (xent_op.h):
    sum(labels * (log(sum(exp(x - max))) - (x - max))) over the last axis."""
    shifted = logits - logits.amax(dim=-1, keepdim=True)
    log_sum = torch.log(torch.exp(shifted).sum(dim=-1, keepdim=True))
    return torch.sum(labels * (log_sum - shifted), dim=-1)


def _same_shape(y_true, y_pred):
    # torch/jax nn.py refuse before computing anything; say so in Keras's torch words (its
    # shapes are torch.Size, as `KERAS_BACKEND=torch python train.py` prints them).
    if y_true.shape != y_pred.shape:
        raise ValueError("Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={y_true.shape}, output.shape={y_pred.shape}")


def _tf_logits(logits, y_pred, from_logits):
    """What tensorflow/nn.py's _get_logits hands the fused kernels: y_pred itself with
    from_logits, else the recorded pre-activation (None where there is none)."""
    if from_logits:
        return y_pred
    if logits is None:
        return None
    return torch.as_tensor(logits, dtype=torch.float32).reshape(y_pred.shape)


def binary(y_true, y_pred, logits=None, flavour="torch", from_logits=False,
           label_smoothing=0.0):
    """binary_crossentropy (losses.py): t*(1-s) + s/2 with label smoothing s, the backend's
    elementwise CE, then the mean over the last axis. (batch, ..., k) -> (batch, ...)."""
    _same_shape(y_true, y_pred)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    z = _tf_logits(logits, y_pred, from_logits) if flavour == "tensorflow" else None
    if z is not None:
        per_elem = sigmoid_xent_with_logits(y_true, z)
    elif from_logits:
        if flavour == "torch":
            per_elem = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
        else:  # jax nn.py: -t*log_sigmoid(x) - (1-t)*log_sigmoid(-x)
            per_elem = (-1.0 * y_true * F.logsigmoid(y_pred)
                        - (1.0 - y_true) * F.logsigmoid(-y_pred))
    else:
        p = torch.clip(y_pred, EPSILON, 1.0 - EPSILON)
        if flavour == "torch":  # torch nn.py: F.binary_cross_entropy checks the labels
            per_elem = F.binary_cross_entropy(p, y_true, reduction="none")
        else:  # jax / tensorflow nn.py: written out, no label check
            bce = y_true * torch.log(p)
            bce = bce + (1 - y_true) * torch.log(1 - p)
            per_elem = -bce
    return torch.mean(per_elem, dim=-1)


def categorical(y_true, y_pred, logits=None, flavour="torch", from_logits=False,
                label_smoothing=0.0):
    """categorical_crossentropy (losses.py): t*(1-s) + s/classes with label smoothing s; then
    -sum(t * log p) with p = clip(y_pred / sum(y_pred)) (torch nn.py), or log_softmax(y_pred)
    from logits. (batch, ..., classes) -> (batch, ...)."""
    _same_shape(y_true, y_pred)
    if label_smoothing:
        num_classes = float(y_true.shape[-1])
        y_true = y_true * (1.0 - label_smoothing) + (label_smoothing / num_classes)
    z = _tf_logits(logits, y_pred, from_logits) if flavour == "tensorflow" else None
    if z is not None:
        return softmax_xent_with_logits(y_true, z)
    if from_logits:
        log_prob = torch.log_softmax(y_pred, dim=-1)
    else:
        p = y_pred / torch.sum(y_pred, dim=-1, keepdim=True)
        log_prob = torch.log(torch.clip(p, EPSILON, 1.0 - EPSILON))
    return -torch.sum(y_true * log_prob, dim=-1)


def sparse_categorical(y_true, y_pred, logits=None, flavour="torch", from_logits=False):
    """sparse_categorical_crossentropy (losses.py, torch nn.py): integer labels (batch, ...)
    or (batch, ..., 1); y_pred (batch, ..., classes) -> (batch, ...). torch/jax: normalise,
    clip, -log p[label], or F.cross_entropy from logits. tensorflow: the fused sparse softmax
    CE of the logits (_get_logits), or of log(clip(p)) without them."""
    y_true = y_true.to(torch.long)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    if flavour == "tensorflow":
        x = _tf_logits(logits, y_pred, from_logits)
        if x is None:
            x = torch.log(torch.clip(y_pred, EPSILON, 1 - EPSILON))
        # TF's SparseSoftmaxXentWithLogits kernel: log(sum(exp(x - max))) - (x[label] - max)
        shifted = x - x.amax(dim=-1, keepdim=True)
        log_sum = torch.log(torch.exp(shifted).sum(dim=-1))
        return log_sum - torch.gather(shifted, -1, y_true.unsqueeze(-1)).squeeze(-1)
    if from_logits:
        if flavour == "torch":  # torch nn.py: F.cross_entropy wants the classes on axis 1
            out = y_pred.movedim(-1, 1) if y_pred.ndim > 2 else y_pred
            return F.cross_entropy(out, y_true, reduction="none")
        logp = torch.log_softmax(y_pred, dim=-1)
    else:
        p = y_pred / torch.sum(y_pred, dim=-1, keepdim=True)
        logp = torch.log(torch.clip(p, EPSILON, 1.0 - EPSILON))
    return -torch.gather(logp, -1, y_true.unsqueeze(-1)).squeeze(-1)
