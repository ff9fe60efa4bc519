"""keras.callbacks.ReduceLROnPlateau without a model (keras/src/callbacks/reduce_lr_on_plateau.py,
keras/src/callbacks/monitor_callback.py)."""

from __future__ import annotations

import warnings

import numpy as np

_UP_METRICS = {"accuracy", "acc", "binary_accuracy", "categorical_accuracy",
               "sparse_categorical_accuracy", "top_k_categorical_accuracy",
               "sparse_top_k_categorical_accuracy", "auc", "precision", "recall",
               "f1_score", "fbeta_score", "r2_score", "iou", "mean_iou"}


class ReduceLROnPlateau:
    """keras.callbacks.ReduceLROnPlateau without a model.  Subtleties kept from Keras:
    the improvement test ``ops.less(current - min_delta, best)`` (monitor_callback.py
    l.104) converts Python floats to *float32* tensors before comparing; min_delta is
    negated in min mode; the epoch on which cooldown runs out already counts toward
    ``wait``; the lr is reduced only while ``old_lr > np.float32(min_lr)``
    (reduce_lr_on_plateau.py l.83) and is stored as float32.
    In mode='auto' Keras asks the model's metrics for their direction; here 'loss'
    means min, well-known accuracy-like names mean max, anything else must name a mode."""

    def __init__(self, optimizer=None, monitor="val_loss", factor=0.1, patience=10,
                 verbose=0, mode="auto", min_delta=1e-4, cooldown=0, min_lr=0.0):
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau does not support a factor >= 1.0. "
                             f"Received factor={factor}")
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"ReduceLROnPlateau mode '{mode}' is unknown, fallback to auto mode.",
                          stacklevel=2)
            mode = "auto"
        self.optimizer, self.monitor, self.factor, self.patience = optimizer, monitor, factor, patience
        self.verbose, self.cooldown, self.min_lr = verbose, cooldown, min_lr
        if mode == "auto":
            metric = monitor.removeprefix("val_")
            if metric in _UP_METRICS:
                mode = "max"
            elif metric == "loss" or "loss" in metric or metric in ("mse", "mae"):
                mode = "min"
            else:
                raise ValueError(f"ReduceLROnPlateau received monitor={monitor}, but the "
                                 "direction cannot be inferred; pass mode='min' or 'max'.")
        self.mode = mode
        self.min_delta = -abs(min_delta) if mode == "min" else abs(min_delta)
        self._reset()

    def _reset(self):
        self.best, self.cooldown_counter, self.wait = None, 0, 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _is_improvement(self, current, best):
        if best is None:
            return True
        a, b = np.float32(current - self.min_delta), np.float32(best)
        return bool(a < b) if self.mode == "min" else bool(a > b)

    def on_epoch_end(self, epoch, logs=None, optimizer=None):
        """Returns the new learning rate when it was reduced this epoch, else None."""
        opt = optimizer or self.optimizer
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(opt.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` "
                          f"which is not available. Available metrics are: {','.join(logs)}.",
                          stacklevel=2)
            return None
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best, self.wait = current, 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(opt.learning_rate)
                if old_lr > np.float32(self.min_lr):
                    opt.learning_rate = max(old_lr * self.factor, self.min_lr)
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning "
                              f"rate to {max(old_lr * self.factor, self.min_lr)}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0
                    return float(opt.learning_rate)
        return None
