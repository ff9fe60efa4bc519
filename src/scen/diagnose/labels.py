"""The labels and targets against what the output and the loss can produce, before training.

`check_output_and_loss(spec, y)` runs them for one output (an OutputSpec, scen.diagnose.model):
the output activation against the loss, then, by the loss's kind, binary labels, one-hot rows,
class indices, a regression's targets (their scale, codes for missing values, the range the
activation can reach). preflight.py calls it for every output; a check of a new kind of label
goes here. (Why ~410 lines: one check per kind of label, each beside the thresholds and the
Keras rules it reads; split, the order in which check_output_and_loss asks them would hide.)
"""

from __future__ import annotations

import math

import numpy as np

from scen.diagnose.catalogue import Finding, finding, fmt
from scen.diagnose.model import (CROSS_ENTROPY, ONE_OF_K, PROBABILITY, RANGES, UNBOUNDED,
                                 OutputSpec)
from scen.diagnose.predictions import predict_sample

TARGET_ABS_LIMIT = 100.0  # median |y| of a regression target: outputs start near 0 and move by
# about the learning rate per step, so targets in the hundreds take thousands of steps to reach.
TARGET_OUTSIDE_SHARE = 0.01  # share of targets an output activation cannot reach before it counts.
RANGE_TOLERANCE = 1e-6  # a target this close to an activation's limit counts as inside it.
ONE_HOT_ATOL = 1e-3  # rows summing to 1 within this are distributions (float32 labels).
CLASS_LIKE_VALUES = 20  # targets outside [0, 1] with more distinct values than this, or any
# non-integer ones, are measurements, not class labels: a regression (labels 1/2 or 0..9 are
# classes; prices, counts in the thousands and standardised values are not).
# Losses defined on part of the line only (Keras 3, keras/src/losses/losses.py): MSLE takes
# log(max(y, 1e-7) + 1) of targets and predictions alike, Poisson y_pred - y * log(y_pred + 1e-7)
# is unbounded below for y < 0, and MAPE divides by max(|y|, 1e-7).
NONNEGATIVE_LOSSES = {"meansquaredlogarithmicerror": "log(max(y, 1e-7) + 1)",
                      "msle": "log(max(y, 1e-7) + 1)",
                      "poisson": "y_pred - y * log(y_pred + 1e-7)"}
PERCENTAGE_LOSSES = {"meanabsolutepercentageerror", "mape"}
DIRECTION_LOSSES = {"cosinesimilarity"}  # -cos(y, y_pred) per row: blind to lengths
LENGTHS_VARY = 0.25  # target rows' L2 norms varying by over a quarter of their mean: lengths
# that are part of what is to be fitted
OUT_OF_DOMAIN_SHARE = 0.05  # targets outside a loss's domain before it counts: a few stray
# negative values are noise; one in twenty is a target the loss was not made for.
NEAR_ZERO = 0.05  # |y| under this share of the median |y| is "near zero" for a percentage error:
NEAR_ZERO_SHARE = 0.02  # ...and this share of such rows carries most of MAPE's 1/|y| weight.



def _values_text(y: np.ndarray) -> str:
    """The label values, listed if few, else their range."""
    u = np.unique(y[np.isfinite(y)])
    if len(u) <= 6:
        return "{" + ", ".join(fmt(float(v)) for v in u) + "}"
    return f"[{fmt(float(u.min()))}, {fmt(float(u.max()))}]"


def _sequence_output(spec: OutputSpec, y: np.ndarray) -> Finding:
    """An output with axes between the batch and the units (one prediction per time step or
    position) against labels with none: one label per sample."""
    return finding(
        "output_has_extra_axes",
        f"the model's output has shape (batch, {', '.join(map(str, spec.shape))}): "
        f"{np.prod(spec.shape[:-1]):,} predictions per sample (a recurrent layer with "
        "return_sequences=True, or a Conv1D, keeps its time axis up to the output), but the "
        f"labels have shape {y.shape}, one per sample.", layer=spec.layer)


