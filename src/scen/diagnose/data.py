"""Checks on the training data themselves, before a step: what no model can learn around.

A feature that gives the target away (leakage: too good to be true), rows stored in runs of one
class that fit does not shuffle, and features on scales orders of magnitude apart. They read
all of the data where they can (labels, and inputs up to LEAK_VALUES values), not a sample: a
leak or a sort order is a property of the whole table. preflight.py calls them; texts live in
catalogue.py.
"""

from __future__ import annotations

import numpy as np

from scen.diagnose.catalogue import Finding, finding, fmt
from scen.diagnose.labels import SENTINEL_SDS, missing_value_code

LEAK_ROWS = 20_000  # rows looked at for a feature that copies the target (a few ms per column)
LEAK_COLUMNS = 2_048  # features looked at (windows of a few hundred steps; not whole images)
LEAK_VALUES = 4_000_000  # ...and at most this many input values (32 MB as float64)
LEAK_MIN_CLASS = 20  # every class needs 20 rows: a handful of rows line up by chance
LEAK_MAX_CLASSES = 20
LEAK_GAP = 20.0  # the classes' ranges 20 typical value spacings apart (not just touching)
LEAK_R2 = 1 - 1e-6  # a feature that is the target up to scale and shift (a smooth series' next
# step is still ~1e-4 away from its last: cos(0.01 rad) = 0.99995)


