"""What the model predicts on the data sample, and the detectors that read it: a classifier
that predicts the majority class for (almost) every sample, and a regressor no better than
predicting the mean target.

`prediction_stats` summarises the predictions of one epoch (recorded with the activations, on
the sampled epochs and always the last): non-finite values, the share of the sample predicted
as each class, and for a regression the spread of the predictions against the targets'.
"""

from __future__ import annotations


import numpy as np

from scen.diagnose.catalogue import Finding, finding, fmt
from scen.diagnose.model import ONE_OF_K, looked_at, without_gradients
from scen.diagnose.trace import Facts, Trace, unlearned


MAJORITY_SHARE = 0.6  # a class this large makes "always predict it" score 60% accuracy or
# more, which reads as learning; below, predicting one class is at chance (detect_slow_start).
NEVER_PREDICTED = 0.1  # a class predicted for under a tenth of its share of the labels is
# (almost) never predicted: a model that had learned it would predict it near its share.
PRIOR_LOSS_SHARE = 0.9  # a loss still at 90% or more of the class prior's (or the mean's) has
# learned next to nothing beyond it (for a regression: R^2 under 0.1).
WORSE_THAN_CONSTANT = 1.5  # above 1.5x the constant's loss, detect_worse_than_constant speaks.
MEAN_MIN_EPOCHS = 5  # a fresh regression head needs a few epochs to reach even the mean.
FLAT_SPREAD = 0.3  # predictions whose std is under 30% of the targets' are close to constant.
REGRESSION = {"mse", "mae", "regression"}


def predict_sample(model, x) -> np.ndarray:
    """The model's (single) output on the sample, as float64 numpy, without gradients."""
    import keras

    context = without_gradients()
    with context, looked_at(model):
        y = model(x, training=False)
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("several outputs")
    return np.asarray(keras.ops.convert_to_numpy(y), dtype=np.float64)


def prediction_stats(p: np.ndarray, y, facts: Facts) -> dict:
    """nonfinite count; `predicted`: each class's share of the sample's predictions
    (classifiers); `spread`: std of the predictions over std of the targets (regressions)."""
    p = p.reshape(len(p), -1)
    finite = bool(np.all(np.isfinite(p)))
    s = dict(nonfinite=int((~np.isfinite(p)).sum()))
    if not finite:
        return s
    kind, units = facts.loss_kind, p.shape[1]
    if kind == "binary_ce" and units == 1:
        positive = float(np.mean(p > (0.0 if facts.from_logits else 0.5)))
        s["predicted"] = [1 - positive, positive]
    elif kind in ONE_OF_K and units > 1:
        s["predicted"] = list(np.bincount(p.argmax(axis=1), minlength=units) / len(p))
    elif kind in REGRESSION and y is not None:
        t = np.asarray(y, dtype=np.float64).reshape(len(p), -1)
        if t.shape == p.shape and np.all(np.isfinite(t)):
            s["spread"] = float(p.std(axis=0).mean() / max(t.std(axis=0).mean(), 1e-12))
    return s


def _last_outputs(t: Trace) -> tuple[int, dict] | None:
    recorded = [r for r in t.records if r.outputs]
    return (recorded[-1].epoch, recorded[-1].outputs) if recorded else None


def detect_majority_class(t: Trace) -> list[Finding]:
    """Imbalanced classes, and the model predicts the majority for (almost) every sample."""
    shares, last = t.facts.class_shares, _last_outputs(t)
    if not shares or last is None or "predicted" not in last[1] or not t.records:
        return []
    epoch, predicted = last[0], last[1]["predicted"]
    major = int(np.argmax(shares))
    if shares[major] < MAJORITY_SHARE or len(predicted) != len(shares):
        return []
    missed = [c for c, share in enumerate(shares)
              if c != major and share > 0 and predicted[c] < NEVER_PREDICTED * share]
    if predicted[major] < 1 - NEVER_PREDICTED * (1 - shares[major]) or not missed:
        return []
    loss, base = t.series("loss")[-1], t.facts.baseline_loss
    nothing = bool(base and np.isfinite(loss) and loss >= PRIOR_LOSS_SHARE * base)
    key = t.accuracy_key()
    acc = (f"; {key} {t.series(key)[-1]:.3f} against a majority share of {shares[major]:.3f}"
           if key else "")
    names = ", ".join(str(c) for c in missed[:5])
    weights = t.facts.class_weights or {}
    inverted = (major in weights and all(weights.get(c, np.inf) < weights[major] for c in missed))
    weighed = (f" And the fit's weights are the wrong way round: the majority class {major} "
               f"weighs {weights[major]:.3g} a sample, class(es) {names} "
               f"{', '.join(f'{weights[c]:.3g}' for c in missed[:5])} (a class's weight should "
               "be n / (k * n_c): the rarer, the heavier)." if inverted else "")
    return [finding(
        "majority_class_predictor",
        f"class {major} is {shares[major]:.0%} of the labels and the model predicts it for "
        f"{predicted[major]:.1%} of the sample after epoch {epoch + 1}; class(es) {names} "
        f"({', '.join(f'{shares[c]:.0%}' for c in missed[:5])} of the labels) are never or "
        f"almost never predicted{acc}; the loss {fmt(loss)} against {fmt(base or float('nan'))}"
        " for predicting the class shares"
        + ((": above it, so the model has learned nothing beyond the class prior."
            if loss >= base else
            ": barely below it, so the model has learned little beyond the class prior.")
           if nothing else ": the model ranks samples, but no score crosses the 0.5 threshold.")
        + weighed,
        severity="error" if nothing else "warning", epoch=epoch + 1)]