def check_output_and_loss(spec: OutputSpec, y: np.ndarray) -> list[Finding]:
    """Labels and targets against what the output activation and the loss can produce."""
    if spec.loss_kind is None:
        return []
    if spec.shape is not None and y.ndim < len(spec.shape):  # labels: no axis for the steps
        return [_sequence_output(spec, y)]
    positions = spec.shape[:-1] if spec.shape is not None else ()
    if positions and None not in positions and math.prod(positions) > 1 \
            and math.prod(y.shape[1:]) < math.prod(positions):
        return [_sequence_output(spec, y)]  # (n, 1) labels broadcast over (n, 24, 1) outputs
    given = y.shape  # the evidence gives the user's shape, not the expanded one
    if y.ndim == 1:
        y = y[:, None]  # Keras expands y by one rank to match an output of shape (n, units)
    f = check_activation_fits_loss(spec)
    if any(x.name == "categorical_crossentropy_single_unit" for x in f):
        return f
    finite = y[np.isfinite(y)]
    if finite.size < y.size:
        return f + [finding("nonfinite_targets",
                            f"{y.size - finite.size} of {y.size} target values are NaN or Inf.",
                            layer=spec.layer)]
    if spec.loss_kind == "binary_ce":
        return f + check_binary_labels(spec, y, given)
    if spec.loss_kind == "categorical_ce":
        return f + check_categorical_labels(spec, y, given)
    if spec.loss_kind == "sparse_ce":
        return f + check_sparse_labels(spec, y)
    return f + check_regression_targets(spec, y)


def check_activation_fits_loss(spec: OutputSpec) -> list[Finding]:
    """The output activation against the loss: probabilities where a cross-entropy needs them."""
    f, act, k, units, layer = [], spec.activation, spec.loss_kind, spec.units, spec.layer
    if k in CROSS_ENTROPY and not spec.from_logits and act in UNBOUNDED:
        f.append(finding(
            "cross_entropy_on_unbounded_output",
            f"output layer '{layer}' has activation '{act}', whose values are not in [0, 1] "
            "(nor sum to 1), but the loss expects probabilities; Keras clips them to "
            "[1e-7, 1-1e-7], where the gradient is zero.", layer=layer, loss=spec.loss_name,
            act=act, probability="sigmoid" if k == "binary_ce" else "softmax"))
    if k in CROSS_ENTROPY and spec.from_logits and act in PROBABILITY:
        f.append(finding(
            "probabilities_as_logits",
            f"output layer '{layer}' already applies '{act}', and the loss applies it again.",
            layer=layer, act=act))
    if k in ONE_OF_K and act in ("sigmoid", "hard_sigmoid") and units and units > 1:
        f.append(finding(
            "sigmoid_with_categorical_crossentropy",
            f"output layer '{layer}' has {units} independent sigmoid units. On the torch and "
            "JAX backends Keras divides them by their sum and clips before the log; on "
            "TensorFlow it computes a softmax cross-entropy from the pre-sigmoid logits "
            "(unbounded: the loss grows with the weights). Several sigmoids can sit at exactly "
            "1.0 and tie under argmax.", layer=layer, units=units, loss=spec.loss_name))
    # Cross-entropy over one unit: the normalised output is 1, the loss constantly 0.
    if k == "categorical_ce" and units == 1:
        f.append(finding(
            "categorical_crossentropy_single_unit",
            f"output layer '{layer}' has 1 unit; categorical cross-entropy normalises it to "
            "1.0, so the loss is 0 and every gradient is 0 whatever the labels.", layer=layer))
    return f


