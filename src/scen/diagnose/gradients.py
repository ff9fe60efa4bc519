"""In-run detectors over weights and gradients: gradients exactly zero (all run, from some epoch
on, or for some weights only), and gradients vanishing or exploding towards the first layers.

Each takes a `Trace` and returns a list of findings (texts in catalogue.py); the gradient
statistics per weight are `trace.grad_stats`, recorded on the sampled epochs only on TF/JAX.
"""

from __future__ import annotations

import math

import numpy as np

from scen.diagnose.catalogue import Finding, finding, fmt
from scen.diagnose.trace import Trace, at_floor, unlearned

DIED_MIN_EPOCHS = 2  # "died": the last 2 recorded epochs (and half of them) all zero; one
# epoch of zero gradients can be a clipped-probability moment that the next step leaves.
WITHOUT_GRADIENT_MIN_EPOCHS = 2  # a weight with zero gradient at one epoch only says little.
VANISHING_RATIO = 1e-3  # first layer's relative gradient (|g|/|w|) vs the last layer's: a
# thousandfold gap (10 sigmoid layers give ~1e-6; healthy ReLU stacks stay within ~10x).
VANISHING_MIN_DEPTH = 3  # kernels: with two, "first" and "last" are neighbours, not a stack.
NORM_FLOOR = 1e-12  # keeps |g|/|w| finite for a weight of norm 0.
TINY_UPDATE = 1e-4  # per step, the update's norm over the weights' norm: healthy training moves
# the weights ~1e-3 of their norm per step (the usual rule of thumb; Adam at its default 1e-3
# does); 10x below that, a run of hundreds of steps barely leaves its initialisation.
STILL_LOSS = 0.95  # the loss ended at 95% or more of where it started: it barely moved...
# ...and trace.UNLEARNED: far from the constant prediction's loss (a converged model also takes
# tiny steps, but its loss has fallen well below the constant's).
USUAL_RATE = 1e-3  # Adam's default, SGD's low end: at or above it, tiny updates in a stack
# whose gradients vanish are the stack's doing (10 sigmoid layers at SGD 0.01), not the rate's
LOW_LR_MIN_EPOCHS = 3  # a trend and a median update need a few epochs.


def detect_no_gradient(t: Trace) -> list[Finding]:
    """Every gradient exactly zero at every recorded epoch (or from some epoch to the end);
    without gradients recorded, no weight changing at all."""
    with_grads = [r for r in t.records if r.grads]
    changes = [w["change"] for r in t.records for w in r.weights.values()
               if w["change"] is not None]
    frozen = bool(changes) and max(changes) == 0.0
    if not with_grads:
        if frozen and len(t.records) >= 2:
            return [finding("weights_never_change",
                            f"the largest weight change over {len(t.records)} epochs was 0.")]
        return []
    zero = [all(g["zero"] == 1.0 for g in r.grads.values()) for r in with_grads]
    streak = 0  # recorded epochs, counted back from the last, whose gradients are all zero
    while streak < len(zero) and zero[-1 - streak]:
        streak += 1
    if at_floor(t):
        return []  # a fitted model whose probabilities are clipped at 1.0 has zero gradient
    if streak == len(zero) and (frozen or not changes):
        return [finding(
            "no_gradient",
            f"all gradients of all {len(with_grads[0].grads)} weights were exactly 0.0 at "
            f"each of {len(with_grads)} epoch(s)" + ("; no weight changed at all" if frozen else "")
            + ". The output does not depend on the weights (a softmax over one unit, an "
            "all-dead ReLU layer, a loss that is constant).")]
    if streak >= min(DIED_MIN_EPOCHS, len(zero)) and streak >= len(zero) // 2:
        return [_gradients_died(t, with_grads[len(zero) - streak].epoch + 1)]
    return _weights_without_gradient(with_grads)


def _gradients_died(t: Trace, first: int) -> Finding:
    """The weights moved, then every gradient was zero from epoch `first` (1-based) on."""
    lr = t.records[0].logs.get("learning_rate")
    sat = _output_saturation(t)
    return finding(
        "gradients_died",
        f"the weights moved, then from epoch {first} on every gradient was exactly 0.0 "
        f"(loss stuck at {fmt(t.series('loss')[-1])})"
        + (f"; {sat:.0%} of the sample's output rows are saturated at exactly 0/1, where "
           "Keras's clipped cross-entropy has no gradient" if sat else "")
        + (f"; learning rate {fmt(lr)}" if lr is not None else "")
        + ". The units were pushed out of their working range: by steps too large, or by "
        "inputs far from unit scale.",
        epoch=first, lr_hint=f" (learning_rate={fmt(lr / 10)})" if lr else "")


