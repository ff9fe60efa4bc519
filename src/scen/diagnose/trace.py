"""What the in-run detectors read: a run's `Trace`, one `EpochRecord` per epoch, and the `Facts`
about the model and labels (loss kind, chance accuracy, the constant prediction's loss).

The statistics kept per epoch (`weight_stats`, `grad_stats`, `step_stats`) are summaries, never
arrays, so a trace of a long run stays small and serialises to JSON. (Why ~460 lines: every
detector reads these facts; one place keeps their definitions, thresholds and reasons.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from scen.diagnose.model import (CROSS_ENTROPY, OutputSpec, activation_of, looked_at,
                               output_specs)
from scen.diagnose.precision import float16_throughout


FLOOR_SHARE = 0.1  # a loss under 10% of the constant prediction's loss has learned the task.
UNLEARNED = 0.5  # a loss at half or more of it is far from learned (for MSE: R^2 under 0.5).
FLOOR_ACCURACY = 0.99  # a classifier this accurate has nothing left to show on the loss.
LOG_EPS = 1e-12  # keeps log(0) finite in the constant prediction's cross-entropy.


@dataclass
class Facts:
    """What the detectors need to know about the model and the labels."""

    loss_kind: str | None = None
    loss_name: str = ""
    output_activation: str | None = None
    output_units: int | None = None
    output_layer: str | None = None
    chance_accuracy: float | None = None  # the majority-class share
    baseline_loss: float | None = None  # the loss of the best constant prediction
    initial_loss: float | None = None  # the loss on the sample before training, if seen
    ce_ceiling: float = -math.log(1e-7)  # largest cross-entropy of clipped probabilities
    backend: str = ""
    from_logits: bool = False
    class_shares: list[float] | None = None  # each class's share of the labels (classifiers)
    target_distinct: int | None = None  # distinct target values (all of them)
    targets_binary: bool | None = None  # every target is 0 or 1
    targets_integer: bool | None = None  # every target is a whole number (class ids, counts)
    target_range: tuple[float, float] | None = None  # (smallest, largest) target
    one_hot_rows: bool | None = None  # (n, K > 2) targets with exactly one 1 per row
    initial_learning_rate: float | None = None  # before the first step (a schedule's start)
    label_rows: int | None = None  # samples in the labels (training and validation split)
    penalty: float | None = None  # the weight regularisers' sum (model.losses) before training
    clipping: tuple[str, float] | None = None  # the optimizer's ("clipnorm", 1.0), if it clips
    class_weights: dict | None = None  # class -> the mean weight fit gives its samples
    float16: bool = False  # weights kept and computed in float16 (not mixed precision)
    validation_shift: dict | None = None  # validation_data's inputs against training's
    # (input_shift): how far their features sit from the training data's
    validation_copies: dict | None = None  # near_copies: validation rows copied in training
    loss_weights: dict | None = None  # output name -> its weight in the loss (several outputs)
    linear_stack: list[str] | None = None  # hidden Dense layers without an activation, where
    # nothing else in the model bends: the whole model is one linear map (then its output's)


# Layers that keep a function linear (or affine) in its inputs.
LINEAR_LAYERS = {"InputLayer", "Dropout", "Flatten", "Reshape", "Normalization", "Rescaling",
                 "BatchNormalization", "LayerNormalization", "GaussianNoise", "Concatenate",
                 "Add", "Identity"}


def linear_stack(model) -> list[str] | None:
    """The hidden Dense layers with no activation where every layer but the output one keeps
    the model linear in its inputs (a Dense stack someone meant to be deep); else None."""
    layers = list(getattr(model, "layers", []))
    if len(layers) < 2 or type(layers[-1]).__name__ != "Dense":
        return None
    hidden = []
    for layer in layers[:-1]:
        kind = type(layer).__name__
        if kind == "Dense" and activation_of(layer) in (None, "linear"):
            hidden.append(layer.name)
        elif kind == "Activation" and activation_of(layer) in (None, "linear"):
            continue
        elif kind not in LINEAR_LAYERS:
            return None
    return hidden or None


def facts_for(model, y, x=None) -> Facts:
    """Facts for a single-output model and its labels `y` (all of them: class shares)."""
    try:  # x: a sample, for a subclassed model's output (a forward pass on two rows)
        specs = output_specs(model, x)
    except Exception:
        specs = []
    spec = specs[0] if len(specs) == 1 else None
    facts = Facts()
    try:
        import keras

        facts.ce_ceiling = -math.log(keras.config.epsilon())
        facts.backend = keras.backend.backend()
    except Exception:
        pass
    facts.float16 = float16_throughout(model)
    facts.linear_stack = linear_stack(model)
    try:  # a schedule's value at the optimizer's current step: its start, before training
        facts.initial_learning_rate = float(np.asarray(
            keras.ops.convert_to_numpy(model.optimizer.learning_rate)))
    except Exception:
        pass
    for name in ("clipnorm", "global_clipnorm", "clipvalue"):
        value = getattr(getattr(model, "optimizer", None), name, None)
        if value:
            facts.clipping = (name, float(value))
    try:  # Keras adds the regularisers' penalties to the loss it logs
        facts.penalty = float(sum(float(np.asarray(keras.ops.convert_to_numpy(v)))
                                  for v in model.losses))
    except Exception:
        pass
    names = list(getattr(model, "output_names", None) or [])
    if len(names) > 1:  # several outputs: each one's weight in the loss (1 unless compiled so)
        given = getattr(getattr(model, "_compile_loss", None), "_user_loss_weights", None)
        if isinstance(given, (list, tuple)):
            given = dict(zip(names, given))
        facts.loss_weights = {n: float((given or {}).get(n, 1.0)) for n in names}
    if spec is None or y is None or isinstance(y, (list, tuple, dict)):
        return facts
    facts.loss_kind, facts.loss_name = spec.loss_kind, spec.loss_name
    facts.output_activation, facts.output_units = spec.activation, spec.units
    facts.output_layer, facts.from_logits = spec.layer, spec.from_logits
    try:
        y = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        return facts
    facts.label_rows = len(y)
    facts.chance_accuracy, facts.baseline_loss = baseline(spec, y)
    facts.class_shares = class_shares(spec, y)
    finite = y[np.isfinite(y)]
    facts.target_distinct = int(np.unique(finite).size)
    facts.targets_binary = bool(np.all((finite == 0) | (finite == 1)))
    facts.targets_integer = bool(np.all(finite == np.round(finite)))
    if finite.size:
        facts.target_range = (float(finite.min()), float(finite.max()))
    facts.one_hot_rows = bool(facts.targets_binary and y.ndim == 2 and y.shape[1] > 2
                              and np.all(y.sum(axis=1) == 1))
    return facts


def weight_per_class(y, weights) -> dict[int, float] | None:
    """Class -> the mean of fit's per-sample weights (class_weight or sample_weight) over its
    rows; labels as class ids or one-hot rows, `weights` (rows,). None where they differ in
    length or are not classes (strings, several outputs)."""
    try:
        y, w = np.asarray(y, dtype=np.float64), np.asarray(weights, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return None
    classes = (y.argmax(axis=-1) if y.ndim == 2 and y.shape[1] > 1
               else np.rint(y.reshape(len(y), -1)[:, 0]).astype(int))
    if len(classes) != len(w) or np.unique(classes).size > 100:
        return None
    return {int(c): float(w[classes == c].mean()) for c in np.unique(classes)}


def class_shares(spec: OutputSpec, y: np.ndarray) -> list[float] | None:
    """Each class's share of valid classification labels, for a single-label classifier (one
    sigmoid unit, or one-of-K); None otherwise."""
    if not np.all(np.isfinite(y)) or y.min() < 0:
        return None
    k, units = spec.loss_kind, spec.units or 0
    if k == "binary_ce" and units == 1 and y.max() <= 1 and np.all((y == 0) | (y == 1)):
        p = float(y.mean())
        return [1 - p, p]
    if k == "categorical_ce" and y.ndim == 2 and y.shape[1] == units > 1:
        return list(np.bincount(y.argmax(axis=1), minlength=units) / len(y))
    if k == "sparse_ce" and units > 1 and y.max() < units and np.all(y == np.round(y)):
        return list(np.bincount(y.astype(int).ravel(), minlength=units) / y.size)
    return None


def initial_loss(model, x, y, sample_weight=None) -> float | None:
    """The compiled loss of the untrained model on the sample (single-output models);
    sample_weight (rows,): weighted as Keras's default reduction weighs it, sum(w * loss) / n."""
    import keras

    loss = getattr(model, "loss", None)
    if loss is None or isinstance(loss, (list, tuple, dict)) or isinstance(y, (list, dict)):
        return None
    fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    with looked_at(model):
        y_pred = model(x, training=False)
        y = np.asarray(y)
        if not isinstance(fn, keras.losses.Loss) and y.ndim == len(y_pred.shape) - 1:
            y = y[..., None]  # what a Loss object's squeeze_or_expand_to_same_rank does
        per_sample = fn(keras.ops.convert_to_tensor(y), y_pred)
        if sample_weight is not None:
            w = np.asarray(sample_weight, dtype="float32")
            per_sample = per_sample * keras.ops.reshape(
                w, (-1,) + (1,) * (len(per_sample.shape) - 1))
        value = keras.ops.mean(per_sample)
    return float(keras.ops.convert_to_numpy(value))


