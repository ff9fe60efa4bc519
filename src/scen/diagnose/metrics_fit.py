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
CONSTANT_TOL = 1e-6  # a metric that moved less than this over the run measured nothing.


def _base(key: str) -> str:
    """A logged metric's kind: 'val_' and Keras's '_1' suffixes dropped."""
    key = key[4:] if key.startswith("val_") else key
    head, _, tail = key.rpartition("_")
    return head if tail.isdigit() and head else key


def _variant(metric: str, t: Trace) -> tuple[str, dict] | None:
    """The catalogue variant (and its fields) for a metric that does not fit, or None."""
    f = t.facts
    kind, units = f.loss_kind, f.output_units or 0
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
            f"metric_does_not_fit_task:{found[0]}",
            f"{course} while the loss ({t.facts.loss_name}) went from {fmt(loss[0])} to "
            f"{fmt(loss[-1])}; " + _why(found[0], t) + ".", metric=key, **found[1]))
    return out


def _why(variant: str, t: Trace) -> str:
    f = t.facts
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