def _weights_without_gradient(with_grads: list) -> list[Finding]:
    """Some weights (not all) had exactly zero gradient at every recorded epoch."""
    dead = [k for k in with_grads[0].grads
            if all(r.grads.get(k, {}).get("zero") == 1.0 for r in with_grads)]
    # A bias whose own layer's kernel learns cancels out, by the model's design: a Dense
    # before BatchNormalization (which subtracts the batch mean), or shared layers whose
    # outputs only enter as differences (a siamese |a - b|). Nothing to fix.
    dead = [k for k in dead if not (k.endswith("/bias") and _learns(with_grads,
                                                                   k[:-4] + "kernel"))]
    if not dead or len(with_grads) < WITHOUT_GRADIENT_MIN_EPOCHS:
        return []
    return [finding(
        "weights_without_gradient",
        f"gradients of {', '.join(dead[:5])} were exactly 0.0 at every epoch; those "
        "weights never learn (dead units above them, or not connected to the loss).",
        layer=dead[0].rsplit("/", 1)[0], count=len(dead))]


def _learns(with_grads: list, key: str) -> bool:
    """Whether weight `key` got a gradient that was not exactly zero at some epoch."""
    return any(key in r.grads and r.grads[key].get("zero") != 1.0 for r in with_grads)


def _output_saturation(t: Trace) -> float:
    """Share of sample rows whose output is saturated, on the last epoch with statistics."""
    recorded = [r for r in t.records if r.activations]
    if not recorded or not t.facts.output_layer:
        return 0.0
    s = recorded[-1].activations.get(t.facts.output_layer, {})
    return float(s.get("saturated", 0.0))


def is_kernel(path: str, w: dict) -> bool:
    """A weight that maps inputs to outputs (>= 2-D, not a bias): a GRU's bias is 2-D in Keras
    (reset_after keeps two rows), and a bias starting at zero moves by a huge share of its
    own tiny norm, which says nothing about the rate."""
    return w["ndim"] >= 2 and not path.rsplit("/", 1)[-1].endswith("bias")


def update_ratios(t: Trace) -> list[tuple[str, float]]:
    """Per epoch with weight changes: the kernel that moved most, and its |change| / |kernel| /
    steps, the relative update of one step. The fastest layer, not all weights together: a
    learning rate too low keeps every layer still, while vanishing gradients keep only the
    first layers still (whose norm would dominate a sum over all weights) and the last ones
    move as usual. Without kernels (>= 2-D weights), every weight counts."""
    out = []
    for r in t.records:
        weights = {k: w for k, w in r.weights.items() if is_kernel(k, w)} or r.weights
        if not weights or any(w.get("delta") is None for w in weights.values()) or r.partial:
            continue
        steps = max(int(r.steps.get("n", 1)), 1)
        out.append(max(((k, float(w["delta"] / max(w["norm"], NORM_FLOOR) / steps))
                        for k, w in weights.items()), key=lambda kr: kr[1]))
    return out


CLIPPED_HARD = 100.0  # gradients 100x the clipping threshold: every step is cut to 1/100 or less


def detect_clipping_too_tight(t: Trace) -> list[Finding]:
    """The optimizer clips gradients (clipnorm, global_clipnorm, clipvalue) at a threshold
    far below the gradients the run has: every update is cut to a sliver of what the
    learning rate asks, as a rate 100x or more too low would be - where the run did not learn
    (Adam and RMSprop divide the scale out again: clipping there costs little)."""
    if t.facts.clipping is None or not unlearned(t):
        return []
    name, limit = t.facts.clipping
    sizes = []  # per recorded epoch: what the threshold is compared with
    for r in t.records:
        if not r.grads:
            continue
        if name == "clipnorm":  # per tensor
            sizes.append(float(np.median([g["norm"] for g in r.grads.values()])))
        elif name == "global_clipnorm":
            sizes.append(math.sqrt(sum(g["norm"] ** 2 for g in r.grads.values())))
        else:  # clipvalue, per element
            sizes.append(float(np.median([g["max_abs"] for g in r.grads.values()])))
    if not sizes or np.median(sizes) < CLIPPED_HARD * limit:
        return []
    size = float(np.median(sizes))
    what = {"clipnorm": "the median gradient norm per weight",
            "global_clipnorm": "the gradients' global norm",
            "clipvalue": "the median largest gradient element per weight"}[name]
    return [finding(
        "clipping_too_tight",
        f"the optimizer has {name}={fmt(limit)}, and {what} over the run was {fmt(size)}: "
        f"{fmt(size / limit)}x the threshold, so every update is cut to about "
        f"1/{fmt(size / limit)} of what the learning rate asks.", name=name, limit=fmt(limit))]


