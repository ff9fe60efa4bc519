"""In-run detectors over the loss and accuracy curves (epoch means from Keras's logs): a
cross-entropy out of its possible range, divergence and spikes, worse than a constant
prediction, oscillation, a slow start at chance, a plateau, a run stopped or ending while
still improving. The validation side (at chance, overfitting...) is validation.py's.
(Why ~520 lines: each detector keeps its thresholds beside it, with their reasons.)

Each takes a `Trace` and returns a list of findings (texts in catalogue.py). Epochs in the
evidence are 1-based, as Keras prints them.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from scen.diagnose.catalogue import Finding, finding, fmt
from scen.diagnose.metrics_fit import metric_fits
from scen.diagnose.model import CROSS_ENTROPY
from scen.diagnose.trace import (FLOOR_SHARE, Trace, at_floor, raised_text, rate_raised,
                                 unlearned)

NEGATIVE_TOLERANCE = 1e-6  # float32 rounding can put a cross-entropy of ~0 a hair below 0.
HUGE_CE_MARGIN = 1.25  # a cross-entropy of probabilities clipped at Keras's epsilon (1e-7) is at
# most -log(1e-7) = 16.1 per label; above 1.25x that it was computed from unbounded logits.
DIVERGE_RISE = 0.25  # the training loss ended 25% above where it started (epoch means of a
# training loss do not rise that far by batch noise, and dropout noise is far smaller).
DIVERGE_FROM_MIN = 2.0  # ...or doubled from its lowest point...
REBOUND_FLOOR = 0.5  # ...ending above half its start: near zero, doubling is noise, not divergence.
SPIKE = 10.0  # an epoch loss 10x the start, even if it comes back down, is instability.
MIN_EPOCHS_TREND = 3  # trends need at least this many epochs.
WORSE_THAN_CONSTANT = 1.5  # loss 1.5x that of the best constant prediction...
WORSE_MIN_EPOCHS = 5  # ...after 5 epochs: a fresh regression head starts far from the targets.
WORSE_STUCK = 0.9  # and still above 90% of its first epoch's loss: not improving (an error).
OSCILLATION_MIN_EPOCHS = 6  # five epoch-to-epoch changes, at least, to call a pattern.
OSCILLATION_MIN_CHANGES = 3  # non-zero changes needed to count direction flips at all.
OSCILLATION_FLIPS = 0.6  # share of epoch-to-epoch changes that reverse direction (noise: ~0.5
# only once the loss is flat; a descending loss rarely flips at all).
OSCILLATION_AMPLITUDE = 0.1  # median epoch-to-epoch jump, as a share of the loss itself.
REBOUND = 0.5  # Or slower swings: epochs whose loss rose by over half the previous epoch's...
REBOUNDS = 3  # ...at least 3 times after the first epoch, one in the last quarter: still
# swinging at the end (steady training's epoch loss, a mean over the whole epoch, does not jump
# 50% even once; a run that swung on the way and settled has learned).
CHANCE_MARGIN = 0.05  # accuracy within 5 points of chance (the majority-class share) is chance.
LEARNED_SHARE = 0.9  # "learned": 90% of the way from chance to the best accuracy of the run.
SLOW_START_EPOCHS = 10  # stuck at chance for at least 10 epochs...
SLOW_START_SHARE = 0.1  # ...and at least 10% of the epochs it took to learn...
SLOW_START_LOSS_SHARE = 0.9  # ...with the loss still >= 90% of the constant prediction's
# (a loss well below it means the model learns, and only the 0.5 threshold lags: imbalance).
FEW_STEPS = 2  # an epoch of 1-2 steps (a batch of half the data or more): few updates in all
DECAYED_SHARE = 0.01  # a learning rate under 1/100 of its start barely moves the weights...
DECAYED_MIN_EPOCHS = 4  # ...(seen over a few epochs)...
STILL_AFTER = 0.01  # ...when the loss then moves under 1%, far from learned (trace.unlearned).
PLATEAU_MIN_EPOCHS = 20  # "early" vs "late" needs a run long enough to have both.
PLATEAU_EARLY_EPOCHS = 5  # "early" is the first 5 epochs (a quarter of a shorter run).
PLATEAU_SLOWDOWN = 20.0  # late improvement per epoch is under 1/20 of the early one...
PLATEAU_RELATIVE_RATE = 0.005  # ...and under 0.5% of the loss itself per epoch: a loss that
# falls like 1/t (normal) still drops ~3%/epoch at epoch 30; a crawl drops a fraction of 1%.
PLATEAU_TREND_NOISE = 3.0  # the late half still falls: its linear trend drops by over 3x the
# scatter of the epochs around it (not a noisy floor)...
PLATEAU_DECAY = 0.5  # ...and whose progress does not keep halving within the late half (a
# loss converging geometrically to the data's floor does; a crawl keeps a steady pace).
VAL_FOLLOWS = 0.25  # the validation loss follows the training loss if it gains over 1/4 as much.
STILL_LEARNING_EPOCHS = 3  # accuracy rising in each of the last 3 epochs...
STILL_LEARNING_GAIN = 0.01  # ...by a point or more each...
STILL_LEARNING_BELOW = 0.9  # ...and still under 0.9 at the end: the run stopped too soon.
STILL_FALLING = 0.05  # without an accuracy: the loss falling 5% of itself each epoch (a
# converged run's epoch loss moves by a percent or two)...
STILL_UNLEARNED = 0.2  # ...still at 20% or more of the constant prediction's loss (R^2 under
# 0.8 for MSE): a model that has learned most of the task is not nagged to go on...
STILL_LEVELLING = 1 / 3  # ...and the last epoch's gain at least a third of the mean gain before
# it (0.28 -> 0.60 -> 0.74 is still climbing; 0.70 -> 0.78 -> 0.80 is levelling off).


def detect_cross_entropy_range(t: Trace) -> list[Finding]:
    """A cross-entropy is never negative, and one of clipped probabilities is at most ~16."""
    if t.facts.loss_kind not in CROSS_ENTROPY:
        return []
    loss = t.series("loss")
    f = []
    neg = np.flatnonzero(loss < -NEGATIVE_TOLERANCE)
    if neg.size:
        e = int(neg[0])
        f.append(finding(
            "negative_cross_entropy",
            f"the loss was {fmt(loss[e])} in epoch {e + 1} (lowest {fmt(np.nanmin(loss))}); "
            "a cross-entropy of labels in [0, 1] is never negative, so the labels are outside "
            "[0, 1].", epoch=e + 1))
    huge = np.flatnonzero(loss > HUGE_CE_MARGIN * t.facts.ce_ceiling)
    if huge.size:
        e = int(huge[0])
        how = ("Keras on TensorFlow computes it from the pre-activation logits of a "
               "sigmoid/softmax output" if t.facts.backend in ("tensorflow", "")
               else "it was computed from logits")
        f.append(finding(
            "huge_cross_entropy",
            f"the loss was {fmt(loss[e])} in epoch {e + 1} (largest {fmt(np.nanmax(loss))}); a "
            f"cross-entropy of clipped probabilities is at most {fmt(t.facts.ce_ceiling)}, so "
            f"{how}, which are huge; they grow with the weights, so the loss grows with "
            "the learning rate instead of falling.",
            epoch=e + 1, lr=fmt(t.records[e].logs.get("learning_rate", float("nan")))))
    return f


def detect_divergence(t: Trace) -> list[Finding]:
    """The training loss ends above where it started (before training, when known); or, if
    not, it spiked far above its start on the way."""
    loss = t.series("loss")
    loss = loss[np.isfinite(loss)]
    start = t.facts.initial_loss
    if start is None or not np.isfinite(start):
        if len(loss) < MIN_EPOCHS_TREND:
            return []
        start, since = loss[0], "epoch 1"
    else:
        since = "before training"
    if not len(loss) or start <= 0:
        return []
    low = int(np.argmin(loss))
    rose = loss[-1] > start * (1 + DIVERGE_RISE)
    rebounded = (len(loss) >= MIN_EPOCHS_TREND and loss[low] > 0
                 and loss[-1] > loss[low] * DIVERGE_FROM_MIN and loss[-1] > start * REBOUND_FLOOR)
    lr = t.records[-1].logs.get("learning_rate")
    at_lr = f"; learning rate {fmt(lr)}" if lr is not None else ""
    if not (rose or rebounded):
        return _spike(t, loss, start, since, at_lr)
    if since == "before training" and loss[-1] <= loss[0] and loss[-1] < 2 * start:
        return []  # the epochs' own losses fell; the start is a sample's estimate (rare huge
        # targets, a -9999 code among thousands of rows, make it noisy), not the data's loss
    evidence = (f"the loss went from {fmt(start)} ({since}) to {fmt(loss[-1])} (epoch "
                f"{len(loss)}), lowest {fmt(loss[low])} at epoch {low + 1}")
    raised = rate_raised(t)
    if raised:
        return [finding("diverging_loss:rate_raised", evidence + raised_text(*raised) + ".",
                        epoch=len(loss), start=fmt(raised[0]), end=fmt(raised[1]))]
    return [finding(
        "diverging_loss", evidence + at_lr + ".",
        epoch=len(loss), lr_hint=f" (learning_rate={fmt(lr / 10)})" if lr else "")]


def _spike(t: Trace, loss: np.ndarray, start: float, since: str, at_lr: str) -> list[Finding]:
    """The (finite) loss reached SPIKE times its start and came back down."""
    top = int(np.argmax(loss))
    huge_ce = (t.facts.loss_kind in CROSS_ENTROPY
               and loss[top] > HUGE_CE_MARGIN * t.facts.ce_ceiling)  # reported already
    if loss[top] <= SPIKE * start or huge_ce:
        return []
    return [finding(
        "loss_spikes",
        f"the loss reached {fmt(loss[top])} in epoch {top + 1}, {fmt(loss[top] / start)}x "
        f"its start ({fmt(start)}, {since}), before coming back to {fmt(loss[-1])}" + at_lr + ".",
        epoch=top + 1)]


def detect_worse_than_constant(t: Trace) -> list[Finding]:
    """After a few epochs the loss is still well above the best constant prediction's."""
    base, loss = t.facts.baseline_loss, t.series("loss")
    if base is None or base <= 0 or len(loss) < WORSE_MIN_EPOCHS or not np.isfinite(loss[-1]):
        return []
    if loss[-1] <= WORSE_THAN_CONSTANT * base:
        return []
    stuck = loss[-1] > WORSE_STUCK * loss[0]
    what = "the class frequencies" if t.facts.loss_kind in CROSS_ENTROPY else "the mean target"
    return [finding(
        "worse_than_constant:stuck" if stuck else "worse_than_constant:slow",
        f"final loss {fmt(loss[-1])} after {len(loss)} epochs (first {fmt(loss[0])}) against "
        f"{fmt(base)} for always predicting {what}.", epoch=len(loss))]