def check_unknown_output(model, x, spec: OutputSpec) -> list[Finding]:
    """An output layer whose activation cannot be read (a Lambda, a custom layer), under a
    cross-entropy on probabilities: what it gives on the sample before training says whether
    it can be a probability (a distance, a score, a raw Dense cannot)."""
    if spec.loss_kind not in CROSS_ENTROPY or spec.from_logits:
        return []
    try:
        p = predict_sample(model, x)
    except Exception:  # a model that does not run on the sample: other checks say why
        return []
    finite = p[np.isfinite(p)]
    outside = float(np.mean((finite < 0) | (finite > 1))) if finite.size else 0.0
    if outside < 0.01:
        return []
    kind = next((type(layer).__name__ for layer in model.layers if layer.name == spec.layer),
                "a custom layer")
    return [finding(
        "cross_entropy_on_unbounded_output",
        f"output layer '{spec.layer}' ({kind}: its activation cannot "
        f"be read) gives values over [{fmt(float(finite.min()))}, {fmt(float(finite.max()))}] "
        f"on the sample before training, {outside:.0%} of them outside [0, 1], but the loss "
        "expects probabilities; Keras clips them to [1e-7, 1-1e-7], where the gradient is zero.",
        layer=spec.layer, loss=spec.loss_name, act=kind,
        probability="sigmoid" if spec.loss_kind == "binary_ce" else "softmax")]


def check_binary_labels(spec: OutputSpec, y: np.ndarray,
                        given: tuple | None = None) -> list[Finding]:
    """Binary cross-entropy: labels in [0, 1], one column per output unit. y: (n, width), a
    rank added where the user's had none; given: the user's shape, which the evidence shows."""
    f, units, layer, width = [], spec.units, spec.layer, y.shape[-1]
    if (y.min() < 0 or y.max() > 1) and is_regression_target(y):
        f.append(_regression(spec, y))
    elif y.min() < 0 or y.max() > 1:
        f.append(finding(
            "labels_out_of_range:binary",
            f"the labels take values {_values_text(y)}; binary cross-entropy needs labels "
            "in [0, 1].", layer=layer, loss=spec.loss_name))
    elif units and width != units:
        f.append(_shape_mismatch("label_shape_mismatch:binary", spec, y, given))
    return f


def check_categorical_labels(spec: OutputSpec, y: np.ndarray,
                             given: tuple | None = None) -> list[Finding]:
    """Categorical cross-entropy: one-hot rows as wide as the output."""
    f, units, layer, width = [], spec.units, spec.layer, y.shape[-1]
    integer = bool(np.all(y == np.round(y)))
    # One class index per sample, (n, 1), or per position, (n, T) for an (n, T, units) output.
    indices = width == 1 or (spec.shape is not None and len(spec.shape) > 1
                             and tuple(y.shape[1:]) == tuple(spec.shape[:-1]))
    if width == 1 and units and units > 1 and is_regression_target(y):
        f.append(_regression(spec, y))
    elif indices and units and units > 1:
        f.append(finding(
            "integer_labels_with_categorical_crossentropy" if integer
            else "integer_labels_with_categorical_crossentropy:not_integer",
            f"the labels have shape {given or y.shape} with values {_values_text(y)}, but the "
            f"output has {units} units; categorical cross-entropy needs one-hot rows of "
            f"width {units} (Keras on torch raises a shape ValueError).",
            layer=layer, units=units))
    elif units and width != units:
        f.append(_shape_mismatch("label_shape_mismatch:categorical", spec, y, given))
    elif y.min() < 0 or y.max() > 1:
        f.append(finding("labels_out_of_range:categorical",
                         f"the labels take values {_values_text(y)}; one-hot labels are 0 or 1.",
                         layer=layer))
    elif not np.allclose(y.reshape(-1, width).sum(axis=1), 1.0, atol=ONE_HOT_ATOL):
        f.append(finding(
            "labels_not_one_hot",
            f"row sums of the labels range over [{fmt(float(y.sum(-1).min()))}, "
            f"{fmt(float(y.sum(-1).max()))}]; categorical cross-entropy treats each row "
            "as one distribution over classes.", layer=layer))
    return f


ONE_CLASS_MIN_ROWS = 20  # fewer labels than this can be one class by chance