def detect_zero_weight_class(t: Trace) -> list[Finding]:
    """fit's sample weights (sample_weight=, class_weight=) are 0 for every sample of a class:
    the loss never sees it, so nothing stops the model from predicting the other class(es)
    everywhere (sample_weight = y * w zeroes the negatives)."""
    weights, shares = t.facts.class_weights or {}, t.facts.class_shares
    zero = [c for c, w in weights.items() if w == 0]
    if not zero or len(zero) == len(weights):
        return []
    share = (f" ({', '.join(f'{shares[c]:.0%}' for c in zero if c < len(shares))} of the "
             "labels)" if shares else "")
    others = ", ".join(f"{c}: {w:.3g}" for c, w in weights.items() if w != 0)
    return [finding(
        "zero_weight_class",
        f"fit weighs every sample of class(es) {', '.join(map(str, zero))}{share} by 0 (mean "
        f"weight per class of the others: {others}): the loss, and so training, never sees "
        "them.", classes=", ".join(map(str, zero)))]


WEIGHTS_FOLLOW_SHARES = 3.0  # the commonest class weighed 3x the rarest or more, where its
# share of the labels is 3x theirs or more: weights proportional to frequency, not inverse


def detect_weights_favour_majority(t: Trace) -> list[Finding]:
    """fit's class weights (class_weight=, or sample_weight per class) rise with the class's
    share of the labels: the common class counts most, the rare one least - the inverse of
    what class weights are for (n / (classes * count)), so imbalance is made worse."""
    weights, shares = t.facts.class_weights or {}, t.facts.class_shares
    if not shares or len(weights) < 2 or any(w <= 0 for w in weights.values()):
        return []
    known = [c for c in weights if c < len(shares)]
    if len(known) < 2:
        return []
    common, rare = max(known, key=lambda c: shares[c]), min(known, key=lambda c: shares[c])
    if shares[common] < WEIGHTS_FOLLOW_SHARES * shares[rare] \
            or weights[common] < WEIGHTS_FOLLOW_SHARES * weights[rare]:
        return []
    return [finding(
        "class_weights_favour_majority",
        f"fit weighs class {common} ({shares[common]:.0%} of the labels) by {weights[common]:.3g} "
        f"and class {rare} ({shares[rare]:.0%}) by {weights[rare]:.3g}: the weights follow the "
        f"class shares, so the rare class counts {weights[common] / weights[rare]:.3g}x less in "
        "the loss than the common one, on top of being rare.", common=common, rare=rare)]


def detect_linear_model(t: Trace) -> list[Finding]:
    """A stack of Dense layers with no activation between them is one linear map: depth adds
    nothing, and a run that stays far from learned may need the bends it lacks."""
    stack = t.facts.linear_stack
    if not stack or not len(t.records) or not unlearned(t):
        return []
    loss, base = t.series("loss")[-1], t.facts.baseline_loss
    return [finding(
        "linear_model",
        f"hidden layer(s) {', '.join(repr(n) for n in stack)} have no activation and nothing "
        "else in the model bends, so it computes one linear map of its inputs (then the output "
        f"layer's activation); its loss ended at {fmt(loss)} against {fmt(base)} for a constant "
        "prediction.", layers=", ".join(stack))]


def detect_mean_predictor(t: Trace) -> list[Finding]:
    """A regression whose loss ends at (or near) the loss of predicting the mean target."""
    base, loss = t.facts.baseline_loss, t.series("loss")
    if (t.facts.loss_kind not in REGRESSION or not base or base <= 0
            or len(loss) < MEAN_MIN_EPOCHS or not np.isfinite(loss[-1])):
        return []
    ratio = loss[-1] / base
    if not PRIOR_LOSS_SHARE <= ratio <= WORSE_THAN_CONSTANT:
        return []
    last = _last_outputs(t)
    spread = last[1].get("spread") if last else None
    flat = (f"; its predictions on the sample vary only {spread:.0%} as much as the targets"
            if spread is not None and spread < FLAT_SPREAD else "")
    what = ("the variance of the targets, the loss of always predicting their mean"
            if t.facts.loss_kind == "mse" else "the loss of always predicting one constant")
    return [finding(
        "mean_predictor",
        f"the loss ended at {fmt(loss[-1])} after {len(loss)} epochs (first {fmt(loss[0])}), "
        f"{ratio:.0%} of {fmt(base)}, {what}" + flat + ".", epoch=len(loss))]