def check_feature_copies_target(x, y) -> list[Finding]:
    """One input feature that alone gives the target away: each class's values of it in a
    range of their own (one threshold per class boundary classifies every row), or, for a
    continuous target, the target itself up to scale and shift. On real data no single
    measurement does that; a feature recorded after the outcome (a fee billed to those who
    left), or a window that includes the step to predict, does - and the model then learns
    the copy, scores near-perfectly, and fails in use. x, y: all of the training inputs and
    targets (one array each; others are not looked at)."""
    if x is None or y is None or isinstance(x, (list, tuple, dict)) \
            or isinstance(y, (list, tuple, dict)):
        return []
    try:
        width = int(np.prod(np.shape(x)[1:]))
        rows = min(LEAK_ROWS, LEAK_VALUES // max(width, 1))
        x = np.asarray(x[:rows], dtype=np.float64)
        y = np.asarray(y[:rows], dtype=np.float64)
    except (TypeError, ValueError, IndexError):
        return []
    n = len(x)
    if n != len(y) or n < 5 * LEAK_MIN_CLASS or x.ndim < 2:
        return []
    cols = x.reshape(n, -1)
    if cols.shape[1] > LEAK_COLUMNS or not np.all(np.isfinite(cols)) \
            or not np.all(np.isfinite(y)):
        return []
    if y.ndim == 2 and y.shape[1] > 1 and np.all(y.sum(axis=1) == 1):
        y = y.argmax(axis=1)  # one-hot rows: their class
    y = y.reshape(n, -1)
    if y.shape[1] != 1:
        return []
    y = y[:, 0]
    values, counts = np.unique(y, return_counts=True)
    if 2 <= len(values) <= LEAK_MAX_CLASSES and np.all(values == np.round(values)):
        if counts.min() < LEAK_MIN_CLASS:
            return []
        separating = np.flatnonzero(_separating(cols, y, values))
        if not len(separating):
            return []
        j = int(separating[0])
        share = counts.max() / n
        return [finding(
            "feature_copies_target",
            f"feature {j} of the input alone separates the {len(values)} classes of all {n} "
            f"rows looked at: each class's values of it lie in a range of their own, with gaps "
            f"between the ranges, so "
            f"{len(values) - 1} threshold(s) on it classify every row, against "
            f"{share:.0%} for the majority class. No honest measurement gives a label away "
            "like that.", feature=j)]
    sd = cols.std(axis=0)
    if y.std() == 0 or len(values) < LEAK_MIN_CLASS:
        return []
    live = sd > 0
    z = (cols[:, live] - cols[:, live].mean(axis=0)) / sd[live]
    r = z.T @ ((y - y.mean()) / y.std()) / n
    if not len(r) or np.max(r ** 2) < LEAK_R2:
        return []
    j = int(np.flatnonzero(live)[int(np.argmax(r ** 2))])
    return [finding(
        "feature_copies_target",
        f"feature {j} of the input (of {cols.shape[1]}, flattened) is the target up to scale "
        f"and shift: correlation {float(r[np.argmax(r ** 2)]):.7f} over {n} rows. The model "
        "can read the answer from its input.", feature=j)]


def _separating(cols: np.ndarray, y: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Per feature (column of `cols`), whether each class's values lie in an interval of
    their own, apart from the next class's by LEAK_GAP times the column's typical spacing
    between neighbouring values or more, one class's a single value; shape (features,).
    A label defined by a threshold on a feature (y = x0 > 0, synthetic data) leaves no such
    gap; a value that exists only with the outcome (0 for every customer who stayed, a fee
    for those who left) does."""
    lows = np.stack([cols[y == v].min(axis=0) for v in values])  # (classes, features)
    highs = np.stack([cols[y == v].max(axis=0) for v in values])
    order = np.argsort(lows, axis=0)
    lows, highs = np.take_along_axis(lows, order, 0), np.take_along_axis(highs, order, 0)
    gaps = lows[1:] - highs[:-1]  # (classes - 1, features): > 0 where the ranges are apart
    # ...and one class holds a single value of it (0, "none": the value recorded where the
    # outcome did not happen). Blobs of synthetic data sit apart too, but spread in every class.
    apart = np.all(gaps > 0, axis=0) & np.any(highs == lows, axis=0)
    out = np.zeros(cols.shape[1], dtype=bool)
    for j in np.flatnonzero(apart):
        steps = np.diff(np.unique(cols[:, j]))
        out[j] = gaps[:, j].min() >= LEAK_GAP * float(np.median(steps))
    return out


COLUMNS_APART = 100.0  # the widest feature's std over the median feature's: 100x apart (one
# global scale, x / x.max(), over columns of ages and incomes: 1,000-10,000x). Standardised
# features are ~1x apart; min-max scaled ones with a long tail, ~10-30x.
COLUMN_DISTINCT = 10  # a feature with fewer distinct values in the sample is a flag or a code
# (0/1, one-hot, a category id): its spread says how rare it is, not its scale.


def columns_apart(a: np.ndarray) -> dict | None:
    """The features (last axis) of a sample whose spreads differ by COLUMNS_APART or more,
    counting continuous features only; None where they do not (or fewer than 2 continuous)."""
    if a.ndim < 2 or a.shape[-1] < 2:
        return None
    cols = a.reshape(-1, a.shape[-1])
    continuous = [j for j in range(cols.shape[1])
                  if np.unique(cols[:, j]).size >= COLUMN_DISTINCT]
    if len(continuous) < 2:
        return None
    std = cols[:, continuous].std(axis=0)
    median, top = float(np.median(std)), float(std.max())
    if median <= 0 or top < COLUMNS_APART * median:
        return None
    return dict(ratio=top / median, widest=continuous[int(np.argmax(std))], top=top,
                median=median, n=len(continuous))


SORTED_CHANGES = 0.1  # labels that change class between neighbouring rows under a tenth as
# often as in a shuffled order: rows in runs of one class (sorted by label, grouped by source)
ORDER_MAX_CLASSES = 100


def check_class_order(y, shuffle: bool, validation_split: float = 0.0) -> list[Finding]:
    """fit(shuffle=False) on class labels stored in runs of one class: each batch then holds
    one class, each step pulls the model toward it, and the epoch ends on the last classes,
    which the model then favours. y: all of the training labels (integer ids or one-hot)."""
    if shuffle or y is None or isinstance(y, (list, tuple, dict)):
        return []
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)
    y = y.reshape(len(y), -1)
    if y.shape[1] != 1 or len(y) < 100 or not np.issubdtype(y.dtype, np.number):
        return []
    y = y[:, 0]
    values, counts = np.unique(y, return_counts=True)
    if not 2 <= len(values) <= ORDER_MAX_CLASSES or np.any(values != np.round(values)):
        return []
    changes = int(np.count_nonzero(y[1:] != y[:-1]))
    shares = counts / len(y)
    shuffled = (len(y) - 1) * (1 - float(np.sum(shares ** 2)))  # expected in a random order
    if changes >= SORTED_CHANGES * shuffled:
        return []
    tail = y[int(len(y) * (1 - validation_split)):] if validation_split else None
    held = (f"; validation_split={validation_split} holds out the last rows, classes "
            f"{sorted(int(v) for v in np.unique(tail))}" if tail is not None and len(tail)
            else "")
    return [finding(
        "batches_sorted_by_class",
        f"fit(shuffle=False) on {len(y)} rows whose labels change class only {changes} times "
        f"from one row to the next (a shuffled order changes ~{shuffled:.0f} times): the rows "
        f"come in runs of one class, so most batches hold a single class{held}.")]


def check_same_array_twice(x) -> list[Finding]:
    """Two of a model's inputs given the same values (fit({"user": u, "item": u}), a list
    with one array twice): the model sees one of its inputs twice and the other never, so
    whatever that one carries cannot be learned. x: fit's inputs, a list or dict of arrays."""
    items = (list(x.items()) if isinstance(x, dict) else
             [(f"input {i}", a) for i, a in enumerate(x)] if isinstance(x, (list, tuple))
             else [])
    arrays = [(name, np.asarray(a)) for name, a in items if hasattr(a, "shape")]
    for i, (first, a) in enumerate(arrays):
        for second, b in arrays[i + 1:]:
            if a.shape == b.shape and a.size > 1 and np.ptp(a) > 0 and np.array_equal(a, b):
                return [finding(
                    "inputs_fed_the_same_array",
                    f"inputs '{first}' and '{second}' get the same values ({a.shape} array): "
                    f"what '{second}' was meant to carry never reaches the model.",
                    first=first, second=second)]
    return []


TABLE_COLUMNS = 64  # a table of features, not pixels or steps (whose borders may be constant)
CONSTANT_SHARE = 1 / 3  # of a table's features one value in every row: a step that flattened them


def check_constant_inputs(x) -> list[Finding]:
    """Inputs that do not differ between rows: every row the same (rows filled through one shared
    list, values truncated to 0 by an integer array they were stored in), or - in a table of a
    few dozen float features - a third or more of them one value in every row (a clip meant for
    z-scores applied to raw values). The model cannot tell rows apart by what does not vary.
    x: fit's inputs (all of them where at hand), an array or a list or dict of arrays."""
    items = (list(x.items()) if isinstance(x, dict) else
             [(f"input {i}", a) for i, a in enumerate(x)] if isinstance(x, (list, tuple))
             else [("the input", x)])
    for name, a in items:
        a = np.asarray(a) if hasattr(a, "shape") else None
        if a is None or a.ndim < 1 or len(a) < 2 or not np.issubdtype(a.dtype, np.number):
            continue
        flat = a.reshape(len(a), -1)
        same = np.all(flat == flat[:1], axis=0)
        if same.all():
            values = np.unique(flat[0])
            shown = (f"every value {fmt(float(values[0]))}" if values.size == 1 else
                     f"{values.size} distinct values, the same in every row")
            return [finding(
                "constant_inputs",
                f"all {len(a):,} rows of {name} are identical ({flat.shape[1]:,} values each: "
                f"{shown}): the model cannot tell one sample from another, and can only "
                "predict the same for all.", name=name)]
        floats = np.issubdtype(a.dtype, np.floating)
        if not (floats and a.ndim == 2 and flat.shape[1] <= TABLE_COLUMNS):
            continue
        piled = np.array([_piled_at_max(flat[:, j]) for j in range(flat.shape[1])])
        flattened = same | piled
        if flattened.sum() >= 2 and flattened.mean() >= CONSTANT_SHARE:
            cols = np.flatnonzero(flattened)
            listed = ", ".join(
                f"{i} (= {fmt(float(flat[0, i]))})" if same[i] else
                f"{i} ({np.mean(flat[:, i] == flat[:, i].max()):.0%} at its largest value)"
                for i in cols[:6])
            return [finding(
                "constant_inputs:columns",
                f"{cols.size} of the {flat.shape[1]} features of {name} hardly vary: feature(s) "
                f"{listed}{', ...' if cols.size > 6 else ''} hold one value in every row, or in "
                "most rows their largest, the rest spread below it (a clip). Whatever they were "
                "meant to carry was lost before training.", severity="warning", name=name)]
    return []


PILED = 0.5  # half of a feature's rows at exactly its largest value...
SPREAD_BELOW = 10  # ...and at least this many other values below it: a measurement clipped


def _piled_at_max(column: np.ndarray) -> bool:
    """A continuous feature clipped from above: most rows at its maximum (a 0/1 column, or a
    count with a few levels, is not one; values piled at the minimum - zero-inflated incomes,
    counts - are common in honest data, so only the top counts)."""
    top = column.max()
    at_top = column == top
    return bool(at_top.mean() >= PILED and np.unique(column[~at_top]).size >= SPREAD_BELOW)


def check_sample_weights(weights) -> list[Finding]:
    """Negative weights (fit's sample_weight, times class_weight): for those rows the optimizer
    raises the loss instead of lowering it, and a weighted loss can fall without end."""
    if weights is None:
        return []
    w = np.asarray(weights, dtype=np.float64).ravel()
    w = w[np.isfinite(w)]
    negative = int((w < 0).sum())
    if not w.size or not negative:
        return []
    return [finding(
        "negative_sample_weights",
        f"{negative:,} of the {w.size:,} sample weights ({negative / w.size:.0%}) are negative "
        f"(range [{fmt(float(w.min()))}, {fmt(float(w.max()))}]): fit multiplies each row's "
        "loss by its weight, so for those rows every step makes the fit worse, and the "
        "weighted loss can fall below zero without end.")]


REPEATED_ROWS = 0.5  # half of batch 1's rows already in batch 0: a batch, not a data set, repeats


def check_batches_overlap(first, second) -> list[Finding]:
    """A dataset whose consecutive batches share most of their rows (a PyDataset's __getitem__
    that slices x[idx:idx + batch_size], taking the batch index for a row offset; a generator
    whose yield sits after its loop over the batches, yielding the last one forever): each
    epoch then shows the model a sliver of the data, over and over. first, second: batch 0's and
    batch 1's inputs (arrays, or the first array of a list or dict)."""
    def rows(batch):
        a = batch[0] if isinstance(batch, (list, tuple)) else batch
        a = next(iter(a.values())) if isinstance(a, dict) else a
        a = np.asarray(a)
        return a.reshape(len(a), -1) if a.ndim >= 1 and len(a) else None

    a, b = rows(first), rows(second)
    if a is None or b is None or a.shape[1:] != b.shape[1:]:
        return []
    seen = {r.tobytes() for r in np.ascontiguousarray(a)}
    if len(seen) < 0.9 * len(a):
        return []  # a batch of repeats itself: the data, not the batching
    shared = sum(r.tobytes() in seen for r in np.ascontiguousarray(b))
    if shared < REPEATED_ROWS * len(b):
        return []
    return [finding(
        "batches_repeat_rows",
        f"batch 1 holds {shared} of its {len(b)} rows already in batch 0: consecutive batches "
        "overlap, so an epoch of them shows the model a few distinct rows many times over, "
        "not the data set.", shared=shared, rows=len(b))]


CODE_COLUMNS = 256  # features looked at for a missing-value code (tabular inputs)


def check_input_codes(x) -> list[Finding]:
    """A feature holding a missing-value code (1e9, -999 for "unknown"): one exact value far
    outside the rest (labels.missing_value_code, as among targets). Any scaling - a
    Normalization adapted on the data, x / x.max() - is then set by the code, and the real
    values collapse into a sliver of the range. x: all of the inputs (one 2-D array)."""
    if x is None or isinstance(x, (list, tuple, dict)):
        return []
    try:
        cols = np.asarray(x[:LEAK_ROWS], dtype=np.float64)
    except (TypeError, ValueError, IndexError):
        return []
    if cols.ndim != 2 or cols.shape[1] > CODE_COLUMNS or len(cols) < 50:
        return []
    # One pass over every feature for the median and spread; only a feature with values
    # that far out is then looked at on its own.
    median = np.nanmedian(cols, axis=0)
    spread = 1.4826 * np.nanmedian(np.abs(cols - median), axis=0)
    with np.errstate(invalid="ignore"):
        far = np.abs(cols - median) > SENTINEL_SDS * spread
    for j in np.flatnonzero((spread > 0) & far.any(axis=0)):
        v = cols[:, j][np.isfinite(cols[:, j])]
        c = missing_value_code(v)
        if c is None:
            continue
        return [finding(
            "input_code",
            f"{c['count']:,} of {v.size:,} rows ({c['count'] / v.size:.1%}) have feature {j} "
            f"exactly {fmt(c['code'])}, {c['sds']:,.0f} robust standard deviations from its "
            f"median {fmt(c['median'])} (98% of the others lie in [{fmt(c['low'])}, "
            f"{fmt(c['high'])}]): a code for a missing value, not a measurement.",
            feature=int(j), code=fmt(c['code']))]
    return []
