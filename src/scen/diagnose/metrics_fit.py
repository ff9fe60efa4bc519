"""Metrics against the task: a compiled metric that cannot measure what the loss trains.

Read from the run's logs (the metric names Keras logs) and the targets: accuracy of any kind
on a regression target, per-unit binary accuracy on one-of-K outputs (inflated), an argmax over
a single unit (constant), and an accuracy made for the other label format. Texts live in
catalogue.py ("metric_does_not_fit_task:<variant>").
"""

from __future__ import annotations

import numpy as np

from scen.diagnose.catalogue import Finding, finding, fmt
from scen.diagnose.trace import Trace

REGRESSION = {"mse", "mae", "regression"}
ACCURACIES = {"accuracy", "acc", "binary_accuracy", "categorical_accuracy",
              "sparse_categorical_accuracy", "top_k_categorical_accuracy",
              "sparse_top_k_categorical_accuracy"}
CLASS_METRICS = ACCURACIES | {"auc", "precision", "recall", "f1_score", "fbeta_score"}
ARGMAX = {"categorical_accuracy", "sparse_categorical_accuracy",
          "top_k_categorical_accuracy", "sparse_top_k_categorical_accuracy"}
CLASS_IDS = (3, 20)  # whole-number targets 0..K-1 (or 1..K), every one present, with 3 to 20
# values, scored by an accuracy: class ids (digits, categories, grades) put on one regression
# unit. (2 values are 0/1 labels, said apart; counts and ages run wider, with gaps.)
CONSTANT_TOL = 1e-6  # a metric that moved less than this over the run measured nothing.
HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "fbeta", "r2", "iou")
LOWER_IS_BETTER = ("error", "mse", "mae", "mape", "msle", "rmse", "hinge", "crossentropy",
                   "log_cosh", "poisson", "kl_divergence", "loss")
DISAGREE = 0.1  # the loss improved by over 10% of its size, and every metric got 10% worse


def _base(key: str) -> str:
    """A logged metric's kind: 'val_' and Keras's '_1' suffixes dropped."""
    key = key[4:] if key.startswith("val_") else key
    head, _, tail = key.rpartition("_")
    return head if tail.isdigit() and head else key


def _class_ids(f) -> bool:
    """The targets look like class ids: CLASS_IDS values, whole, from 0 or 1, without gaps."""
    k = f.target_distinct or 0
    return bool(f.targets_integer and f.target_range and CLASS_IDS[0] <= k <= CLASS_IDS[1]
                and f.target_range[0] in (0.0, 1.0)
                and f.target_range[1] - f.target_range[0] + 1 == k)


def _variant(metric: str, t: Trace) -> tuple[str, dict] | None:
    """The catalogue variant (and its fields) for a metric that does not fit, or None."""
    f = t.facts
    kind, units = f.loss_kind, f.output_units or 0
    if kind in REGRESSION and metric in ACCURACIES and units == 1 and _class_ids(f):
        return "class_ids", dict(classes=f.target_distinct, loss=f.loss_name)
    if kind in REGRESSION and metric in CLASS_METRICS and f.targets_binary is False:
        return "regression", {}
    if kind in ("categorical_ce", "sparse_ce") and units > 2 and metric == "binary_accuracy":
        return "binary_on_one_of_k", dict(units=units)
    if kind == "binary_ce" and units > 2 and f.one_hot_rows and metric == "binary_accuracy":
        return "binary_on_one_hot_rows", dict(units=units)
    if kind == "binary_ce" and units == 1 and metric in ARGMAX:
        return "argmax_on_one_unit", {}
    if kind == "sparse_ce" and metric in ("categorical_accuracy", "top_k_categorical_accuracy"):
        return "label_format", dict(expects="one-hot", loss=f.loss_name)
    if kind == "categorical_ce" and metric.startswith("sparse_"):
        return "label_format", dict(expects="integer", loss=f.loss_name)
    return None


def metric_fits(key: str, t: Trace) -> bool:
    """Whether the logged metric `key` can measure this task (no variant above applies)."""
    return _variant(_base(key), t) is None