def baseline(spec: OutputSpec, y: np.ndarray) -> tuple[float | None, float | None]:
    """(majority-class share, loss of the best constant prediction) for valid labels; None
    where the loss has no closed form (or the labels are invalid)."""
    k, eps = spec.loss_kind, LOG_EPS
    if not np.all(np.isfinite(y)):
        return None, None
    if k == "binary_ce" and y.min() >= 0 and y.max() <= 1:
        p = y.reshape(len(y), -1).mean(axis=0)
        ent = -(p * np.log(p + eps) + (1 - p) * np.log(1 - p + eps))
        chance = float(np.mean(np.maximum(p, 1 - p))) if spec.units == 1 else None
        return chance, float(ent.mean())
    if k in ("categorical_ce", "sparse_ce"):
        mass = 1.0  # how much label each row holds: 1 for one-hot rows, more for multi-label
        if k == "categorical_ce" and y.ndim == 2 and y.shape[1] == spec.units and y.min() >= 0:
            mass = float(y.sum(axis=1).mean())
            shares = y.mean(axis=0) / max(mass, eps)
        elif k == "sparse_ce" and y.min() >= 0 and spec.units and y.max() < spec.units:
            shares = np.bincount(y.astype(int).ravel(), minlength=spec.units) / y.size
        else:
            return None, None
        # The best constant prediction is the shares (Keras normalises the output to sum 1),
        # and -sum(y * log(shares)) averages to mass * entropy(shares).
        return float(shares.max()), float(-mass * (shares * np.log(shares + eps)).sum())
    if k == "mse":
        return None, float(y.reshape(len(y), -1).var(axis=0).mean())
    if k == "mae":
        flat = y.reshape(len(y), -1)
        return None, float(np.abs(flat - np.median(flat, axis=0)).mean())
    return None, None


