"""Detectors over the validation side of a run: what the validation metrics say about the
training - nothing learned carries over (at chance), validation inputs unlike the training
inputs, validation rows copied from training, overfitting and a train/validation gap.

Each takes a `Trace` and returns a list of findings (texts in catalogue.py). Epochs in the
evidence are 1-based, as Keras prints them.
"""

from __future__ import annotations

import numpy as np

from scen.diagnose.catalogue import Finding, finding, fmt
from scen.diagnose.loss_curve import CHANCE_MARGIN
from scen.diagnose.trace import Trace, validation_against_training

OVERFIT_MIN_EPOCHS = 5  # a best epoch, and epochs after it, need a run this long.
OVERFIT_RISE = 0.1  # validation loss 10% above its best...
OVERFIT_EPOCHS = 3  # ...for at least 3 epochs (and a tenth of the run) after its best, while
# the training loss fell.
GAP_ACCURACY = 0.15  # train accuracy 15 points above validation accuracy.
NEAR_COPY_TEXT = "5%"  # trace.NEAR_COPY, as the evidence says it
VAL_CHANCE_MIN_EPOCHS = 3  # validation at chance in every one of at least 3 epochs...
VAL_CHANCE_TRAIN_GAIN = 0.1  # ...while training accuracy ends 10 points above chance (a
# 10-class net memorising shuffled labels climbs from 0.11 to 0.28 in 8 epochs)...
VAL_NEVER_BEATS = 0.98  # ...or the validation loss never 2% below the constant prediction's
# (the class shares), rising while the training loss falls...
VAL_CHANCE_MIN_ROWS = 200  # ...in a dataset big enough that a validation split can tell (60
# rows leave ~18 to validate on: a weak signal there is noise, and overfitting says the rest).


def detect_validation_at_chance(t: Trace) -> list[Finding]:
    """Validation accuracy at or below chance at every epoch, from the first, while the model
    learns something on the training rows: nothing learned carries over. Overfitting first
    helps validation, then hurts it; here it never helped - the validation rows are unlike
    the training rows (validation_split takes the last rows as they are: sorted data leave
    classes out of training) or the labels do not follow the inputs (shuffled apart).
    "Learns something": the training accuracy ends VAL_CHANCE_TRAIN_GAIN above chance, or -
    where it is still near chance - the validation loss never beat the constant prediction's
    and rose over the run while the training loss fell (what memorising noise looks like; a
    slow start at chance has both losses creep down together)."""
    key, chance = t.accuracy_key(), t.facts.chance_accuracy
    if key is None or chance is None or len(t.records) < VAL_CHANCE_MIN_EPOCHS \
            or (t.facts.label_rows or 0) < VAL_CHANCE_MIN_ROWS:
        return []
    acc, val = t.series(key), t.series(f"val_{key}")
    if not (np.all(np.isfinite(val)) and np.isfinite(acc[-1])):
        return []
    loss, val_loss, base = t.series("loss"), t.series("val_loss"), t.facts.baseline_loss
    never_beats = bool(base and len(val_loss) and np.all(np.isfinite(val_loss))
                       and val_loss.min() >= VAL_NEVER_BEATS * base)
    # At chance on average, and never clearly above it (a small validation set's accuracy
    # wanders by several points from epoch to epoch); or a few points more where the
    # validation loss never beat the constant prediction's either (what the accuracy shows
    # above chance is then noise: a draw puts it at 0.54 or at 0.58).
    margin = (2 if never_beats else 1) * CHANCE_MARGIN
    if val.mean() > chance + margin or val.max() > chance + margin + CHANCE_MARGIN:
        return []
    apart = bool(never_beats and np.isfinite(loss[-1]) and val_loss[-1] > val_loss[0]
                 and loss[-1] < loss[0])
    if acc[-1] < chance + VAL_CHANCE_TRAIN_GAIN and not apart:
        return []
    losses = (f"; val_loss never went below {fmt(val_loss.min())} (the constant prediction's "
              f"loss is {fmt(base)}) and rose from {fmt(val_loss[0])} to {fmt(val_loss[-1])} "
              f"while the training loss fell from {fmt(loss[0])} to {fmt(loss[-1])}"
              if apart else
              f"; val_loss never went below {fmt(val_loss.min())} (the constant prediction's "
              f"loss is {fmt(base)})" if never_beats else "")
    return [finding(
        "validation_at_chance",
        f"val_{key} stayed at chance ({chance:.2f}, the majority-class share) over all "
        f"{len(val)} epochs (mean {val.mean():.3f}, at most {val.max():.3f}) while {key} "
        f"{'rose' if acc[-1] > acc[0] else 'went'} to {acc[-1]:.3f}{losses}.")]