def detect_metric_mismatch(t: Trace) -> list[Finding]:
    """Each logged metric (training side) that cannot measure this task, once per kind."""
    if not t.records or t.facts.loss_kind is None:
        return []
    out, seen = [], set()
    for key in t.records[0].logs:
        if key.startswith("val_") or _base(key) in seen:
            continue
        found = _variant(_base(key), t)
        if found is None:
            continue
        seen.add(_base(key))
        values, loss = t.series(key), t.series("loss")
        moved = float(np.nanmax(values) - np.nanmin(values)) if np.any(np.isfinite(values)) else 0
        course = (f"'{key}' stayed at exactly {fmt(values[0])} for {len(values)} epoch(s)"
                  if moved < CONSTANT_TOL else
                  f"'{key}' went from {fmt(values[0])} to {fmt(values[-1])}")
        out.append(finding(
            CLASS_IDS_FINDING if found[0] == "class_ids" else
            f"metric_does_not_fit_task:{found[0]}",
            f"{course} while the loss ({t.facts.loss_name}) went from {fmt(loss[0])} to "
            f"{fmt(loss[-1])}; " + _why(found[0], t) + ".", metric=key, **found[1]))
    return out


CLASS_IDS_FINDING = "classification_with_regression_loss:class_ids"


def _why(variant: str, t: Trace) -> str:
    f = t.facts
    if variant == "class_ids":
        return (f"the targets are {f.target_distinct} whole numbers, scored by accuracy: class "
                f"ids. One {f.loss_name} unit ranks them as if class 3 lay between 2 and 4, and "
                "is only right where its output rounds to the exact id")
    if variant == "regression":
        many = f"{f.target_distinct} distinct target values" if f.target_distinct else "targets"
        return (f"the {many} are not classes: Keras's accuracy thresholds the prediction at "
                "0.5 and compares it with the target for equality, which a continuous "
                "target never meets, so the number says nothing about the fit")
    if variant in ("binary_on_one_of_k", "binary_on_one_hot_rows"):
        return (f"binary accuracy scores each of the {f.output_units} units against its 0/1 "
                "label, so predicting all zeros already scores "
                f"{1 - 1 / max(f.output_units or 2, 2):.0%}")
    if variant == "argmax_on_one_unit":
        return ("the argmax over one unit is always 0, so the metric is fixed by the labels, "
                "not by the model")
    return "the metric reads the labels in the other format, so it compares the wrong things"


def detect_loss_metric_disagreement(t: Trace) -> list[Finding]:
    """The loss improved while every other metric the fit logs (training side) got clearly
    worse: what is minimised is not what is measured - a custom loss with its sign flipped,
    a loss for another task. Metrics of unknown direction are left out."""
    loss = t.series("loss")
    if len(loss) < 3 or not np.all(np.isfinite(loss[[0, -1]])):
        return []
    gained = loss[0] - loss[-1]
    if gained <= DISAGREE * max(abs(loss[0]), abs(loss[-1])):
        return []
    # A loss below zero that keeps falling is one being maximised (most losses have a floor
    # at 0): there, a metric that merely fails to improve disagrees with it as well.
    enough = 0.0 if loss[-1] < 0 else DISAGREE
    worse = []
    for key in t.records[0].logs:
        base = _base(key)
        if key.startswith("val_") or key in ("loss", "learning_rate") or _variant(base, t):
            continue  # (a metric that does not fit the task measures nothing to disagree)
        up = any(w in base for w in HIGHER_IS_BETTER)
        down = not up and any(w in base for w in LOWER_IS_BETTER)
        values = t.series(key)
        if not (up or down) or not np.all(np.isfinite(values[[0, -1]])):
            continue
        change = (values[-1] - values[0]) * (1 if down else -1)  # > 0: worse
        worse_enough = change > enough * max(abs(values[0]), 1e-12) if enough else change >= 0
        if not worse_enough:
            return []  # a metric that agrees (or holds): no disagreement to report
        worse.append(f"'{key}' from {fmt(values[0])} to {fmt(values[-1])}")
    if not worse:
        return []
    return [finding(
        "loss_metric_disagreement",
        f"the loss ({t.facts.loss_name or 'the compiled loss'}) fell from {fmt(loss[0])} to "
        f"{fmt(loss[-1])} while {', '.join(worse)} got {'no better' if enough == 0 else 'worse'}"
        + (": a loss below zero that keeps falling is the sign of one maximised, not "
           "minimised" if loss[-1] < 0 else "") + ".")]