def check_one_class(spec: OutputSpec, y: np.ndarray) -> list[Finding]:
    """A classification whose training labels (all of them) hold one class: a typo in the
    class name compared against (labels all 0), a threshold no row passes. The loss falls to
    nothing and accuracy reads 1.0 while the model learns a constant."""
    if spec.loss_kind not in ("binary_ce", "categorical_ce", "sparse_ce") or len(y) < \
            ONE_CLASS_MIN_ROWS or not np.all(np.isfinite(y)):
        return []
    rows = y.reshape(len(y), -1)
    if spec.loss_kind == "categorical_ce" and rows.shape[1] > 1:
        classes = np.unique(rows.argmax(axis=1))
    else:
        classes = np.unique(rows, axis=0)
    if len(classes) != 1:
        return []
    first = np.asarray(classes[0])
    value = (f"class {int(first)}" if spec.loss_kind == "categorical_ce" and rows.shape[1] > 1
             else fmt(float(first.reshape(-1)[0])) if first.size == 1 else str(first.tolist()))
    return [finding("labels_one_class",
                    f"all {len(y)} training labels are {value} ({spec.loss_name}): there is no "
                    "other class to tell apart.", layer=spec.layer)]


def check_sparse_labels(spec: OutputSpec, y: np.ndarray) -> list[Finding]:
    """Sparse categorical cross-entropy: one integer class index 0..units-1 per sample."""
    f, units, layer, width = [], spec.units, spec.layer, y.shape[-1]
    onehot = units and units > 1 and width == units and set(np.unique(y)) <= {0.0, 1.0}
    if onehot:
        f.append(finding(
            "one_hot_labels_with_sparse_crossentropy",
            f"the labels are one-hot rows of width {width}; the sparse loss expects one "
            "integer class index per sample.", layer=layer))
    elif (width == 1 and is_regression_target(y)
          and not np.all(y == np.round(y))):  # many integer ids may be many classes
        f.append(_regression(spec, y))
    elif y.min() >= 0 and (not units or y.max() < units) and not np.all(y == np.round(y)):
        f.append(finding(
            "sparse_labels_not_integer",
            f"the labels take values {_values_text(y)}: in the range of class indices "
            f"0..{(units or 1) - 1} but not integers; Keras casts them to int, which truncates "
            f"({fmt(float(y[y != np.round(y)].max()))} -> "
            f"{int(y[y != np.round(y)].max())}), so the classes the fractions meant are lost.",
            layer=layer))
    elif not np.all(y == np.round(y)) or y.min() < 0 or (units and y.max() >= units):
        bad = int(np.sum((y != np.round(y)) | (y < 0) | (y >= (units or 1))))
        f.append(finding(
            "sparse_label_out_of_range",
            f"the labels take values {_values_text(y)}, but the output has {units} "
            f"unit(s), so valid class indices are 0..{(units or 1) - 1}: {bad:,} of "
            f"{y.size:,} labels are not.",
            layer=layer, units=units, last=(units or 1) - 1))
    return f


SENTINEL_SDS = 20  # a target this many robust standard deviations from the median...
SENTINEL_SHARE = 0.5  # ...where over half such targets are one repeated value: a code
# (-9999, 999 for "missing"), not a measurement; measured heavy tails do not repeat exactly.


def missing_value_code(v: np.ndarray) -> dict | None:
    """A missing-value code among values `v` (finite, 1-D): one exact value SENTINEL_SDS
    robust standard deviations or more from the median, repeated by over SENTINEL_SHARE of
    such far values (measured heavy tails do not repeat exactly). None where there is none:
    else the code, its count, the median, the spread (the MAD as a normal's sd), the sds
    between them, and the 1st and 99th percentiles of the other values."""
    if v.size < 50:
        return None
    median = float(np.median(v))
    spread = 1.4826 * float(np.median(np.abs(v - median)))  # the MAD, as a normal's sd
    far = v[np.abs(v - median) > SENTINEL_SDS * spread] if spread > 0 else v[:0]
    if not far.size or far.size > 0.1 * v.size:
        return None
    values, counts = np.unique(far, return_counts=True)
    code, count = float(values[counts.argmax()]), int(counts.max())
    if count < SENTINEL_SHARE * far.size or count < 2:
        return None
    rest = v[v != code]
    return dict(code=code, count=count, median=median, sds=abs(code - median) / spread,
                low=float(np.percentile(rest, 1)), high=float(np.percentile(rest, 99)))