@dataclass
class EpochRecord:
    epoch: int  # 0-based, as Keras's callbacks count
    logs: dict
    steps: dict = field(default_factory=dict)  # step_stats(...)
    weights: dict = field(default_factory=dict)  # path -> weight_stats(...)
    grads: dict = field(default_factory=dict)  # path -> grad_stats(...)
    activations: dict | None = None  # layer -> activation_stats(...)
    outputs: dict | None = None  # predictions.prediction_stats(...) on the sample
    partial: bool = False  # the epoch raised before it ended: recorded as far as it got


@dataclass
class Trace:
    facts: Facts
    records: list[EpochRecord]
    status: str = "completed"  # completed | raised (fit raised: `error` holds its first line)
    error: str | None = None
    epochs_asked: int | None = None  # fit(epochs=...), where known

    def series(self, key: str) -> np.ndarray:
        """logs[key] per epoch, NaN where missing; shape (epochs,)."""
        return np.array([r.logs.get(key, np.nan) for r in self.records], dtype=np.float64)

    def accuracy_key(self) -> str | None:
        keys = ("accuracy", "acc", "binary_accuracy", "categorical_accuracy",
                "sparse_categorical_accuracy")
        return next((k for k in keys if self.records and k in self.records[0].logs), None)


def unlearned(t: Trace) -> bool:
    """The run ended at UNLEARNED or more of the constant prediction's loss, or not finite
    (False where that loss is unknown, or nothing was recorded)."""
    loss, base = t.series("loss"), t.facts.baseline_loss
    return bool(base and len(loss) and not loss[-1] < UNLEARNED * base)