VALIDATION_SHIFT = 3.0  # validation features a median 3 training sds from training's means


def detect_validation_shift(t: Trace) -> list[Finding]:
    """validation_data whose inputs are not prepared as the training inputs were (scaled for
    training, raw for validation; another unit): their features sit several training
    standard deviations away, so the model is judged on inputs it never saw the like of."""
    s = t.facts.validation_shift
    if not s or s["shift"] < VALIDATION_SHIFT or not t.records:
        return []
    seen = validation_against_training(t)
    return [finding(
        "validation_unlike_training",
        f"the validation inputs' features sit a median {s['shift']:.3g} training standard "
        f"deviations from the training means (feature {s['feature']}: training mean "
        f"{fmt(s['train_mean'])}, validation mean {fmt(s['val_mean'])}){seen}.")]


LEAKED = 0.3  # validation rows with a near-copy in training: a third of them is a leak


def detect_validation_copies(t: Trace) -> list[Finding]:
    """Validation rows that are (near-)copies of training rows: augmentation or oversampling
    done before the split, or duplicated data. The validation metrics then measure memory."""
    c = t.facts.validation_copies
    if not c or c["share"] < LEAKED or not t.records:
        return []
    key = t.accuracy_key()
    logs = t.records[-1].logs
    seen = (f"; val_{key} {logs[f'val_{key}']:.3f} against {key} {logs[key]:.3f}"
            if key and f"val_{key}" in logs and key in logs else "")
    return [finding(
        "validation_copies_training",
        f"{c['share']:.0%} of {c['n']} validation rows sampled have a near-copy among the "
        f"training rows (features within {NEAR_COPY_TEXT} of the training spread){seen}: the "
        "validation scores measure how well the model remembers, not how it generalises.")]


def detect_overfitting(t: Trace) -> list[Finding]:
    """Validation loss rising from its best while the training loss falls; else a large
    train/validation accuracy gap at the end."""
    loss, val = t.series("loss"), t.series("val_loss")
    n = len(loss)
    if n < OVERFIT_MIN_EPOCHS or not np.all(np.isfinite(val)) or not np.all(np.isfinite(loss)):
        return []
    best = int(np.argmin(val))
    if (n - 1 - best >= max(OVERFIT_EPOCHS, n // 10) and val[-1] > val[best] * (1 + OVERFIT_RISE)
            and loss[-1] < loss[best]):
        return [finding(
            "overfitting",
            f"val_loss was lowest at epoch {best + 1} ({fmt(val[best])}) and rose to "
            f"{fmt(val[-1])} by epoch {n}, while the training loss fell from {fmt(loss[best])} "
            f"to {fmt(loss[-1])}.", epoch=best + 1)]
    key = t.accuracy_key()
    last = t.records[-1].logs
    if key and f"val_{key}" in last and last[key] - last[f"val_{key}"] > GAP_ACCURACY:
        return [finding(
            "train_val_gap",
            f"{key} {last[key]:.3f} vs val_{key} {last[f'val_{key}']:.3f} at epoch {n}.",
            epoch=n)]
    return []