def check_target_codes(spec: OutputSpec, y: np.ndarray) -> list[Finding]:
    """Regression targets holding a missing-value code: one exact value far outside the rest,
    which a squared error weighs thousands of times the others."""
    v = y[np.isfinite(y)].ravel()
    c = missing_value_code(v)
    if c is None:
        return []
    return [finding(
        "target_code",
        f"{c['count']:,} of the {v.size:,} targets ({c['count'] / v.size:.1%}) are exactly "
        f"{fmt(c['code'])}, {c['sds']:,.0f} robust standard deviations from the median "
        f"{fmt(c['median'])} (98% of the others lie in [{fmt(c['low'])}, {fmt(c['high'])}]); "
        f"under {spec.loss_name} those rows outweigh all the others.", layer=spec.layer,
        code=fmt(c['code']))]


def check_loss_domain(spec: OutputSpec, y: np.ndarray) -> list[Finding]:
    """Targets outside the loss's domain: negative targets under MSLE or Poisson, targets at or
    near zero (or of both signs) under a percentage error. The loss still falls, but towards a
    model of other targets than the data's."""
    key = spec.loss_name.replace("_", "").lower()
    v = y[np.isfinite(y)].ravel()
    if not v.size:
        return []
    if key in NONNEGATIVE_LOSSES:
        below = float(np.mean(v < 0))
        if below > OUT_OF_DOMAIN_SHARE:
            return [finding(
                "loss_domain_excludes_targets",
                f"{below:.0%} of the targets are negative (range [{fmt(float(v.min()))}, "
                f"{fmt(float(v.max()))}], median {fmt(float(np.median(v)))}), but "
                f"{spec.loss_name} computes {NONNEGATIVE_LOSSES[key]}: below zero every target "
                "counts as the same value (or the loss has no floor), so the model is fitted "
                "to targets the data do not have.", layer=spec.layer, loss=spec.loss_name)]
    if key in DIRECTION_LOSSES and v.size > len(y) and y.ndim == 2 and y.shape[1] > 1:
        norms = np.linalg.norm(y, axis=1)
        spread = float(norms.std() / norms.mean()) if norms.mean() > 0 else 0.0
        if spread > LENGTHS_VARY:
            return [finding(
                "loss_ignores_scale",
                f"the target rows' lengths vary from {fmt(float(norms.min()))} to "
                f"{fmt(float(norms.max()))} (their spread {spread:.0%} of the mean "
                f"{fmt(float(norms.mean()))}), but {spec.loss_name} scores only each "
                "prediction's direction: any length is as good as the right one, so the model "
                "never learns it.", severity="warning", layer=spec.layer, loss=spec.loss_name)]
    if key in PERCENTAGE_LOSSES:
        size = np.abs(v)
        median = float(np.median(size))
        near = float(np.mean(size <= NEAR_ZERO * median)) if median > 0 else 1.0
        both_signs = min(float(np.mean(v > 0)), float(np.mean(v < 0)))
        if near > NEAR_ZERO_SHARE or both_signs > OUT_OF_DOMAIN_SHARE:
            signs = (f"they take both signs ({both_signs:.0%} on the rarer side), "
                     if both_signs > OUT_OF_DOMAIN_SHARE else "")
            return [finding(
                "percentage_loss_near_zero_targets",
                f"{signs}{near:.1%} of the targets lie within {NEAR_ZERO:.0%} of zero relative "
                f"to the median |y| {fmt(median)} (smallest |y| {fmt(float(size.min()))}); "
                f"{spec.loss_name} divides each error by max(|y|, 1e-7), so those few rows "
                "outweigh all the others and the loss stays large while the fit is poor.",
                layer=spec.layer, loss=spec.loss_name)]
    return []


