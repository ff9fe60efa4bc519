"""What every Keras loss does around its formula: the rank fixes before it and the (weighted)
reduction after it. Rules from keras/src/losses/loss.py (Keras 3.15)."""

from __future__ import annotations

import numpy as np
import torch

EPSILON = 1e-7  # keras/src/backend/config.py: _EPSILON
FLAVOURS = ("torch", "jax", "tensorflow")
REDUCTIONS = ("sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", "none", None)


def check_flavour(flavour):
    if flavour not in FLAVOURS:
        raise ValueError(f"Unknown flavour {flavour!r}; expected one of {FLAVOURS}")


def same_rank(x1, x2):
    """squeeze_or_expand_to_same_rank (loss.py): where the ranks differ by one and the longer
    one ends in a 1, squeeze that axis -- or, when the shorter is rank 1, expand it instead.
    (batch,) vs (batch, 1) -> both (batch, 1); (batch, k, 1) vs (batch, k) -> both (batch, k)."""
    r1, r2 = x1.ndim, x2.ndim
    if r1 == r2 + 1 and x1.shape[-1] == 1:
        if r2 == 1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    if r2 == r1 + 1 and x2.shape[-1] == 1:
        if r1 == 1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def prepare(y_true, y_pred):
    """Loss.__call__ converts both to float32, then LossFunctionWrapper.call fixes the ranks
    (loss.py, losses.py). Returns (y_true, y_pred), float32, on y_pred's device."""
    y_pred = torch.as_tensor(y_pred, dtype=torch.float32)
    y_true = torch.as_tensor(y_true, dtype=torch.float32, device=y_pred.device)
    return same_rank(y_true, y_pred)


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """reduce_weighted_values + reduce_values (loss.py): values (batch, ...) per-sample losses;
    sample_weight (batch,) or (batch, 1) or values' shape, rank-fixed against them and
    multiplied in; then 'sum_over_batch_size'/'mean' divide the weighted sum by the number of
    *values* (not by the sum of the weights), 'mean_with_sample_weight' by the sum of the
    weights, 'sum' does not divide, None/'none' returns the weighted values. Division is
    divide_no_nan (0 where the divisor is 0)."""
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction={reduction!r} is not one of {REDUCTIONS}")
    if sample_weight is not None:
        sample_weight = torch.as_tensor(sample_weight, dtype=values.dtype, device=values.device)
        values, sample_weight = same_rank(values, sample_weight)
        values = values * sample_weight
    if reduction in (None, "none") or values.ndim == 0 or tuple(values.shape) == (0,):
        return values
    total = torch.sum(values)
    if reduction == "sum":
        return total
    # Divide by a device tensor, not a Python scalar: CUDA turns division by a CPU scalar
    # into a multiplication by its reciprocal, which is not bit-identical.
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        n = torch.sum(sample_weight)
    elif values.numel():  # divide_no_nan by a count that is not 0: a plain division
        return total / total.new_full((), values.numel())
    else:
        n = total.new_full((), 0)
    return torch.where(n == 0, torch.zeros_like(total), total / torch.where(n == 0, 1, n))


def class_weight_to_sample_weights(y, class_weight: dict):
    """keras/src/trainers/data_adapters/data_adapter_utils.py: one float32 weight per sample,
    class_weight.get(class, 1.0), the class being argmax(y, -1) for (n, k>1) labels, else
    y itself (a trailing axis of 1 squeezed), *rounded* to an integer. y: (n, ...) numpy."""
    y = np.asarray(y)
    weights = np.ones((y.shape[0],), dtype="float32")
    if y.ndim > 1:
        y = np.argmax(y, axis=-1) if y.shape[-1] != 1 else np.squeeze(y, axis=-1)
    y = np.round(y).astype("int32")
    for i in range(y.shape[0]):
        weights[i] = class_weight.get(int(y[i]), 1.0)
    return weights


def fit_sample_weights(y, sample_weight, class_weight, n_train: int):
    """The per-sample weights fit() trains and validates with, numpy float32 or None each:
    (training (n_train,), validation (n - n_train,)). Keras (trainers/trainer.py fit,
    array_data_adapter.py) splits sample_weight with validation_split, so the validation loss
    and accuracy are weighted too; class_weight is turned into weights on the training labels
    only, so validation stays unweighted; both at once is Keras's ValueError."""
    if sample_weight is not None and class_weight is not None:
        raise ValueError("You cannot `class_weight` and `sample_weight` at the same time.")
    if sample_weight is not None:
        sw = np.asarray(sample_weight, dtype="float32")
        return sw[:n_train], (sw[n_train:] if n_train < len(sw) else None)
    if class_weight is not None:
        return class_weight_to_sample_weights(np.asarray(y)[:n_train], class_weight), None
    return None, None