def detect_oscillation(t: Trace) -> list[Finding]:
    """The epoch loss keeps changing direction, by a large share of itself (late half)."""
    loss = t.series("loss")
    if len(loss) < OSCILLATION_MIN_EPOCHS or not np.all(np.isfinite(loss)):
        return []
    late = loss[len(loss) // 2 - 1:] if len(loss) >= 2 * OSCILLATION_MIN_EPOCHS else loss
    d = np.diff(late)
    nz = d[d != 0]
    if len(nz) < OSCILLATION_MIN_CHANGES:
        return []
    flips = float(np.mean(np.sign(nz[1:]) != np.sign(nz[:-1])))
    amplitude = float(np.median(np.abs(d)) / max(np.median(np.abs(late)), 1e-12))
    # (near zero, batch noise is a large share of a tiny loss: not a problem)
    if flips >= OSCILLATION_FLIPS and amplitude >= OSCILLATION_AMPLITUDE and not at_floor(t):
        return [finding(
            "oscillating_loss",
            f"over epochs {len(loss) - len(late) + 1}-{len(loss)} the loss changed direction in "
            f"{flips:.0%} of epochs, by a median {amplitude:.0%} of its value.")]
    # Swings over several epochs: down for a few, then a jump back up, again and again.
    # Jumps back above the floor (a tenth of the constant prediction's loss) only.
    floor = FLOOR_SHARE * (t.facts.baseline_loss or 0.0)
    rose = [e for e in range(2, len(loss))
            if loss[e] > loss[e - 1] * (1 + REBOUND) and loss[e] > floor]
    if len(rose) < REBOUNDS or rose[-1] < len(loss) * 3 // 4:
        return []
    jumps = ", ".join(f"{e + 1} ({fmt(loss[e - 1])} -> {fmt(loss[e])})" for e in rose[:4])
    return [finding(
        "oscillating_loss",
        f"the loss jumped by over {REBOUND:.0%} of its value from one epoch to the next "
        f"{len(rose)} times after epoch 2: in epochs {jumps}{', ...' if len(rose) > 4 else ''}; "
        f"it ranged over [{fmt(float(loss[1:].min()))}, {fmt(float(loss[1:].max()))}] "
        f"after epoch 1.", epoch=rose[0] + 1)]


FEW_UPDATES = 200  # updates in all under which epochs of 1-2 steps leave a model near its draw:
# an Adam step moves a weight by about the learning rate, so 200 steps at 1e-3 by 0.2 at most.
STILL_FALLING = 0.01  # ...and the loss fell over 1% in its last two epochs: it had not finished


def detect_few_updates(t: Trace) -> list[Finding]:
    """Epochs of one or two steps (a batch of half the training rows or more: batch_size=
    len(x), or steps_per_epoch=1) and few updates in all, in a run that had not finished: its
    loss still falling at the end, or never far below a constant prediction's. The symptoms
    this makes (accuracy at chance, a run still improving, a majority-class predictor) hang
    on the initial draw; the count of updates does not."""
    done = [r for r in t.records if not r.partial]
    loss = t.series("loss")
    if len(done) < MIN_EPOCHS_TREND or len(loss) < MIN_EPOCHS_TREND or \
            not np.all(np.isfinite(loss)):
        return []
    steps = [r.steps.get("n", 0) for r in done]
    per_epoch, total = int(np.median(steps)), int(sum(steps))
    if not 0 < per_epoch <= FEW_STEPS or total >= FEW_UPDATES:
        return []
    base = t.facts.baseline_loss
    falling = loss[-1] < (1 - STILL_FALLING) * loss[-3] and \
        bool(base) and loss[-1] >= STILL_UNLEARNED * base  # far from learned, too
    stuck = unlearned(t)
    if not (falling or stuck):
        return []
    rows = t.facts.label_rows
    key = t.accuracy_key()
    accuracy = t.records[-1].logs.get(key) if key else None
    return [finding(
        "few_updates",
        f"the optimizer took {total} steps in all: {per_epoch} an epoch for {len(done)} epochs"
        + (f" (a batch of about {rows // per_epoch:,} of the {rows:,} rows)" if rows else "")
        + f"; the loss went from {fmt(loss[0])} to {fmt(loss[-1])}"
        + (f", still falling {(1 - loss[-1] / loss[-3]) / 2:.1%} an epoch at the end"
           if falling else "")
        + (f" (a constant prediction scores {fmt(base)})" if stuck and base else "")
        + (f", {key} {accuracy:.3f}" if accuracy is not None else "") + ".",
        severity="error" if stuck else "warning", epoch=len(done), steps=total,
        per_epoch=per_epoch,
        suggested=(f"about {math.ceil(rows / 32):,} updates an epoch here" if rows else
                   "tens of updates an epoch"))]


def detect_slow_start(t: Trace) -> list[Finding]:
    """Accuracy at chance for many epochs while gradients are alive (not zero)."""
    key, chance = t.accuracy_key(), t.facts.chance_accuracy
    if key is None or chance is None or t.facts.loss_kind not in CROSS_ENTROPY:
        return []
    acc = t.series(key)
    n = len(acc)
    stuck = 0
    while stuck < n and acc[stuck] <= chance + CHANCE_MARGIN:  # below chance is no progress
        stuck += 1
    # Measured against the time it took to learn (to 90% of the best accuracy above chance),
    # not the run's length: 30 epochs at chance matter even if the run then idles for 400.
    top = float(np.nanmax(acc))
    learned = (np.flatnonzero(acc >= chance + LEARNED_SHARE * (top - chance))
               if top > chance + CHANCE_MARGIN else [])
    span = int(learned[0]) + 1 if len(learned) else n
    loss = t.series("loss")
    short = (stuck == n and MIN_EPOCHS_TREND <= n < SLOW_START_EPOCHS
             and np.all(np.diff(loss) < 0))  # a short run at chance whose loss fell every epoch
    if not short and (stuck < SLOW_START_EPOCHS or stuck < SLOW_START_SHARE * span):
        return []
    base = t.facts.baseline_loss
    if base and loss[stuck - 1] < SLOW_START_LOSS_SHARE * base:
        return []  # the loss fell below the class prior's: learning, the accuracy lags behind
    alive = [r for r in t.records[:stuck] if r.grads]
    if alive and all(g["zero"] == 1.0 for r in alive for g in r.grads.values()):
        return []  # no gradient at all: detect_no_gradient says why
    grad = [math.sqrt(sum(g["norm"] ** 2 for g in r.grads.values())) for r in alive]
    lr = t.facts.initial_learning_rate or t.records[0].logs.get("learning_rate")
    per_epoch = int(np.median([r.steps.get("n", 0) for r in t.records[:stuck]]))
    few = 0 < per_epoch <= FEW_STEPS
    later = (f"it rose above chance at epoch {stuck + 1} and reached {acc.max():.2f}"
             if stuck < n else f"it never left chance in {n} epochs")
    return [finding(
        "slow_start:few_steps" if few else "slow_start:short_run" if short else "slow_start",
        f"{key} stayed at or below chance ({chance:.2f}, the majority-class share, + "
        f"{CHANCE_MARGIN}) for epochs 1-{stuck} while the loss crept from {fmt(loss[0])} to "
        f"{fmt(loss[stuck - 1])}"
        + (f", with gradients alive (median norm {fmt(float(np.median(grad)))})" if grad else "")
        + f"; {later}.",
        epoch=stuck, epochs=stuck, per_epoch=per_epoch, steps=per_epoch * stuck,
        # 10-100x: the answers to such questions go as far as 100x (Adam 1e-3 -> 0.1), and
        # `--verify` tries x100 (verify.MECHANICAL_FIXES).
        lr_hint=(f" 10-100x (from {fmt(lr)} to {fmt(lr * 10)}-{fmt(lr * 100)})" if lr
                 else " 10-100x"))]


FROZEN_LOSS = 0.02  # a loss within 2% of the constant prediction's, every epoch: nothing learned


def detect_stuck_at_chance(t: Trace) -> list[Finding]:
    """A short run (under SLOW_START_EPOCHS) that never left chance: accuracy at the majority
    share and the loss at the constant prediction's in every epoch. Too short to call a slow
    start, and its loss does not creep; but the run learned nothing, and says so."""
    key, chance, base = t.accuracy_key(), t.facts.chance_accuracy, t.facts.baseline_loss
    if key is None or chance is None or not base or t.facts.loss_kind not in CROSS_ENTROPY:
        return []
    acc, loss = t.series(key), t.series("loss")
    n = len(acc)
    if not MIN_EPOCHS_TREND <= n < SLOW_START_EPOCHS or np.any(acc > chance + CHANCE_MARGIN):
        return []
    if not np.all(np.isfinite(loss)) or np.any(np.abs(loss - base) > FROZEN_LOSS * base):
        return []
    return [finding(
        "stuck_at_chance",
        f"in all {n} epochs {key} stayed at chance ({fmt(float(acc.min()))}-"
        f"{fmt(float(acc.max()))}; the majority share is {chance:.2f}) and the loss at the "
        f"constant prediction's ({fmt(float(loss.min()))}-{fmt(float(loss.max()))} against "
        f"{fmt(base)}): the model learned nothing it could use.", epochs=n)]


def detect_regularisation_dominates(t: Trace) -> list[Finding]:
    """The weight penalties (kernel_regularizer=l2(...), ...) weigh more at initialisation
    than the whole loss of a constant prediction: the optimizer mostly shrinks weights, and
    the loss Keras logs (data + penalty) reads as a huge, odd loss."""
    penalty, base, loss = t.facts.penalty, t.facts.baseline_loss, t.series("loss")
    if not penalty or not base or penalty < base or not len(loss):
        return []
    return [finding(
        "regularisation_dominates",
        f"the regularisers' penalty was {fmt(penalty)} before training, against {fmt(base)} "
        f"for the data loss of a constant prediction; the logged loss (data + penalty) went "
        f"from {fmt(loss[0])} to {fmt(loss[-1])}.")]


def detect_learning_rate_decayed(t: Trace) -> list[Finding]:
    """A schedule that took the learning rate to under 1/100 of its start within the first
    quarter of the run, after which the loss stood still, short of what the task allows (a
    ReduceLROnPlateau needs epochs of stalling before each cut, so it rarely gets there)."""
    lr, loss = t.series("learning_rate"), t.series("loss")
    start, base = t.facts.initial_learning_rate or (lr[0] if len(lr) else None), \
        t.facts.baseline_loss
    n = len(loss)
    if not start or start <= 0 or not base or n < DECAYED_MIN_EPOCHS \
            or not np.all(np.isfinite(lr)) or not np.all(np.isfinite(loss)):
        return []
    low = np.flatnonzero(lr < start * DECAYED_SHARE)
    if not len(low) or low[0] >= n / 4 or not unlearned(t):
        return []
    e = int(low[0])
    after = e + 1  # the first epoch that ran at the low rate throughout
    moved = loss[after] - loss[-1]
    if moved > STILL_AFTER * abs(loss[after]):
        return []
    return [finding(
        "learning_rate_decayed",
        f"the learning rate went from {fmt(start)} to {fmt(lr[e])} by the end of epoch "
        f"{e + 1} and {fmt(lr[-1])} by the last; over epochs {after + 1}-{n} the loss moved "
        f"{fmt(float(moved))}, ending at {fmt(loss[-1])} against {fmt(base)} for a constant "
        "prediction.", epoch=e + 1)]


def detect_plateau(t: Trace) -> list[Finding]:
    """Fast at first, then a crawl far from the task's floor. A crawl is a loss still falling
    in most late epochs; a flat, noisy loss (or a validation loss that no longer follows the
    training loss) is a floor of the data, reported as info."""
    loss = t.series("loss")
    n = len(loss)
    if n < PLATEAU_MIN_EPOCHS or not np.all(np.isfinite(loss)) or at_floor(t):
        return []
    k, h = min(PLATEAU_EARLY_EPOCHS, n // 4), n // 2
    early = (loss[0] - loss[k]) / k
    late = (loss[h] - loss[-1]) / (n - 1 - h)
    if early <= 0 or late * PLATEAU_SLOWDOWN > early or late > PLATEAU_RELATIVE_RATE * loss[-1]:
        return []
    base = t.facts.baseline_loss
    if base and loss[-1] >= base:  # no better than the constant prediction: nothing learned to
        return []                  # level off from (mean_predictor, slow_start, ... say why)
    late_text = (f"only {fmt(late)} per epoch over epochs {h + 1}-{n} ({late / loss[-1]:.2%} of "
                 f"its value per epoch, {fmt(early / late)}x slower)" if late > 0 else
                 f"not at all over epochs {h + 1}-{n} (it rose {fmt(-late)} per epoch)")
    evidence = (f"the loss fell {fmt(early)} per epoch over epochs 1-{k + 1} but {late_text}, "
                f"ending at {fmt(loss[-1])}" + (f" against {fmt(base)} for a constant prediction"
                                                if base else ""))
    key = t.accuracy_key()
    why = _why_late_half_is_a_floor(loss, t.series("val_loss"), h,
                                    t.series(key) if key else None)
    if why:
        return [finding("loss_levelled_off", evidence + why + ": likely the data's noise floor "
                        "(or overfitting), not an optimisation problem.")]
    return [finding("plateau", evidence + "; it is still falling, slowly, far from zero.",
                    epoch=h + 1)]


def _trend_beyond_noise(values: np.ndarray) -> float:
    """The linear trend's change over `values` in units of the epoch-to-epoch noise around
    it (+: rising); batch noise makes single epochs go either way."""
    x = np.arange(len(values))
    slope, icpt = np.polyfit(x, values, 1)
    noise = float(np.std(values - (slope * x + icpt)))
    return float(slope * len(values) / max(noise, 1e-12))


def _why_late_half_is_a_floor(loss: np.ndarray, val: np.ndarray, h: int,
                              accuracy: np.ndarray | None = None) -> str:
    """How the late half loss[h:] reads as a floor ("" if it is a crawl): no trend beyond its
    noise, a validation loss that stopped following, progress that keeps halving, or an
    accuracy that no longer rises (the loss only grows confident on what it already gets
    right: noisy labels at their floor do that, a crawl through the task's hard part does
    not)."""
    n = len(loss)
    # A crawl: the late half's linear trend falls by more than 3x the noise around it.
    crawl = -_trend_beyond_noise(loss[h:]) > PLATEAU_TREND_NOISE
    q = max(2, (n - h) // 4)  # compare window means: single validation epochs are noisy
    train_gain = loss[h:h + q].mean() - loss[-q:].mean()
    val_stalled = bool(np.all(np.isfinite(val))) and (
        val[h:h + q].mean() - val[-q:].mean() <= VAL_FOLLOWS * train_gain)
    h2 = h + (n - h) // 2  # the late half's own slowdown: geometric decay means a floor near
    converging = ((loss[h2] - loss[-1]) / (n - 1 - h2)
                  < PLATEAU_DECAY * (loss[h] - loss[h2]) / (h2 - h))
    accuracy_flat = (accuracy is not None and bool(np.all(np.isfinite(accuracy[h:])))
                     and np.ptp(accuracy[h:]) > 0
                     and _trend_beyond_noise(accuracy[h:]) < PLATEAU_TREND_NOISE)
    if crawl and not val_stalled and not converging and not accuracy_flat:
        return ""
    return (", and the validation loss no longer follows it" if val_stalled else
            ", its progress still halving" if converging else
            f", while accuracy stays flat at ~{np.mean(accuracy[h:]):.3g} (the model grows "
            "more confident, not more often right)" if accuracy_flat and crawl
            else ", flat and noisy")


def detect_stopped_while_improving(t: Trace) -> list[Finding]:
    """fit ended before the epochs it was asked for (EarlyStopping, or another callback that
    stops training) while the validation loss was at its best in one of the last two epochs:
    it stopped a run that was still improving (a min_delta above the per-epoch gain, a
    patience of 0 or 1)."""
    n, asked = len(t.records), t.epochs_asked
    val = t.series("val_loss")
    if t.status != "completed" or not asked or n >= asked or n < 2 \
            or not np.all(np.isfinite(val)):
        return []
    best = int(np.argmin(val))
    if best < n - 2:
        return []  # stopped some epochs after its best: what EarlyStopping is for
    return [finding(
        "stopped_while_improving",
        f"fit stopped after {n} of the {asked} epochs asked, with val_loss at its best at epoch "
        f"{best + 1} ({fmt(val[best])}, from {fmt(val[0])} at epoch 1): a callback ended a run "
        "that was still improving.", epoch=n)]


def detect_still_improving_at_end(t: Trace) -> list[Finding]:
    """fit ran every epoch it was asked for and ended still learning: over the last
    STILL_LEARNING_EPOCHS epochs (fewer in a shorter run, from 2 epochs on) the training
    accuracy, short of STILL_LEARNING_BELOW, rose by STILL_LEARNING_GAIN or more each epoch, or
    - where no accuracy is logged (a regression) - the loss fell by STILL_FALLING of itself
    each epoch, far from its floor, with the validation loss falling too; and the last epoch's
    gain is no smaller than STILL_LEVELLING of the gains before it (the curve had not levelled
    off). More epochs, or a higher rate, would go on."""
    key, n, asked = t.accuracy_key(), len(t.records), t.epochs_asked
    if t.status != "completed" or (asked and n < asked) or n < 2:
        return []
    if key is not None and not metric_fits(key, t):
        key = None  # an accuracy that cannot measure the task: read the loss
    k = min(STILL_LEARNING_EPOCHS, n - 1)
    if key is not None:
        curve = t.series(key)
        if not np.all(np.isfinite(curve)) or curve[-1] >= STILL_LEARNING_BELOW:
            return []
        gains = np.diff(curve[-k - 1:])
        if np.any(gains < STILL_LEARNING_GAIN):
            return []
        what = (f"{key} rose in each of the last {k} epochs, from {curve[-k - 1]:.3f} to "
                f"{curve[-1]:.3f} (+{gains[-1]:.3f} in epoch {n}")
    else:
        curve, val, base = t.series("loss"), t.series("val_loss"), t.facts.baseline_loss
        if not np.all(np.isfinite(curve)) or at_floor(t) or curve[-1] <= 0 \
                or (base and curve[-1] < STILL_UNLEARNED * base):
            return []
        gains = -np.diff(curve[-k - 1:])
        if np.any(gains < STILL_FALLING * curve[-k - 1:-1]):
            return []
        if np.all(np.isfinite(val)) and not val[-1] < val[-2]:
            return []  # the validation loss stopped following: more epochs would overfit
        what = (f"the loss fell by {STILL_FALLING:.0%} or more in each of the last {k} epochs, "
                f"from {fmt(curve[-k - 1])} to {fmt(curve[-1])} (-{fmt(gains[-1])} in epoch {n}"
                + (f"; val_loss {fmt(val[-2])} -> {fmt(val[-1])}" if np.isfinite(val[-1])
                   else ""))
    if k > 1 and gains[-1] < STILL_LEVELLING * np.mean(gains[:-1]):
        return []
    first = f"{curve[0]:.3f}" if key is not None else fmt(curve[0])
    return [finding(
        "still_improving_at_end",
        what + f", the last of the {n} asked; {first} at epoch 1): the run ended while it was "
        "still learning.", epoch=n, epochs=n, what="accuracy" if key else "loss")]


DROWNED = 0.05  # an output whose weighted loss is under 5% of the total at epoch 1 (a 20x
# smaller share of the gradient than an even split of two)...
DROWNED_LEARNS = 0.1  # ...and whose own loss then falls by under 10% over the run


def applied_weights(weights: dict, logs: dict) -> dict:
    """The loss weights as Keras applied them: of the given weights' orders over the outputs
    (up to 4 outputs), the one whose weighted sum of the logged per-output losses comes
    closest to the logged total. (A dict of loss_weights beside a list of losses is matched
    to the outputs in its keys' sorted order, not by name.)"""
    names = [n for n in weights if f"{n}_loss" in logs]
    if len(names) != len(weights) or not 2 <= len(names) <= 4 or "loss" not in logs:
        return weights
    losses = [logs[f"{n}_loss"] for n in names]
    orders = itertools.permutations([weights[n] for n in names])
    best = min(orders, key=lambda ws: abs(sum(w * v for w, v in zip(ws, losses)) - logs["loss"]))
    return dict(zip(names, best))


def detect_output_drowned(t: Trace) -> list[Finding]:
    """A model of several outputs where one output's weighted loss (its loss_weights entry
    times its own loss, as Keras logs it: `<output>_loss`) is a sliver of the total: the
    gradient is almost all the other outputs', and that one barely trains. Tiny loss_weights
    do it, and so do outputs on scales far apart (an MSE of prices in the thousands beside a
    cross-entropy near 1)."""
    weights = t.facts.loss_weights
    if not weights or len(t.records) < MIN_EPOCHS_TREND:
        return []
    first, last = t.records[0].logs, t.records[-1].logs
    weights = applied_weights(weights, first)
    parts = {n: w * first[f"{n}_loss"] for n, w in weights.items() if f"{n}_loss" in first}
    total = sum(parts.values())
    if len(parts) < 2 or not total > 0 or not math.isfinite(total):
        return []
    for name, part in parts.items():
        start, end = first[f"{name}_loss"], last.get(f"{name}_loss", math.nan)
        if part / total < DROWNED and start > 0 and end > (1 - DROWNED_LEARNS) * start:
            heavy = max(parts, key=parts.get)
            return [finding(
                "output_drowned",
                f"output '{name}' makes {part / total:.2%} of the weighted loss at epoch 1 "
                f"(weight {fmt(weights[name])} x its loss {fmt(start)}, against "
                f"{fmt(weights[heavy])} x {fmt(first[f'{heavy}_loss'])} for '{heavy}'), and its "
                f"loss went from {fmt(start)} to {fmt(end)} in {len(t.records)} epochs: the "
                "gradient is almost all the other outputs'.", output=name, heavy=heavy)]
    return []