LR_RAISED = 4.0  # a learning rate over 4x its start was raised on purpose (a schedule, a callback)


def rate_raised(t: Trace, upto: int | None = None) -> tuple[float, float, int] | None:
    """(start, rate at epoch `upto` (0-based; the last by default), first epoch past
    LR_RAISED x the start, 1-based) where a schedule or callback raised the learning rate
    that far by then; else None."""
    rates = t.series("learning_rate")[:None if upto is None else upto + 1]
    start = t.facts.initial_learning_rate or (float(rates[0]) if len(rates) else 0.0)
    if not len(rates) or not np.isfinite(rates[-1]) or not start > 0 \
            or rates[-1] <= LR_RAISED * start:
        return None
    return start, float(rates[-1]), int(np.argmax(rates > LR_RAISED * start)) + 1


def input_shift(x_train, x_val) -> dict | None:
    """How far validation inputs sit from the training inputs, per feature (a single numeric
    input of any rank; None otherwise): `shift`, the median over features of |validation
    mean - training mean| in training standard deviations, and the worst `feature` with its
    two means. Features constant in training are left out."""
    try:
        a = np.asarray(x_train, dtype=np.float64)
        b = np.asarray(x_val, dtype=np.float64)[:4096]
    except (TypeError, ValueError):
        return None
    if a.ndim < 2 or b.ndim != a.ndim or a.shape[1:] != b.shape[1:] or not len(b):
        return None
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    sd = np.nanstd(a, axis=0)
    keep = np.flatnonzero(sd > 0)
    if not keep.size:
        return None
    mean_a, mean_b = np.nanmean(a[:, keep], axis=0), np.nanmean(b[:, keep], axis=0)
    shift = np.abs(mean_b - mean_a) / sd[keep]
    worst = int(np.nanargmax(shift))
    return dict(shift=float(np.nanmedian(shift)), feature=int(keep[worst]),
                train_mean=float(mean_a[worst]), val_mean=float(mean_b[worst]),
                worst_shift=float(shift[worst]))


NEAR_COPY = 0.05  # rows whose features differ by a root-mean-square 0.05 training sd: copies
MIN_FEATURES = 8  # in fewer dimensions honest neighbours sit close (20,000 points in 2-D: 0.01)
CONTINUOUS = 50  # distinct values a feature needs in training to count as continuous (a
# discrete feature makes honest rows identical)