def detect_learning_rate_too_low(t: Trace) -> list[Finding]:
    """Even the layer that moves most moves a tiny share of its size per step (gradients
    alive), the loss barely moves, and it is far from what the constant prediction already
    achieves."""
    loss, ratios = t.series("loss"), update_ratios(t)
    if len(loss) < LOW_LR_MIN_EPOCHS or len(ratios) < LOW_LR_MIN_EPOCHS:
        return []
    start = t.facts.initial_loss if t.facts.initial_loss is not None else loss[0]
    base = t.facts.baseline_loss
    if not (np.isfinite(start) and np.isfinite(loss[-1]) and start > 0):
        return []
    median = float(np.median([r for _, r in ratios]))
    grads = [g["zero"] for r in t.records for g in r.grads.values()]
    zero = bool(grads) and all(z == 1.0 for z in grads)  # no gradient: detect_no_gradient
    last = t.records[-1].grads
    died = bool(last) and all(g["zero"] == 1.0 for g in last.values())  # detect_no_gradient
    rates = t.series("learning_rate")
    rose = len(rates) > 1 and np.all(np.isfinite(rates)) and rates[-1] > rates[0]  # a schedule
    if (median >= TINY_UPDATE or zero or died or rose or loss[-1] < STILL_LOSS * start
            or (base and not unlearned(t))):
        return []
    rate = t.facts.initial_learning_rate
    if rate is not None and rate >= USUAL_RATE and detect_vanishing_gradients(t):
        return []  # a usual rate, and a deep saturating stack that passes no gradient back
    lr = t.records[-1].logs.get("learning_rate")
    return [finding(
        "learning_rate_too_low",
        f"each step moved even the fastest-moving weight ('{ratios[-1][0]}') by a median "
        f"{fmt(median)} of its norm (healthy training: ~1e-3), while gradients were alive; the "
        f"loss went from {fmt(start)} to {fmt(loss[-1])} in {len(loss)} epochs"
        + (f", against {fmt(base)} for a constant prediction" if base else "")
        + (f"; learning rate {fmt(lr)}" if lr is not None else "") + ".",
        lr_hint=f" (from {fmt(lr)} to {fmt(lr * 10)}-{fmt(lr * 100)})" if lr else "")]


def detect_vanishing_gradients(t: Trace) -> list[Finding]:
    """First vs last layer relative gradient |g|/|w|, median over epochs; needs depth >= 3."""
    ratios = []
    for r in t.records:
        kernels = [(k, r.grads[k]["norm"] / max(r.weights[k]["norm"], NORM_FLOOR))
                   for k, w in r.weights.items() if is_kernel(k, w) and k in r.grads]
        if len(kernels) >= VANISHING_MIN_DEPTH and kernels[-1][1] > 0:
            ratios.append((kernels[0][0], kernels[-1][0], kernels[0][1] / kernels[-1][1]))
    if not ratios:
        return []
    median = float(np.median([x[2] for x in ratios]))
    first, last = ratios[-1][0], ratios[-1][1]
    evidence = (f"the relative gradient |g|/|w| of '{first}' is {fmt(median)} times that of "
                f"'{last}' (median over {len(ratios)} epochs)")
    if median < VANISHING_RATIO:
        return [finding("vanishing_gradients", evidence + ": the first layers barely learn.",
                        layer=first.rsplit("/", 1)[0])]
    if median > 1 / VANISHING_RATIO:
        return [finding("exploding_gradients", evidence + ".", layer=first.rsplit("/", 1)[0])]
    return []