def check_regression_targets(spec: OutputSpec, y: np.ndarray) -> list[Finding]:
    """Regression: targets the output activation can reach, rows free to not sum to 1, and a
    scale a linear output reaches in reasonable time; no missing-value codes among them."""
    codes = check_target_codes(spec, y) or check_loss_domain(spec, y)
    if codes:
        return codes
    f, act, units, layer, width = [], spec.activation, spec.units, spec.layer, y.shape[-1]
    labels = np.all((y == 0) | (y == 1)) and (width == 1 or np.all(y.sum(axis=-1) == 1))
    if act in ("softmax", "sigmoid") and labels and y.size > 1 and np.ptp(y) > 0:
        return [finding(
            "classification_with_regression_loss",
            f"the targets are {'one-hot rows' if width > 1 else '0/1 labels'} and output layer "
            f"'{layer}' gives {act} probabilities, but the loss is {spec.loss_name}: its "
            f"gradient passes through the {act}'s slope, which vanishes as a probability nears "
            "0 or 1, so confident mistakes are corrected slowest (cross-entropy's gradient is "
            "the error itself).", layer=layer, act=act,
            loss=("categorical_crossentropy" if act == "softmax" else "binary_crossentropy"))]
    lo, hi = float(y.min()), float(y.max())
    low, high = RANGES.get(act, (-math.inf, math.inf))
    outside = float(np.mean((y < low - RANGE_TOLERANCE) | (y > high + RANGE_TOLERANCE)))
    if outside > TARGET_OUTSIDE_SHARE:
        f.append(finding(
            "output_cannot_reach_targets",
            f"the targets range over [{fmt(lo)}, {fmt(hi)}] ({outside:.0%} outside "
            f"[{fmt(low)}, {fmt(high)}]), the only values output layer '{layer}' "
            f"('{act}') can take; the loss cannot fall below the distance to the range.",
            layer=layer, act=act, low=fmt(low), high=fmt(high)))
    elif act == "softmax" and units and units > 1 and not np.allclose(
            y.reshape(-1, width).sum(axis=1), 1.0, atol=ONE_HOT_ATOL):
        f.append(finding(
            "softmax_on_regression",
            f"output layer '{layer}' ({units} units) applies softmax, but the targets' "
            f"rows do not sum to 1 (range [{fmt(lo)}, {fmt(hi)}]).",
            layer=layer, loss=spec.loss_name))
    elif act in (None, "linear") and float(np.median(np.abs(y))) > TARGET_ABS_LIMIT:
        f.append(finding(
            "unscaled_targets",
            f"the targets range over [{fmt(lo)}, {fmt(hi)}] (median |y| "
            f"{fmt(float(np.median(np.abs(y))))}); the output starts near 0 and moves by "
            "about the learning rate per step, so it takes thousands of steps to get there.",
            layer=layer))
    return f


def is_regression_target(y: np.ndarray) -> bool:
    """Targets that are measurements, not classes: values outside [0, 1] that are many or not
    whole numbers."""
    outside = y[(y < 0) | (y > 1)]
    if not outside.size:
        return False
    return bool(np.unique(y).size > CLASS_LIKE_VALUES or np.any(outside != np.round(outside)))


def _regression(spec: OutputSpec, y: np.ndarray) -> Finding:
    """A classification loss on a regression target: say what makes it a regression."""
    u = np.unique(y)
    whole = bool(np.all(u == np.round(u)))
    return finding(
        "regression_with_classification_loss",
        f"the targets take {u.size} distinct{'' if whole else ', non-integer'} values over "
        f"[{fmt(float(u.min()))}, {fmt(float(u.max()))}] (median {fmt(float(np.median(y)))}): "
        f"measurements, not class labels; {spec.loss_name} treats them as "
        + ("probabilities, which must lie in [0, 1]." if spec.loss_kind == "binary_ce" else
           "class indices or one-hot rows, which they are not."),
        layer=spec.layer, loss=spec.loss_name, distinct=u.size, low=fmt(float(u.min())),
        high=fmt(float(u.max())), units=1 if y.ndim < 2 else y.shape[-1])


def _shape_mismatch(key: str, spec: OutputSpec, y: np.ndarray,
                    given: tuple | None = None) -> Finding:
    """given: the labels' shape as the user gave them (y may have been expanded by a rank)."""
    return finding(
        key,
        f"the labels have shape {given or y.shape} but output layer '{spec.layer}' "
        f"('{spec.activation}') "
        f"has {spec.units} units; {spec.loss_name} compares them element by element.",
        layer=spec.layer, width=y.shape[-1] if y.ndim > 1 else 1, units=spec.units)