def near_copies(x_train, x_val, n_val: int = 256, max_train: int = 20_000,
                max_features: int = 512) -> dict | None:
    """How many validation rows have a near-copy among the training rows (a single numeric
    input of continuous features; None otherwise, or where it is too large to check): `share`
    of `n` validation rows sampled. Augmenting or oversampling before the split puts jittered
    copies of a row on both sides, and validation then measures memory, not generalisation."""
    try:
        a = np.asarray(x_train, dtype=np.float64)
        b = np.asarray(x_val, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    if a.ndim < 2 or b.ndim != a.ndim or a.shape[1:] != b.shape[1:] or not len(b) \
            or len(a) > max_train:
        return None
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    if a.shape[1] > max_features or not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))):
        return None
    sd = a.std(axis=0)
    keep = sd > 0
    rows = a[:2000]  # enough rows to tell a continuous feature from a discrete one
    distinct = np.array([len(np.unique(rows[:, j])) for j in np.flatnonzero(keep)])
    if keep.sum() < MIN_FEATURES or np.mean(distinct >= min(CONTINUOUS, len(rows) // 4)) < 0.9:
        return None
    a, b = a[:, keep] / sd[keep], b[:, keep] / sd[keep]
    b = b[np.unique(np.linspace(0, len(b) - 1, min(n_val, len(b))).astype(int))]
    a_sq = (a * a).sum(axis=1)
    nearest = np.empty(len(b))
    for i in range(0, len(b), 64):
        chunk = b[i:i + 64]
        d2 = (chunk * chunk).sum(axis=1)[:, None] + a_sq[None, :] - 2 * chunk @ a.T
        nearest[i:i + 64] = np.sqrt(np.maximum(d2.min(axis=1), 0) / a.shape[1])
    return dict(share=float(np.mean(nearest < NEAR_COPY)), n=len(b),
                median=float(np.median(nearest)))


def raised_text(start: float, end: float, epoch: int) -> str:
    """The evidence's words for rate_raised's (start, end, epoch)."""
    return (f"; the learning rate rose from {start:.4g} to {end:.4g}, past {LR_RAISED:g}x its "
            f"start by epoch {epoch}")


def validation_against_training(t: Trace) -> str:
    """'; val_accuracy 0.571 against accuracy 0.801' (or the losses) at the last epoch; ''
    without validation."""
    key, logs = t.accuracy_key(), t.records[-1].logs if t.records else {}
    if key and f"val_{key}" in logs and key in logs:
        return f"; val_{key} {logs[f'val_{key}']:.3f} against {key} {logs[key]:.3f}"
    if "val_loss" in logs and "loss" in logs:
        return f"; val_loss {logs['val_loss']:.4g} against loss {logs['loss']:.4g}"
    return ""


def at_floor(t: Trace) -> bool:
    """The task is learned: loss a small share of the constant prediction's, or accuracy ~1."""
    loss, base, key = t.series("loss"), t.facts.baseline_loss, t.accuracy_key()
    if base and np.isfinite(loss[-1]) and loss[-1] < FLOOR_SHARE * base:
        return True
    return bool(key and t.facts.loss_kind in CROSS_ENTROPY and t.series(key)[-1] >= FLOOR_ACCURACY)


def weight_stats(w: np.ndarray, previous: np.ndarray | None) -> dict:
    """norm, max_abs (finite values), nonfinite count, ndim, `change`: the largest absolute
    change since `previous`, and `delta`: the norm of that change (both None without one)."""
    w = np.asarray(w, dtype=np.float64)
    finite = np.isfinite(w)
    change = delta = None
    if previous is not None and previous.shape == w.shape:
        diff = np.abs(w - previous)
        diff = diff[np.isfinite(diff)]
        change = float(diff.max()) if diff.size else (0.0 if not w.size else math.nan)
        delta = float(np.linalg.norm(diff))
    return dict(norm=float(np.linalg.norm(w[finite])),
                max_abs=float(np.abs(w[finite]).max(initial=0)),
                nonfinite=int((~finite).sum()), change=change, delta=delta, ndim=int(w.ndim))


def grad_stats(g: np.ndarray) -> dict:
    """norm, max_abs (finite values), `zero`: the share of entries exactly 0, nonfinite count."""
    g = np.asarray(g, dtype=np.float64)
    finite = np.isfinite(g)
    return dict(norm=float(np.linalg.norm(g[finite])),
                max_abs=float(np.abs(g[finite]).max(initial=0)),
                zero=float(np.mean(g == 0)) if g.size else 1.0, nonfinite=int((~finite).sum()))


class Flat:
    """Named arrays as one float64 vector, so that a statistic of every array is one numpy
    call (np.ufunc.reduceat over the arrays' segments) rather than one per array: a small
    model's ten weights and gradients, summarised one by one, took ~100 calls an epoch, a tenth
    of a tiny epoch's time. names, shapes: the arrays', in order; values: (total size,)."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        arrays = {k: np.asarray(a) for k, a in arrays.items()}
        self.names, self.shapes = list(arrays), [a.shape for a in arrays.values()]
        self.sizes = [a.size for a in arrays.values()]
        self.values = (np.concatenate([a.ravel() for a in arrays.values()]).astype(np.float64)
                       if arrays else np.zeros(0))
        self.starts = np.cumsum([0] + self.sizes[:-1])
        # reduceat takes no empty segments (nor an empty list of them) and, here, no non-finite
        # values: those go one by one, through weight_stats and grad_stats themselves.
        self.plain = bool(self.sizes) and all(self.sizes) and bool(np.isfinite(self.values).all())

    def arrays(self) -> dict[str, np.ndarray]:
        ends = np.cumsum(self.sizes)
        return {k: self.values[e - n:e].reshape(shape)
                for k, shape, n, e in zip(self.names, self.shapes, self.sizes, ends)}

    def norms(self, values: np.ndarray) -> np.ndarray:
        return np.sqrt(np.add.reduceat(values * values, self.starts))

    def max_abs(self, values: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(np.abs(values), self.starts)


def all_weight_stats(weights: dict[str, np.ndarray],
                     previous: Flat | None) -> tuple[dict[str, dict], Flat]:
    """{path: weight_stats(w, previous w)} for every weight at once, and the weights as a Flat
    to pass as `previous` next epoch."""
    flat = Flat(weights)
    same = (previous is not None and previous.plain and previous.names == flat.names
            and previous.shapes == flat.shapes)
    if not flat.plain or (previous is not None and not same):
        before = previous.arrays() if previous is not None else {}
        return {k: weight_stats(w, before.get(k)) for k, w in flat.arrays().items()}, flat
    norms, max_abs = flat.norms(flat.values), flat.max_abs(flat.values)
    change = delta = [None] * len(flat.names)
    if same:
        diff = flat.values - previous.values
        change, delta = flat.max_abs(diff).tolist(), flat.norms(diff).tolist()
    return {k: dict(norm=n, max_abs=m, nonfinite=0, change=c, delta=d, ndim=len(shape))
            for k, shape, n, m, c, d in zip(flat.names, flat.shapes, norms.tolist(),
                                            max_abs.tolist(), change, delta)}, flat


def all_grad_stats(grads: dict[str, np.ndarray]) -> dict[str, dict]:
    """{path: grad_stats(g)} for every gradient at once."""
    flat = Flat(grads)
    if not flat.plain:
        return {k: grad_stats(g) for k, g in flat.arrays().items()}
    zeros = np.add.reduceat((flat.values == 0).astype(np.float64), flat.starts) / flat.sizes
    return {k: dict(norm=n, max_abs=m, zero=z, nonfinite=0)
            for k, n, m, z in zip(flat.names, flat.norms(flat.values).tolist(),
                                  flat.max_abs(flat.values).tolist(), zeros.tolist())}


def step_stats(steps: np.ndarray) -> dict:
    """An epoch's step losses, shape (steps,): n, nonfinite count, first_nonfinite (0-based
    step), and mean, std, min, max of the finite ones."""
    steps = np.asarray(steps, dtype=np.float64)
    if steps.size and np.isfinite(steps).all():  # the common case, in fewer calls than below
        mean = steps.mean()
        return dict(n=int(steps.size), nonfinite=0, first_nonfinite=None, mean=float(mean),
                    std=float(np.sqrt(np.mean(np.square(steps - mean)))),
                    min=float(steps.min()), max=float(steps.max()))
    finite = steps[np.isfinite(steps)]
    bad = np.flatnonzero(~np.isfinite(steps))
    s = dict(n=int(steps.size), nonfinite=int(bad.size),
             first_nonfinite=int(bad[0]) if bad.size else None)
    if finite.size:
        s.update(mean=float(finite.mean()), std=float(finite.std()),
                 min=float(finite.min()), max=float(finite.max()))
    return s
