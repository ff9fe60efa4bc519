"""Diagnostics: "my loss won't go down: why?"

Two halves, both generic (they reason from what a run shows, never from which program it is):

- `preflight(model, x, y)` looks at a compiled Keras model and a data sample before training:
  outputs that cannot learn, labels the output and loss cannot produce, activation/loss
  mismatches, unscaled inputs, units saturated or dead at initialisation.
- `Diagnostics` is an observer (scen.observe) that records each epoch (logs, step losses,
  weight and gradient statistics, activation statistics on a small sample) and, when training
  ends, runs the in-run detectors over that trace.

`DiagnoseCallback` adapts Keras's callback events into a `Diagnostics`, for users' own models:

    from scen.diagnose import DiagnoseCallback
    model.fit(x, y, epochs=20, callbacks=[diag := DiagnoseCallback(x, y)])
    print(diag.report())

Nothing here imports Keras at module level: `import scen.diagnose` stays cheap, and the
callback class is built on first access.
"""

from __future__ import annotations

import json
import math
import sys
import warnings
from dataclasses import asdict, dataclass, field

import numpy as np

from scen.observe import Observer, RunInfo

SEVERITIES = ("error", "warning", "info")

# --- Thresholds. Each is a judgement; the comment says what it rests on. ---------------------

SAMPLE_SIZE = 256  # samples kept for preflight and activation statistics: enough for shares
# of a batch to be stable to a few percent, small enough that a forward pass costs milliseconds.
GRAD_SAMPLE = 64  # TF/JAX keep no gradients: they are recomputed on this many samples.

INPUT_ABS_LIMIT = 20.0  # 99.9th percentile of |x|: standardised features rarely pass ~5; raw
# pixels (255), counts, years and prices do. A percentile, so that one outlier does not count.
INPUT_STD_LIMIT = 10.0  # largest per-feature std: Keras's Glorot init assumes unit-scale inputs.
INPUT_FAR = 5.0  # 5x those limits (|x| ~ 100, like 0..255 pixels) is an error: pre-activations
# of tens to hundreds saturate any sigmoid/tanh/softmax; between, ReLU nets train, slowly.
TARGET_ABS_LIMIT = 100.0  # median |y| of a regression target: outputs start near 0 and move by
# about the learning rate per step, so targets in the hundreds take thousands of steps to reach.
TARGET_OUTSIDE_SHARE = 0.01  # share of targets an output activation cannot reach before it counts.

SIGMOID_SATURATED = 0.0025  # sigmoid'(z) = s(1-s) below 1% of its maximum 0.25: |z| > ~6.
TANH_SATURATED = 0.01  # tanh'(z) = 1 - t^2 below 1% of its maximum 1: |z| > ~3.
SOFTMAX_SATURATED = 0.99  # a row whose largest probability is above this is one-hot already.
SATURATED_SHARE = 0.5  # "most of the batch": over half the unit-sample pairs are saturated.
DEAD_RELU_SHARE = 0.5  # over half a layer's ReLUs never fire on the sample. Some dead units are
# normal (a unit whose weights all point away from positive data); a majority wastes the layer.
TIE_SHARE_WARNING = 0.1  # rows whose largest output is tied (exactly equal values): argmax, and
TIE_SHARE_ERROR = 0.5  # so Keras's accuracy, picks the first; at half the rows accuracy is noise.

HUGE_CE_MARGIN = 1.25  # a cross-entropy of probabilities clipped at Keras's epsilon (1e-7) is at
# most -log(1e-7) = 16.1 per label; above 1.25x that it was computed from unbounded logits.
DIVERGE_RISE = 0.25  # the training loss ended 25% above where it started (epoch means of a
# training loss do not rise that far by batch noise, and dropout noise is far smaller).
DIVERGE_FROM_MIN = 2.0  # ...or doubled from its lowest point.
SPIKE = 10.0  # an epoch loss 10x the start, even if it comes back down, is instability.
WORSE_THAN_CONSTANT = 1.5  # loss 1.5x that of the best constant prediction...
WORSE_MIN_EPOCHS = 5  # ...after 5 epochs: a fresh regression head starts far from the targets.
MIN_EPOCHS_TREND = 3  # trends need at least this many epochs.
OSCILLATION_MIN_EPOCHS = 6  # five epoch-to-epoch changes, at least, to call a pattern.
OSCILLATION_FLIPS = 0.6  # share of epoch-to-epoch changes that reverse direction (noise: ~0.5
# only once the loss is flat; a descending loss rarely flips at all).
OSCILLATION_AMPLITUDE = 0.1  # median epoch-to-epoch jump, as a share of the loss itself.
CHANCE_MARGIN = 0.05  # accuracy within 5 points of chance (the majority-class share) is chance.
SLOW_START_EPOCHS = 10  # stuck at chance for at least 10 epochs...
SLOW_START_SHARE = 0.1  # ...and at least 10% of the epochs it took to learn...
SLOW_START_LOSS_SHARE = 0.9  # ...with the loss still >= 90% of the constant prediction's
# (a loss well below it means the model learns, and only the 0.5 threshold lags: imbalance).
PLATEAU_MIN_EPOCHS = 20  # "early" vs "late" needs a run long enough to have both.
PLATEAU_SLOWDOWN = 20.0  # late improvement per epoch is under 1/20 of the early one...
PLATEAU_RELATIVE_RATE = 0.005  # ...and under 0.5% of the loss itself per epoch: a loss that
# falls like 1/t (normal) still drops ~3%/epoch at epoch 30; a crawl drops a fraction of 1%.
PLATEAU_TREND_NOISE = 3.0  # the late half still falls: its linear trend drops by over 3x the
# scatter of the epochs around it (not a noisy floor)...
PLATEAU_DECAY = 0.5  # ...and whose progress does not keep halving within the late half (a
# loss converging geometrically to the data's floor does; a crawl keeps a steady pace).
FLOOR_SHARE = 0.1  # a loss under 10% of the constant prediction's loss has learned the task.
FLOOR_ACCURACY = 0.99  # a classifier this accurate has nothing left to show on the loss.
OVERFIT_RISE = 0.1  # validation loss 10% above its best...
OVERFIT_EPOCHS = 3  # ...for at least 3 epochs after its best, while the training loss fell.
GAP_ACCURACY = 0.15  # train accuracy 15 points above validation accuracy.
VANISHING_RATIO = 1e-3  # first layer's relative gradient (|g|/|w|) vs the last layer's: a
# thousandfold gap (10 sigmoid layers give ~1e-6; healthy ReLU stacks stay within ~10x).
ACTIVATIONS_EVERY_EPOCH_UP_TO = 30  # longer runs record activations (and, on TF/JAX, recompute
# gradients) ~12 times (first, last, every tenth of the run): a forward and backward pass per
# epoch would dominate a run of tiny epochs (measured: 2x the run time on JAX, 400 samples).

# Layers that pass their input on with the same values (so look through them).
PASSTHROUGH = {"Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D",
               "GaussianNoise", "GaussianDropout", "AlphaDropout", "ActivityRegularization",
               "Identity"}
# Layers that move values around without scaling them (input scale carries through).
RESHAPING = PASSTHROUGH | {"Flatten", "Reshape", "Permute", "Concatenate", "RepeatVector",
                           "Cropping1D", "Cropping2D", "Cropping3D", "ZeroPadding1D",
                           "ZeroPadding2D", "ZeroPadding3D", "InputLayer"}
# A first layer of one of these kinds makes raw input scale harmless (or meaningful, for ids).
SELF_SCALING = {"Embedding", "Normalization", "Rescaling", "BatchNormalization",
                "LayerNormalization", "GroupNormalization", "UnitNormalization",
                "IntegerLookup", "StringLookup", "CategoryEncoding", "Hashing",
                "TextVectorization", "Discretization", "HashedCrossing", "RMSNormalization"}
PROBABILITY = {"sigmoid", "softmax", "hard_sigmoid"}
RANGES = {"sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0),
          "tanh": (-1.0, 1.0), "relu": (0.0, math.inf), "relu6": (0.0, 6.0),
          "softplus": (0.0, math.inf), "exponential": (0.0, math.inf)}
UNBOUNDED = {"linear", "relu", "relu6", "elu", "selu", "gelu", "silu", "swish", "leaky_relu",
             "tanh", "softplus", "exponential", "mish", "celu", "softsign"}
LOSS_KINDS = {
    "binary_ce": {"binarycrossentropy", "bce", "binaryfocalcrossentropy"},
    "categorical_ce": {"categoricalcrossentropy", "cce", "categoricalfocalcrossentropy"},
    "sparse_ce": {"sparsecategoricalcrossentropy", "scce"},
    "mse": {"meansquarederror", "mse"},
    "mae": {"meanabsoluteerror", "mae"},
    "regression": {"huber", "logcosh", "meansquaredlogarithmicerror", "msle",
                   "meanabsolutepercentageerror", "mape"},
}
CROSS_ENTROPY = {"binary_ce", "categorical_ce", "sparse_ce"}
ONE_OF_K = {"categorical_ce", "sparse_ce"}  # losses whose accuracy is an argmax


@dataclass
class Finding:
    name: str  # stable snake_case id
    severity: str  # error | warning | info
    summary: str
    evidence: str
    fix: str
    layer: str | None = None
    epoch: int | None = None  # 1-based, as Keras prints epochs

    def as_dict(self) -> dict:
        return asdict(self)


def _sorted(findings: list[Finding]) -> list[Finding]:
    seen, out = set(), []
    for f in findings:  # one finding per (name, layer): preflight and in-run may both see it
        if (f.name, f.layer) not in seen:
            seen.add((f.name, f.layer))
            out.append(f)
    return sorted(out, key=lambda f: SEVERITIES.index(f.severity))


def _g(v) -> str:
    return f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)


# --- Samples ----------------------------------------------------------------------------------


def _n(x) -> int:
    return len(_arrays(x)[0])


def _take(x, idx):
    if isinstance(x, (list, tuple)):
        return [np.asarray(a)[idx] for a in x]
    if isinstance(x, dict):
        return {k: np.asarray(a)[idx] for k, a in x.items()}
    return np.asarray(x)[idx]


def sample(x, y, n: int = SAMPLE_SIZE):
    """Evenly spaced rows, not the first n: data sorted by class would give one class only."""
    total = _n(x)
    idx = np.unique(np.linspace(0, total - 1, min(n, total)).astype(int))
    return _take(x, idx), (None if y is None else _take(y, idx))


def _arrays(x) -> list[np.ndarray]:
    if isinstance(x, (list, tuple)):
        return [np.asarray(a) for a in x]
    if isinstance(x, dict):
        return [np.asarray(a) for a in x.values()]
    return [np.asarray(x)]


# --- Reading the model (public Keras API: layers, inputs/outputs, layer.input/output, loss) ---


def _flat(t) -> list:
    if t is None:
        return []
    if isinstance(t, (list, tuple)):
        return [u for s in t for u in _flat(s)]
    if isinstance(t, dict):
        return [u for s in t.values() for u in _flat(s)]
    return [t]


def _io(layer, attr) -> list:
    try:
        return _flat(getattr(layer, attr))
    except (AttributeError, ValueError):  # never called, or not part of a graph
        return []


def _graph(model, x=None) -> bool:
    """Make sure model.inputs/outputs exist (an unbuilt Sequential has none); False if the model
    is subclassed and has no graph to read."""
    try:
        return bool(model.inputs) and bool(model.outputs)
    except (AttributeError, ValueError):
        pass
    if x is not None and type(model).__name__ == "Sequential" and not isinstance(x, (list, dict)):
        try:
            model.build((None,) + np.asarray(x).shape[1:])
            return bool(model.inputs)
        except Exception:
            return False
    return False


def activation_of(layer) -> str | None:
    """The activation a layer applies to its own output, by name; None if none or unknown.
    Recurrent layers are skipped: their `activation` is not applied to the output directly."""
    cls = type(layer).__name__
    if cls == "Softmax":
        return "softmax"
    if cls == "ReLU":
        plain = not getattr(layer, "negative_slope", 0) and not getattr(layer, "threshold", 0)
        return "relu" if plain else "leaky_relu"
    if hasattr(layer, "cell") or hasattr(layer, "forward_layer"):
        return None
    fn = getattr(layer, "activation", None)
    if fn is None or isinstance(fn, str):
        return fn
    return getattr(fn, "__name__", type(fn).__name__).lower()


def _producers(model) -> dict:
    out = {}
    for layer in model.layers:
        for t in _io(layer, "output"):
            out[id(t)] = layer
    return out


@dataclass
class OutputSpec:
    layer: str | None
    activation: str | None  # None: unknown (subclassed model, custom layer)
    units: int | None
    loss_kind: str | None  # binary_ce | categorical_ce | sparse_ce | mse | mae | regression
    loss_name: str
    from_logits: bool


def loss_kind(loss) -> tuple[str | None, str, bool]:
    """(kind, name, from_logits) of a loss given as a string, a function or a Loss object."""
    from_logits = False
    if isinstance(loss, str):
        name = loss
    elif hasattr(loss, "fn"):  # LossFunctionWrapper: CategoricalCrossentropy(...) and friends
        name = getattr(loss.fn, "__name__", type(loss).__name__)
        from_logits = bool(getattr(loss, "_fn_kwargs", {}).get("from_logits", False))
    elif hasattr(loss, "__name__"):
        name = loss.__name__
    else:
        name = type(loss).__name__
    from_logits = from_logits or bool(getattr(loss, "from_logits", False))
    key = name.replace("_", "").lower()
    for kind, names in LOSS_KINDS.items():
        if key in names:
            return kind, name, from_logits
    return None, name, from_logits


def output_specs(model, x=None) -> list[OutputSpec]:
    """One spec per model output: the producing layer, its activation, units and the loss."""
    graph = _graph(model, x)
    loss = getattr(model, "loss", None)
    if graph:
        tensors = list(model.outputs)
    else:  # subclassed: units from a forward pass, activation unknown
        import keras

        y = model(_take(x, slice(0, 2))) if x is not None else None
        tensors = [keras.ops.convert_to_numpy(t) for t in _flat(y)]
    names = list(getattr(model, "output_names", None) or [])
    if isinstance(loss, dict):
        losses = ([loss.get(n) for n in names] if len(names) == len(tensors)
                  else [None] * len(tensors))
    elif isinstance(loss, (list, tuple)):
        losses = list(loss) + [None] * (len(tensors) - len(loss))
    else:
        losses = [loss] * len(tensors)
    producers = _producers(model) if graph else {}
    specs = []
    for t, lo in zip(tensors, losses):
        layer = producers.get(id(t))
        while layer is not None and type(layer).__name__ in PASSTHROUGH:
            inputs = _io(layer, "input")
            layer = producers.get(id(inputs[0])) if inputs else None
        kind, name, logits = loss_kind(lo) if lo is not None else (None, "", False)
        units = t.shape[-1] if len(t.shape) > 1 else 1
        specs.append(OutputSpec(layer.name if layer is not None else None,
                                activation_of(layer) if layer is not None else None,
                                units, kind, name, logits))
    return specs


def _targets(y, n: int) -> list:
    if n == 1 and not isinstance(y, (list, tuple, dict)):
        return [y]
    if isinstance(y, dict):
        return list(y.values())[:n] + [None] * max(0, n - len(y))
    if isinstance(y, (list, tuple)) and len(y) == n:
        return list(y)
    return [y] + [None] * (n - 1)


# --- Activation statistics (shared by preflight and the in-run recorder) ---------------------


class _Extractor:
    """A keras.Model over the outputs of every layer with a known activation (plus the model's
    output), sharing the live layers, so its answers follow the weights as they train."""

    KINDS = {"sigmoid", "hard_sigmoid", "tanh", "relu", "relu6", "softmax"}

    def __init__(self, model):
        import keras

        self.layers = [l for l in model.layers
                       if activation_of(l) in self.KINDS and len(_io(l, "output")) == 1]
        inputs = model.inputs if len(model.inputs) > 1 else model.inputs[0]
        outputs = [l.output for l in self.layers] + [model.outputs[0]]
        self.model = keras.Model(inputs, outputs)
        self.keras = keras

    def __call__(self, x) -> dict[str, dict]:
        import contextlib

        context = contextlib.nullcontext()
        if self.keras.backend.backend() == "torch":
            import torch

            context = torch.no_grad()
        with context, warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras warns about input structure and batch size
            values = self.model(x, training=False)
        values = [np.asarray(self.keras.ops.convert_to_numpy(v), dtype=np.float32) for v in values]
        stats = {l.name: activation_stats(activation_of(l), v) for l, v in zip(self.layers, values)}
        out = values[-1]
        if out.ndim >= 2 and out.shape[-1] > 1:
            stats["(output)"] = dict(kind="output", ties=_tie_share(out),
                                     nonfinite=int((~np.isfinite(out)).sum()))
        return stats


def activation_stats(kind: str, a: np.ndarray) -> dict:
    """Saturated share (derivative under 1% of its maximum), exact limits in float32, dead
    ReLU units (never positive on the sample), and non-finite values."""
    a = np.asarray(a, dtype=np.float32)
    s = dict(kind=kind, nonfinite=int((~np.isfinite(a)).sum()), units=int(a.shape[-1]))
    if kind in ("sigmoid", "hard_sigmoid"):
        s["saturated"] = float(np.mean(a * (1 - a) < SIGMOID_SATURATED))
        s["exact"] = float(np.mean((a == 0.0) | (a == 1.0)))
    elif kind == "tanh":
        s["saturated"] = float(np.mean(1 - a * a < TANH_SATURATED))
        s["exact"] = float(np.mean(np.abs(a) == 1.0))
    elif kind in ("relu", "relu6"):
        fired = (a > 0).reshape(-1, a.shape[-1]).any(axis=0)
        s["dead"] = float(1 - fired.mean())
        s["zero"] = float(np.mean(a <= 0))
    elif kind == "softmax" and a.shape[-1] > 1:
        s["saturated"] = float(np.mean(a.max(axis=-1) > SOFTMAX_SATURATED))
    if a.ndim >= 2 and a.shape[-1] > 1 and kind in ("sigmoid", "hard_sigmoid", "softmax"):
        s["ties"] = _tie_share(a)
    return s


def _tie_share(a: np.ndarray) -> float:
    rows = a.reshape(-1, a.shape[-1])
    return float(np.mean((rows == rows.max(axis=1, keepdims=True)).sum(axis=1) >= 2))


# --- Preflight --------------------------------------------------------------------------------


def preflight(model, x, y, when: str = "at initialisation") -> list[Finding]:
    """Checks on a compiled model and a data sample, before training. `when` words the evidence
    of the activation checks (the in-run recorder may run this after the first epoch)."""
    x, y = sample(x, y)
    findings = check_inputs(model, x)
    findings += check_softmax_axes(model)
    specs = output_specs(model, x)
    single = {f.layer for f in findings if f.name == "softmax_single_unit"}
    for spec, target in zip(specs, _targets(y, len(specs))):
        if target is None or spec.layer in single:
            continue
        try:
            target = np.asarray(target, dtype=np.float64)
        except (TypeError, ValueError):
            continue  # string labels, ragged targets: Keras will say so itself
        findings += check_output_and_loss(spec, target)
    if _graph(model, x):
        try:
            trained = when != "at initialisation"
            findings += check_activations(_Extractor(model)(x), when,
                                          specs[0].layer if trained else None,
                                          specs[0].loss_kind in ONE_OF_K)
        except Exception as e:  # a model we cannot take apart: say so, do not fail
            findings.append(Finding("activations_not_checked", "info",
                                    "could not run the model's layers on the sample",
                                    f"{type(e).__name__}: {e}", "none needed"))
    if any(f.name == "saturated_units" and f.severity == "error" for f in findings):
        for f in findings:
            if f.name == "unscaled_inputs":
                f.severity = "error"  # and it saturates units: it breaks training
    return _sorted(findings)


def _consumers(model, tensor, seen=None) -> list:
    """The first layers that change the values of `tensor` (looking through reshapes)."""
    seen = set() if seen is None else seen
    out = []
    for layer in model.layers:
        if id(layer) in seen or not any(t is tensor for t in _io(layer, "input")):
            continue
        seen.add(id(layer))
        if type(layer).__name__ in RESHAPING:
            for t in _io(layer, "output"):
                out += _consumers(model, t, seen)
        else:
            out.append(layer)
    return out


def check_inputs(model, x) -> list[Finding]:
    findings = []
    inputs = list(model.inputs) if _graph(model, x) else [None] * len(_arrays(x))
    for i, (a, t) in enumerate(zip(_arrays(x), inputs)):
        if not np.issubdtype(a.dtype, np.number):
            continue
        name = f"input {i}" if len(inputs) > 1 else "the input"
        a = a.astype(np.float64)
        bad = ~np.isfinite(a)
        if bad.any():
            findings.append(Finding(
                "nonfinite_inputs", "error", f"{name} contains NaN or Inf",
                f"{int(bad.sum())} of {a.size} values in the sample of {name} are NaN or Inf.",
                "Clean the data (np.nan_to_num, imputation) before fit: one NaN makes every "
                "weight NaN after the first step."))
            continue
        consumers = _consumers(model, t) if t is not None else []
        if any(type(c).__name__ in SELF_SCALING for c in consumers):
            continue  # ids for an Embedding, or a model that scales its own inputs
        if t is None and np.issubdtype(np.asarray(_arrays(x)[i]).dtype, np.integer):
            continue  # a subclassed model fed integers: probably ids, cannot tell
        top = float(np.percentile(np.abs(a), 99.9))
        std = float(a.reshape(len(a), -1).std(axis=0).max()) if len(a) > 1 else 0.0
        if top > INPUT_ABS_LIMIT or std > INPUT_STD_LIMIT:
            first = consumers[0].name if consumers else None
            far = top > INPUT_FAR * INPUT_ABS_LIMIT or std > INPUT_FAR * INPUT_STD_LIMIT
            findings.append(Finding(
                "unscaled_inputs", "error" if far else "warning",
                f"{name} is not scaled: values far from unit scale",
                f"{name} ranges over [{_g(float(a.min()))}, {_g(float(a.max()))}] (99.9th "
                f"percentile of |x| {_g(top)}, largest feature std {_g(std)}); Keras's default "
                "initialisation expects features of order 1, so the first layer's "
                "pre-activations are huge: sigmoid/tanh/softmax units saturate, ReLU nets "
                "take huge, erratic steps.",
                "Scale the inputs: x / 255 for pixels, or standardise per feature "
                "((x - mean) / std, e.g. a keras.layers.Normalization layer adapted on the "
                "training data as the model's first layer).", layer=first))
    return findings


def check_softmax_axes(model) -> list[Finding]:
    """A softmax over an axis of size 1 is exactly 1.0 whatever its input: no gradient."""
    findings = []
    for layer in model.layers:
        act = activation_of(layer)
        if act not in ("softmax", "log_softmax"):
            continue
        outs = _io(layer, "output")
        units = getattr(layer, "units", None)
        if units is None and outs:
            axis = getattr(layer, "axis", -1)
            axis = axis if isinstance(axis, int) else -1
            units = outs[0].shape[axis]
        if units == 1:
            const = "1.0" if act == "softmax" else "0.0"
            findings.append(Finding(
                "softmax_single_unit", "error",
                f"{act} over a single unit: the output is constantly {const} and cannot learn",
                f"layer '{layer.name}' applies {act} over an axis of size 1, so its output is "
                f"exactly {const} for every input and every gradient through it is exactly 0; "
                "the weights never change.",
                "For a regression use Dense(1) with no activation (linear) and "
                "loss='mean_squared_error'; for K classes use Dense(K, activation='softmax') "
                "with categorical_crossentropy (one-hot) or sparse_categorical_crossentropy "
                "(integer labels); for two classes Dense(1, activation='sigmoid') with "
                "binary_crossentropy.", layer=layer.name))
    return findings


def _values_text(y: np.ndarray) -> str:
    u = np.unique(y[np.isfinite(y)])
    if len(u) <= 6:
        return "{" + ", ".join(_g(float(v)) for v in u) + "}"
    return f"[{_g(float(u.min()))}, {_g(float(u.max()))}]"


def check_output_and_loss(spec: OutputSpec, y: np.ndarray) -> list[Finding]:
    """Labels and targets against what the output activation and the loss can produce."""
    if spec.loss_kind is None:
        return []
    if y.ndim == 1:
        y = y[:, None]  # Keras expands y by one rank to match an output of shape (n, units)
    f = check_activation_fits_loss(spec)
    if any(x.name == "categorical_crossentropy_single_unit" for x in f):
        return f
    finite = y[np.isfinite(y)]
    if finite.size < y.size:
        return f + [Finding("nonfinite_targets", "error", "the targets contain NaN or Inf",
                            f"{y.size - finite.size} of {y.size} target values are NaN or Inf.",
                            "Remove or impute those samples before fit.", layer=spec.layer)]
    check = {"binary_ce": check_binary_labels, "categorical_ce": check_categorical_labels,
             "sparse_ce": check_sparse_labels}.get(spec.loss_kind, check_regression_targets)
    return f + check(spec, y)


def check_activation_fits_loss(spec: OutputSpec) -> list[Finding]:
    f, act, k, units, layer = [], spec.activation, spec.loss_kind, spec.units, spec.layer
    if k in CROSS_ENTROPY and not spec.from_logits and act in UNBOUNDED:
        f.append(Finding(
            "cross_entropy_on_unbounded_output", "error",
            f"{spec.loss_name} on a '{act}' output, which is not a probability",
            f"output layer '{layer}' has activation '{act}', whose values are not in [0, 1] "
            "(nor sum to 1), but the loss expects probabilities; Keras clips them to "
            "[1e-7, 1-1e-7], where the gradient is zero.",
            f"Use activation='{'sigmoid' if k == 'binary_ce' else 'softmax'}' on the output, "
            f"or keep it linear and pass from_logits=True to the loss.", layer=layer))
    if k in CROSS_ENTROPY and spec.from_logits and act in PROBABILITY:
        f.append(Finding(
            "probabilities_as_logits", "warning",
            f"from_logits=True on a '{act}' output: the activation is applied twice",
            f"output layer '{layer}' already applies '{act}', and the loss applies it again.",
            "Remove the output activation (keep from_logits=True), or set from_logits=False.",
            layer=layer))
    if k in ONE_OF_K and act in ("sigmoid", "hard_sigmoid") and units and units > 1:
        f.append(Finding(
            "sigmoid_with_categorical_crossentropy", "warning",
            f"{units} sigmoid outputs with {spec.loss_name}: the outputs are not a distribution",
            f"output layer '{layer}' has {units} independent sigmoid units. On the torch and "
            "JAX backends Keras divides them by their sum and clips before the log; on "
            "TensorFlow it computes a softmax cross-entropy from the pre-sigmoid logits "
            "(unbounded: the loss grows with the weights). Several sigmoids can sit at exactly "
            "1.0 and tie under argmax.",
            "For one-of-K classes use Dense(K, activation='softmax'); for independent labels "
            "use binary_crossentropy.", layer=layer))
    # Cross-entropy over one unit: the normalised output is 1, the loss constantly 0.
    if k == "categorical_ce" and units == 1:
        f.append(Finding(
            "categorical_crossentropy_single_unit", "error",
            "categorical_crossentropy over a single output unit: the loss is always 0",
            f"output layer '{layer}' has 1 unit; categorical cross-entropy normalises it to "
            "1.0, so the loss is 0 and every gradient is 0 whatever the labels.",
            "For two classes use Dense(1, activation='sigmoid') with binary_crossentropy, or "
            "Dense(2, activation='softmax') with one-hot labels.", layer=layer))
    return f


def check_binary_labels(spec: OutputSpec, y: np.ndarray) -> list[Finding]:
    f, units, layer, width = [], spec.units, spec.layer, y.shape[-1]
    if y.min() < 0 or y.max() > 1:
        f.append(Finding(
            "labels_out_of_range", "error",
            f"{spec.loss_name} labels outside [0, 1]",
            f"the labels take values {_values_text(y)}; binary cross-entropy needs labels "
            "in [0, 1] (Keras on torch raises 'all elements of target should be between 0 "
            "and 1'; TensorFlow and JAX train on, with a loss that goes negative and "
            "accuracy stuck).",
            "Map the labels to 0/1, e.g. y = (y == positive_class).astype('float32') "
            "(for labels 1/2: y - 1).", layer=layer))
    elif units and width != units:
        f.append(_shape_mismatch(spec, y, "Give one 0/1 column per output unit, or use "
                                 "Dense(1, activation='sigmoid') for a single label."))
    return f


def check_categorical_labels(spec: OutputSpec, y: np.ndarray) -> list[Finding]:
    f, units, layer, width = [], spec.units, spec.layer, y.shape[-1]
    integer = bool(np.all(y == np.round(y)))
    if width == 1 and units and units > 1:
        f.append(Finding(
            "integer_labels_with_categorical_crossentropy", "error",
            "categorical_crossentropy with class indices instead of one-hot labels",
            f"the labels have shape {y.shape} with values {_values_text(y)}, but the "
            f"output has {units} units; categorical cross-entropy needs one-hot rows of "
            f"width {units} (Keras on torch raises a shape ValueError).",
            "Use loss='sparse_categorical_crossentropy' with the integer labels, or "
            f"one-hot them: keras.utils.to_categorical(y, {units})." if integer
            else "Check which loss the labels were made for.",
            layer=layer))
    elif units and width != units:
        f.append(_shape_mismatch(spec, y, f"Make the one-hot labels {units} wide, or the "
                                 f"output Dense({width})."))
    elif y.min() < 0 or y.max() > 1:
        f.append(Finding(
            "labels_out_of_range", "error", "categorical labels outside [0, 1]",
            f"the labels take values {_values_text(y)}; one-hot labels are 0 or 1.",
            "One-hot encode the class indices with keras.utils.to_categorical.",
            layer=layer))
    elif not np.allclose(y.reshape(-1, width).sum(axis=1), 1.0, atol=1e-3):
        f.append(Finding(
            "labels_not_one_hot", "warning", "categorical labels whose rows do not sum to 1",
            f"row sums of the labels range over [{_g(float(y.sum(-1).min()))}, "
            f"{_g(float(y.sum(-1).max()))}]; categorical cross-entropy treats each row "
            "as one distribution over classes.",
            "For several labels per sample use sigmoid outputs with binary_crossentropy.",
            layer=layer))
    return f


def check_sparse_labels(spec: OutputSpec, y: np.ndarray) -> list[Finding]:
    f, units, layer, width = [], spec.units, spec.layer, y.shape[-1]
    onehot = units and units > 1 and width == units and set(np.unique(y)) <= {0.0, 1.0}
    if onehot:
        f.append(Finding(
            "one_hot_labels_with_sparse_crossentropy", "error",
            "sparse_categorical_crossentropy with one-hot labels",
            f"the labels are one-hot rows of width {width}; the sparse loss expects one "
            "integer class index per sample.",
            "Use loss='categorical_crossentropy', or pass y.argmax(axis=-1).", layer=layer))
    elif not np.all(y == np.round(y)) or y.min() < 0 or (units and y.max() >= units):
        f.append(Finding(
            "sparse_label_out_of_range", "error",
            f"class indices outside 0..{(units or 1) - 1} for {units} output units",
            f"the labels take values {_values_text(y)}, but the output has {units} "
            f"unit(s), so valid class indices are 0..{(units or 1) - 1}.",
            "Relabel classes as 0..K-1 (e.g. y - y.min()) and give the output Dense(K, "
            "activation='softmax') with K the number of classes.", layer=layer))
    return f


def check_regression_targets(spec: OutputSpec, y: np.ndarray) -> list[Finding]:
    f, act, units, layer, width = [], spec.activation, spec.units, spec.layer, y.shape[-1]
    lo, hi = float(y.min()), float(y.max())
    low, high = RANGES.get(act, (-math.inf, math.inf))
    outside = float(np.mean((y < low - 1e-6) | (y > high + 1e-6)))
    if outside > TARGET_OUTSIDE_SHARE:
        f.append(Finding(
            "output_cannot_reach_targets", "error",
            f"a '{act}' output cannot produce the targets",
            f"the targets range over [{_g(lo)}, {_g(hi)}] ({outside:.0%} outside "
            f"[{_g(low)}, {_g(high)}]), the only values output layer '{layer}' "
            f"('{act}') can take; the loss cannot fall below the distance to the range.",
            "For a regression use a linear output, Dense(units) with no activation, or "
            f"scale the targets into [{_g(low)}, {_g(high)}] and back after predict.",
            layer=layer))
    elif act == "softmax" and units and units > 1 and not np.allclose(
            y.reshape(-1, width).sum(axis=1), 1.0, atol=1e-3):
        f.append(Finding(
            "softmax_on_regression", "warning",
            f"softmax output with {spec.loss_name}: the outputs are forced to sum to 1",
            f"output layer '{layer}' ({units} units) applies softmax, but the targets' "
            f"rows do not sum to 1 (range [{_g(lo)}, {_g(hi)}]).",
            "Use a linear output, Dense(units) with no activation, for a regression.",
            layer=layer))
    elif act in (None, "linear") and float(np.median(np.abs(y))) > TARGET_ABS_LIMIT:
        f.append(Finding(
            "unscaled_targets", "warning", "regression targets far from unit scale",
            f"the targets range over [{_g(lo)}, {_g(hi)}] (median |y| "
            f"{_g(float(np.median(np.abs(y))))}); the output starts near 0 and moves by "
            "about the learning rate per step, so it takes thousands of steps to get there.",
            "Standardise the targets (y - mean) / std and invert after predict, or "
            "initialise the output bias at the target mean "
            "(bias_initializer=keras.initializers.Constant(mean)).", layer=layer))
    return f


def _shape_mismatch(spec: OutputSpec, y: np.ndarray, fix: str) -> Finding:
    return Finding(
        "label_shape_mismatch", "error",
        f"labels of width {y.shape[-1] if y.ndim > 1 else 1} for an output of {spec.units} units",
        f"the labels have shape {y.shape} but output layer '{spec.layer}' ('{spec.activation}') "
        f"has {spec.units} units; {spec.loss_name} compares them element by element.",
        fix, layer=spec.layer)


def check_activations(stats: dict[str, dict], when: str, output_layer: str | None = None,
                      argmax: bool = True) -> list[Finding]:
    """Units saturated, dead or tied on the sample, from `activation_stats` per layer.
    `output_layer`: exempt from saturation once trained (a confident output saturates).
    `argmax`: the accuracy is an argmax over the outputs (one-of-K), so ties matter."""
    f = []
    for layer, s in stats.items():
        kind = s["kind"]
        if s.get("nonfinite"):
            f.append(Finding("nonfinite_activations", "error",
                             f"NaN or Inf in the outputs of layer '{layer}' {when}",
                             f"{s['nonfinite']} non-finite values on the sample {when}.",
                             "Look for NaN in the inputs, or weights that diverged "
                             "(lower the learning rate; clipnorm=1.0).", layer=layer))
            continue
        if kind in ("sigmoid", "hard_sigmoid", "tanh") and s["saturated"] > SATURATED_SHARE and (
                layer != output_layer):
            f.append(Finding(
                "saturated_units", "error",
                f"{kind} units in layer '{layer}' are saturated {when}",
                f"{s['saturated']:.0%} of the unit outputs of layer '{layer}' ({kind}) are at "
                f"their limits {when} (derivative under 1% of its maximum), {s['exact']:.0%} "
                "exactly at them in float32: almost no gradient flows through.",
                "Scale the inputs (x / 255 or standardise); keep the default initialisation; "
                "consider relu for hidden layers.", layer=layer))
        if kind in ("relu", "relu6") and s["dead"] > DEAD_RELU_SHARE:
            every = s["dead"] >= 1.0
            f.append(Finding(
                "dead_relu", "error" if every else "warning",
                f"{s['dead']:.0%} of the ReLUs in layer '{layer}' never fire {when}",
                f"{round(s['dead'] * s['units'])} of {s['units']} units of layer '{layer}' "
                f"output 0 for every sample {when}; a dead ReLU gets no gradient and never recovers"
                + ("; with all of them dead nothing below this layer learns." if every else "."),
                "Lower the learning rate, scale the inputs, use LeakyReLU or "
                "kernel_initializer='he_normal', or add a small positive bias.", layer=layer))
        ties = s.get("ties", 0.0)
        if ties > TIE_SHARE_WARNING and layer == "(output)" and argmax:
            f.append(Finding(
                "argmax_ties", "error" if ties > TIE_SHARE_ERROR else "warning",
                "tied outputs: the accuracy metric is unreliable",
                f"in {ties:.0%} of the sample rows the largest output value is shared by two or "
                f"more units {when} (typically sigmoids saturated at exactly 1.0 in float32); "
                "argmax, and so Keras's accuracy, picks the first of them.",
                "Fix the saturation (scale the inputs; softmax for one-of-K classes); judge the "
                "model on argmax of the pre-activation logits meanwhile."))
    return f


# --- The in-run trace -------------------------------------------------------------------------


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


def facts_for(model, y) -> Facts:
    specs = output_specs(model)
    spec = specs[0] if len(specs) == 1 else None
    facts = Facts()
    try:
        import keras

        facts.ce_ceiling = -math.log(keras.config.epsilon())
        facts.backend = keras.backend.backend()
    except Exception:
        pass
    if spec is None or y is None or isinstance(y, (list, tuple, dict)):
        return facts
    facts.loss_kind, facts.loss_name = spec.loss_kind, spec.loss_name
    facts.output_activation, facts.output_units = spec.activation, spec.units
    facts.output_layer = spec.layer
    facts.chance_accuracy, facts.baseline_loss = _baseline(spec, np.asarray(y, dtype=np.float64))
    return facts


def initial_loss(model, x, y) -> float | None:
    """The compiled loss of the untrained model on the sample (single-output models)."""
    import keras

    loss = getattr(model, "loss", None)
    if loss is None or isinstance(loss, (list, tuple, dict)) or isinstance(y, (list, dict)):
        return None
    fn = keras.losses.get(loss) if isinstance(loss, str) else loss
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y_pred = model(x, training=False)
        y = np.asarray(y)
        if not isinstance(fn, keras.losses.Loss) and y.ndim == len(y_pred.shape) - 1:
            y = y[..., None]  # what a Loss object's squeeze_or_expand_to_same_rank does
        value = keras.ops.mean(fn(keras.ops.convert_to_tensor(y), y_pred))
    return float(keras.ops.convert_to_numpy(value))


def _baseline(spec: OutputSpec, y: np.ndarray) -> tuple[float | None, float | None]:
    """(majority-class share, loss of the best constant prediction) for valid labels."""
    k, eps = spec.loss_kind, 1e-12
    if not np.all(np.isfinite(y)):
        return None, None
    if k == "binary_ce" and y.min() >= 0 and y.max() <= 1:
        p = y.reshape(len(y), -1).mean(axis=0)
        ent = -(p * np.log(p + eps) + (1 - p) * np.log(1 - p + eps))
        chance = float(np.mean(np.maximum(p, 1 - p))) if spec.units == 1 else None
        return chance, float(ent.mean())
    if k in ("categorical_ce", "sparse_ce"):
        if k == "categorical_ce" and y.ndim == 2 and y.shape[1] == spec.units and y.min() >= 0:
            shares = y.mean(axis=0) / max(y.mean(axis=0).sum(), eps)
        elif k == "sparse_ce" and y.min() >= 0 and spec.units and y.max() < spec.units:
            shares = np.bincount(y.astype(int).ravel(), minlength=spec.units) / y.size
        else:
            return None, None
        return float(shares.max()), float(-(shares * np.log(shares + eps)).sum())
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
    steps: dict = field(default_factory=dict)  # n, mean, std, min, max, nonfinite
    weights: dict = field(default_factory=dict)  # path -> norm, max_abs, nonfinite, change
    grads: dict = field(default_factory=dict)  # path -> norm, max_abs, zero, nonfinite
    activations: dict | None = None  # layer -> activation_stats(...)


@dataclass
class Trace:
    facts: Facts
    records: list[EpochRecord]
    status: str = "completed"
    error: str | None = None

    def series(self, key: str) -> np.ndarray:
        return np.array([r.logs.get(key, np.nan) for r in self.records], dtype=np.float64)

    def accuracy_key(self) -> str | None:
        keys = ("accuracy", "acc", "binary_accuracy", "categorical_accuracy",
                "sparse_categorical_accuracy")
        return next((k for k in keys if self.records and k in self.records[0].logs), None)


def _weight_stats(w: np.ndarray, previous: np.ndarray | None) -> dict:
    w = np.asarray(w, dtype=np.float64)
    finite = np.isfinite(w)
    change = None
    if previous is not None and previous.shape == w.shape:
        diff = np.abs(w - previous)
        diff = diff[np.isfinite(diff)]
        change = float(diff.max()) if diff.size else (0.0 if not w.size else math.nan)
    return dict(norm=float(np.linalg.norm(w[finite])),
                max_abs=float(np.abs(w[finite]).max(initial=0)),
                nonfinite=int((~finite).sum()), change=change, ndim=int(w.ndim))


def _grad_stats(g: np.ndarray) -> dict:
    g = np.asarray(g, dtype=np.float64)
    finite = np.isfinite(g)
    return dict(norm=float(np.linalg.norm(g[finite])),
                max_abs=float(np.abs(g[finite]).max(initial=0)),
                zero=float(np.mean(g == 0)) if g.size else 1.0, nonfinite=int((~finite).sum()))


def _step_stats(steps: np.ndarray) -> dict:
    steps = np.asarray(steps, dtype=np.float64)
    finite = steps[np.isfinite(steps)]
    bad = np.flatnonzero(~np.isfinite(steps))
    s = dict(n=int(steps.size), nonfinite=int(bad.size),
             first_nonfinite=int(bad[0]) if bad.size else None)
    if finite.size:
        s.update(mean=float(finite.mean()), std=float(finite.std()),
                 min=float(finite.min()), max=float(finite.max()))
    return s


def wants_activations(epoch: int, total: int | None) -> bool:
    if not total or total <= ACTIVATIONS_EVERY_EPOCH_UP_TO:
        return True
    return epoch in (0, total - 1) or epoch % math.ceil(total / 10) == 0


class Diagnostics(Observer):
    """Records a run epoch by epoch, then runs the detectors over the trace."""

    def __init__(self, x_sample=None, y_sample=None, sample_size: int = SAMPLE_SIZE):
        """Without a sample, the run's own training data is sampled in before_training."""
        self.sample_size = sample_size
        self._take_sample(x_sample, y_sample)
        self.info: RunInfo | None = None
        self.model = None
        self.facts = Facts()
        self.records: list[EpochRecord] = []
        self.preflight_findings: list[Finding] | None = None
        self.run_findings: list[Finding] = []
        self.status, self.error = "running", None
        self._previous: dict[str, np.ndarray] = {}
        self._extractor = None
        self._finished = False

    # -- events --

    def _take_sample(self, x, y) -> None:
        self.x, self.y = sample(x, y, self.sample_size) if y is not None else (None, None)
        self._labels = y  # class shares and the constant-prediction loss use them all

    def before_training(self, model, data=None) -> list[Finding]:
        """Preflight on the untrained model, and remember its weights to measure change.
        `data` (a scen Dataset) supplies the sample when none was given."""
        if self.y is None and data is not None:
            self._take_sample(data.x, data.y)
        self._attach(model)
        self.preflight_findings = preflight(model, self.x, self.y)
        try:  # labels the loss cannot take raise here: preflight has said why
            self.facts.initial_loss = initial_loss(model, self.x, self.y)
        except Exception:
            self.facts.initial_loss = None
        self._previous = {v.path: _numpy(v) for v in model.trainable_weights}
        return self.preflight_findings

    def on_train_begin(self, info: RunInfo) -> None:
        self.info = info

    def on_epoch_end(self, epoch, logs, step_losses, probe) -> None:
        if self.model is None:
            self._attach(probe.keras_model())
        if self.preflight_findings is None:  # lazily: the weights have trained for one epoch
            self.preflight_findings = _safe(lambda: preflight(self.model, self.x, self.y,
                                                              when="after epoch 1"))
        total = self.info.epochs if self.info else None
        sampled = wants_activations(epoch, total)
        weights = probe.weights()
        # torch leaves the last step's gradients on the weights (free to read); TF and JAX
        # recompute them, eagerly, so only on the sampled epochs.
        grads = probe.gradients() if sampled or self.facts.backend == "torch" else {}
        record = EpochRecord(
            epoch=epoch, logs={k: float(v) for k, v in logs.items()},
            steps=_step_stats(step_losses),
            weights={k: _weight_stats(w, self._previous.get(k)) for k, w in weights.items()},
            grads={k: _grad_stats(g) for k, g in grads.items()})
        self._previous = {k: np.array(w, copy=True) for k, w in weights.items()}
        if sampled:
            record.activations = self._activations()
        self.records.append(record)

    def on_train_end(self, status: str, error: str | None) -> None:
        self.status, self.error = status, error
        if self.records and self.records[-1].activations is None and self.model is not None:
            self.records[-1].activations = self._activations()  # stopped early: see the end
        self.run_findings = run_detectors(self.trace(), self.preflight_findings or [])
        self._finished = True

    # -- results --

    def trace(self) -> Trace:
        return Trace(self.facts, self.records, self.status, self.error)

    def findings(self) -> list[Finding]:
        if not self._finished and self.records:
            self.run_findings = run_detectors(self.trace(), self.preflight_findings or [])
        return _sorted((self.preflight_findings or []) + self.run_findings)

    def report(self) -> str:
        return format_report(self.findings(), len(self.records))

    def to_json(self, path: str) -> None:
        with open(path, "w") as f:
            json.dump(dict(findings=[x.as_dict() for x in self.findings()],
                           facts=asdict(self.facts), status=self.status, error=self.error,
                           records=[asdict(r) for r in self.records]), f, indent=1, default=float)

    # -- helpers --

    def _attach(self, model) -> None:
        self.model = model
        self.facts = _safe(lambda: facts_for(model, self._labels), Facts())

    def _activations(self) -> dict | None:
        if self._extractor is None:
            if not _graph(self.model, self.x):
                return None
            self._extractor = _safe(lambda: _Extractor(self.model), False)
        return _safe(lambda: self._extractor(self.x), None) if self._extractor else None


def _numpy(v) -> np.ndarray:
    import keras

    return np.array(keras.ops.convert_to_numpy(v))


def _safe(fn, default=None):
    """Diagnostics must never break the training they watch."""
    try:
        return fn()
    except Exception as e:  # pragma: no cover - reported, not raised
        print(f"scen.diagnose: skipped a check ({type(e).__name__}: {e})", file=sys.stderr)
        return [] if default is None else default


# --- In-run detectors: each reads the trace, returns findings --------------------------------


def run_detectors(trace: Trace, known: list[Finding] = ()) -> list[Finding]:
    """Every detector over the trace. `known`: findings already made (preflight), which count
    when deciding what is primary."""
    findings = []
    for detect in DETECTORS:
        findings += detect(trace)
    raised = [f for f in findings if f.evidence.startswith("the backend raised")]
    known_errors = [k for k in known if k.severity == "error"]
    for f in raised:  # preflight predicted it: one finding, with the backend's words added
        same = [k for k in known_errors if k.name == f.name] or [
            k for k in known_errors if k.name in LABEL_FINDINGS]
        if same:
            same[0].evidence += f" Training then raised: {trace.error}"
            findings.remove(f)
    names = {f.name for f in findings}
    if names & {"diverging_loss", "gradients_died", "no_gradient"}:
        # the cause is named: "worse than a constant" would only restate it
        findings = [f for f in findings if f.name != "worse_than_constant"]
    if any(f.severity == "error" and f.name not in SECONDARY for f in [*known, *findings]):
        # Slow progress, plateaus, overfitting, "worse than a constant" are symptoms once
        # something is broken: keep them, as info, so that the cause is read first.
        for f in findings:
            if f.name in SECONDARY and f.severity != "info":
                f.severity = "info"
                f.evidence += " (Shown as info: an error above explains the run first.)"
    return findings


def detect_backend_error(t: Trace) -> list[Finding]:
    if t.status != "raised":
        return []
    msg = t.error or ""
    low = msg.lower()
    known = [
        ("between 0 and 1", "labels_out_of_range", "labels outside [0, 1] for binary cross-entropy",
         "Map the labels to 0/1 (for labels 1/2: y - 1)."),
        ("same shape", "label_shape_mismatch", "the labels' shape does not match the output",
         "One-hot labels for categorical_crossentropy (keras.utils.to_categorical), or "
         "sparse_categorical_crossentropy for integer labels; match the output's units."),
        ("incompatible shapes", "label_shape_mismatch",
         "the labels' shape does not match the output",
         "Match the labels to the output's shape (one-hot width = output units)."),
        ("out of bounds", "sparse_label_out_of_range", "a class index is out of range",
         "Class indices must be 0..K-1 for an output of K units."),
        ("outside the valid range", "sparse_label_out_of_range", "a class index is out of range",
         "Class indices must be 0..K-1 for an output of K units."),
    ]
    for needle, name, summary, fix in known:
        if needle in low:
            return [Finding(name, "error", summary, f"the backend raised: {msg}", fix)]
    return [Finding("backend_raised", "error", "training raised an error",
                    f"the backend raised: {msg}", "Read the error; check the labels' shape and "
                    "range against the output layer and loss.")]


def detect_nonfinite(t: Trace) -> list[Finding]:
    for r in t.records:
        where = []
        if not np.isfinite(r.logs.get("loss", 0.0)) or r.steps.get("nonfinite"):
            where.append("the loss")
        if any(w["nonfinite"] for w in r.weights.values()):
            where.append("the weights")
        if any(g["nonfinite"] for g in r.grads.values()):
            where.append("the gradients")
        if where:
            step = r.steps.get("first_nonfinite")
            at = f" (first at step {step + 1})" if step is not None else ""
            return [Finding(
                "nonfinite_values", "error", "NaN or Inf during training",
                f"{', '.join(where)} became NaN or Inf in epoch {r.epoch + 1}{at}; learning "
                f"rate then {_g(r.logs.get('learning_rate', float('nan')))}.",
                "Lower the learning rate (10x), clip gradients (optimizer clipnorm=1.0), scale "
                "the inputs, and check the data and any custom loss for log(0) or division "
                "by 0.", epoch=r.epoch + 1)]
    return []


def detect_no_gradient(t: Trace) -> list[Finding]:
    """Every gradient exactly zero at every recorded epoch (or from some epoch to the end)."""
    with_grads = [r for r in t.records if r.grads]
    changes = [w["change"] for r in t.records for w in r.weights.values()
               if w["change"] is not None]
    frozen = bool(changes) and max(changes) == 0.0
    if not with_grads:
        if frozen and len(t.records) >= 2:
            return [Finding("weights_never_change", "error", "no weight changed during training",
                            f"the largest weight change over {len(t.records)} epochs was 0.",
                            "Check the output layer and loss: the gradient is zero.")]
        return []
    zero = [all(g["zero"] == 1.0 for g in r.grads.values()) for r in with_grads]
    streak = 0
    while streak < len(zero) and zero[-1 - streak]:
        streak += 1
    loss = _losses(t)
    if _at_floor(t):
        return []  # a fitted model whose probabilities are clipped at 1.0 has zero gradient
    if streak == len(zero) and (frozen or not changes):
        return [Finding(
            "no_gradient", "error", "every gradient is exactly zero: the model cannot learn",
            f"all gradients of all {len(with_grads[0].grads)} weights were exactly 0.0 at "
            f"each of {len(with_grads)} epoch(s)" + ("; no weight changed at all" if frozen else "")
            + ". The output does not depend on the weights (a softmax over one unit, an "
            "all-dead ReLU layer, a loss that is constant).",
            "Check the output layer and loss (see the other findings); for a regression use "
            "Dense(1) with no activation.")]
    if streak >= min(2, len(zero)) and streak >= len(zero) // 2:
        first = with_grads[len(zero) - streak].epoch + 1
        lr = t.records[0].logs.get("learning_rate")
        sat = _output_saturation(t)
        return [Finding(
            "gradients_died", "error",
            "every gradient became exactly zero: training stopped",
            f"the weights moved, then from epoch {first} on every gradient was exactly 0.0 "
            f"(loss stuck at {_g(loss[-1])})"
            + (f"; {sat:.0%} of the sample's output rows are saturated at exactly 0/1, where "
               "Keras's clipped cross-entropy has no gradient" if sat else "")
            + (f"; learning rate {_g(lr)}" if lr is not None else "")
            + ". A step too large pushed the units out of their working range.",
            "Lower the learning rate 10x"
            + (f" (learning_rate={_g(lr / 10)})" if lr else "")
            + ", clip gradients (clipnorm=1.0), and scale the inputs.", epoch=first)]
    dead = [k for k in with_grads[0].grads
            if all(r.grads.get(k, {}).get("zero") == 1.0 for r in with_grads)]
    if dead and len(with_grads) >= 2:
        return [Finding(
            "weights_without_gradient", "warning",
            f"{len(dead)} weight(s) got exactly zero gradient all run",
            f"gradients of {', '.join(dead[:5])} were exactly 0.0 at every epoch; those "
            "weights never learn (dead units above them, or not connected to the loss).",
            "Look for dead ReLUs or saturated units feeding them.",
            layer=dead[0].rsplit("/", 1)[0])]
    return []


def _output_saturation(t: Trace) -> float:
    """Share of sample rows whose output is saturated, on the last epoch with statistics."""
    recorded = [r for r in t.records if r.activations]
    if not recorded or not t.facts.output_layer:
        return 0.0
    s = recorded[-1].activations.get(t.facts.output_layer, {})
    return float(s.get("saturated", 0.0))


def _losses(t: Trace) -> np.ndarray:
    return t.series("loss")


def detect_cross_entropy_range(t: Trace) -> list[Finding]:
    """A cross-entropy is never negative, and one of clipped probabilities is at most ~16."""
    if t.facts.loss_kind not in CROSS_ENTROPY:
        return []
    loss = _losses(t)
    f = []
    neg = np.flatnonzero(loss < -1e-6)
    if neg.size:
        e = int(neg[0])
        f.append(Finding(
            "negative_cross_entropy", "error", "the cross-entropy went negative",
            f"the loss was {_g(loss[e])} in epoch {e + 1} (lowest {_g(np.nanmin(loss))}); "
            "a cross-entropy of labels in [0, 1] is never negative, so the labels are outside "
            "[0, 1].", "Map the labels to 0/1 (or one-hot); for labels 1/2 use y - 1.",
            epoch=e + 1))
    huge = np.flatnonzero(loss > HUGE_CE_MARGIN * t.facts.ce_ceiling)
    if huge.size:
        e = int(huge[0])
        how = ("Keras on TensorFlow computes it from the pre-activation logits of a "
               "sigmoid/softmax output" if t.facts.backend in ("tensorflow", "")
               else "it was computed from logits")
        f.append(Finding(
            "huge_cross_entropy", "error", "the cross-entropy is enormous: unbounded logits",
            f"the loss was {_g(loss[e])} in epoch {e + 1} (largest {_g(np.nanmax(loss))}); a "
            f"cross-entropy of clipped probabilities is at most {_g(t.facts.ce_ceiling)}, so "
            f"{how}, which are huge; they grow with the weights, so the loss grows with "
            "the learning rate instead of falling.",
            "Scale the inputs if they are not (x / 255, or standardise) and lower the learning "
            f"rate (it was {_g(t.records[e].logs.get('learning_rate', float('nan')))}); for "
            "one-of-K classes use a softmax output.", epoch=e + 1))
    return f


def detect_divergence(t: Trace) -> list[Finding]:
    """The training loss ends above where it started (before training, when known)."""
    loss = _losses(t)
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
                 and loss[-1] > loss[low] * DIVERGE_FROM_MIN and loss[-1] > start * 0.5)
    lr = t.records[-1].logs.get("learning_rate")
    top = int(np.argmax(loss))
    if not (rose or rebounded):
        huge_ce = (t.facts.loss_kind in CROSS_ENTROPY
                   and loss[top] > HUGE_CE_MARGIN * t.facts.ce_ceiling)  # reported already
        if loss[top] > SPIKE * start and not huge_ce:
            return [Finding(
                "loss_spikes", "warning", "the loss blew up, then recovered: unstable training",
                f"the loss reached {_g(loss[top])} in epoch {top + 1}, {_g(loss[top] / start)}x "
                f"its start ({_g(start)}, {since}), before coming back to {_g(loss[-1])}"
                + (f"; learning rate {_g(lr)}" if lr is not None else "") + ".",
                "Lower the learning rate (3-10x) or clip gradients (clipnorm=1.0).",
                epoch=top + 1)]
        return []
    return [Finding(
        "diverging_loss", "error", "the training loss is rising: the learning rate is too high",
        f"the loss went from {_g(start)} ({since}) to {_g(loss[-1])} (epoch {len(loss)}), "
        f"lowest {_g(loss[low])} at epoch {low + 1}"
        + (f"; learning rate {_g(lr)}" if lr is not None else "") + ".",
        "Lower the learning rate 10x"
        + (f" (learning_rate={_g(lr / 10)})" if lr else "")
        + ", clip gradients (clipnorm=1.0), and scale the inputs.", epoch=len(loss))]


def detect_worse_than_constant(t: Trace) -> list[Finding]:
    base, loss = t.facts.baseline_loss, _losses(t)
    if base is None or base <= 0 or len(loss) < WORSE_MIN_EPOCHS or not np.isfinite(loss[-1]):
        return []
    if loss[-1] <= WORSE_THAN_CONSTANT * base:
        return []
    stuck = loss[-1] > 0.9 * loss[0]
    what = "the class frequencies" if t.facts.loss_kind in CROSS_ENTROPY else "the mean target"
    return [Finding(
        "worse_than_constant", "error" if stuck else "warning",
        "the model does worse than a constant prediction"
        + (" and is not improving" if stuck else ", and improves slowly"),
        f"final loss {_g(loss[-1])} after {len(loss)} epochs (first {_g(loss[0])}) against "
        f"{_g(base)} for always predicting {what}.",
        "Check that the output layer can produce the targets (activation, units) and the "
        "learning rate; for large regression targets standardise them.", epoch=len(loss))]


def _at_floor(t: Trace) -> bool:
    """The task is learned: loss a small share of the constant prediction's, or accuracy ~1."""
    loss, base, key = _losses(t), t.facts.baseline_loss, t.accuracy_key()
    if base and np.isfinite(loss[-1]) and loss[-1] < FLOOR_SHARE * base:
        return True
    return bool(key and t.facts.loss_kind in CROSS_ENTROPY and t.series(key)[-1] >= FLOOR_ACCURACY)


def detect_oscillation(t: Trace) -> list[Finding]:
    loss = _losses(t)
    if len(loss) < OSCILLATION_MIN_EPOCHS or not np.all(np.isfinite(loss)) or _at_floor(t):
        return []  # near zero, batch noise is a large share of a tiny loss: not a problem
    late = loss[len(loss) // 2 - 1:] if len(loss) >= 2 * OSCILLATION_MIN_EPOCHS else loss
    d = np.diff(late)
    nz = d[d != 0]
    if len(nz) < 3:
        return []
    flips = float(np.mean(np.sign(nz[1:]) != np.sign(nz[:-1])))
    amplitude = float(np.median(np.abs(d)) / max(np.median(np.abs(late)), 1e-12))
    if flips < OSCILLATION_FLIPS or amplitude < OSCILLATION_AMPLITUDE:
        return []
    return [Finding(
        "oscillating_loss", "warning", "the epoch loss jumps up and down: learning rate too high",
        f"over epochs {len(loss) - len(late) + 1}-{len(loss)} the loss changed direction in "
        f"{flips:.0%} of epochs, by a median {amplitude:.0%} of its value.",
        "Lower the learning rate (3-10x) or add ReduceLROnPlateau; a larger batch also "
        "smooths the steps.")]


def detect_units(t: Trace) -> list[Finding]:
    """Saturation, dead ReLUs and argmax ties on the last epoch with activation statistics."""
    recorded = [r for r in t.records if r.activations]
    if not recorded:
        return []
    last = recorded[-1]
    found = []
    when = f"after epoch {last.epoch + 1}"
    for f in check_activations(last.activations, when, t.facts.output_layer,
                               t.facts.loss_kind in ONE_OF_K):
        if f.name == "saturated_units":
            f.severity = "warning"  # hidden units saturated mid-run: slow, not broken
        f.epoch = last.epoch + 1
        found.append(f)
    return found


def detect_vanishing_gradients(t: Trace) -> list[Finding]:
    """First vs last layer relative gradient |g|/|w|, median over epochs; needs depth >= 3."""
    ratios = []
    for r in t.records:
        kernels = [(k, r.grads[k]["norm"] / max(r.weights[k]["norm"], 1e-12))
                   for k, w in r.weights.items() if w["ndim"] >= 2 and k in r.grads]
        if len(kernels) >= 3 and kernels[-1][1] > 0:
            ratios.append((kernels[0][0], kernels[-1][0], kernels[0][1] / kernels[-1][1]))
    if not ratios:
        return []
    median = float(np.median([x[2] for x in ratios]))
    first, last = ratios[-1][0], ratios[-1][1]
    if median < VANISHING_RATIO:
        return [Finding(
            "vanishing_gradients", "warning", "gradients vanish towards the first layers",
            f"the relative gradient |g|/|w| of '{first}' is {_g(median)} times that of '{last}' "
            f"(median over {len(ratios)} epochs): the first layers barely learn.",
            "Use relu (or gelu) hidden activations with he_normal initialisation, add "
            "BatchNormalization, or residual connections.", layer=first.rsplit("/", 1)[0])]
    if median > 1 / VANISHING_RATIO:
        return [Finding(
            "exploding_gradients", "warning", "gradients explode towards the first layers",
            f"the relative gradient |g|/|w| of '{first}' is {_g(median)} times that of '{last}' "
            f"(median over {len(ratios)} epochs).",
            "Clip gradients (clipnorm=1.0), lower the learning rate, normalise the inputs.",
            layer=first.rsplit("/", 1)[0])]
    return []


def detect_slow_start(t: Trace) -> list[Finding]:
    """Accuracy at chance for many epochs while gradients are alive (not zero)."""
    key, chance = t.accuracy_key(), t.facts.chance_accuracy
    if key is None or chance is None or t.facts.loss_kind not in CROSS_ENTROPY:
        return []
    acc = t.series(key)
    n = len(acc)
    stuck = 0
    while stuck < n and abs(acc[stuck] - chance) <= CHANCE_MARGIN:  # below chance: learning
        stuck += 1
    # Measured against the time it took to learn (to 90% of the best accuracy above chance),
    # not the run's length: 30 epochs at chance matter even if the run then idles for 400.
    top = float(np.nanmax(acc))
    learned = (np.flatnonzero(acc >= chance + 0.9 * (top - chance))
               if top > chance + CHANCE_MARGIN else [])
    span = int(learned[0]) + 1 if len(learned) else n
    if stuck < SLOW_START_EPOCHS or stuck < SLOW_START_SHARE * span:
        return []
    loss = _losses(t)
    base = t.facts.baseline_loss
    if base and loss[stuck - 1] < SLOW_START_LOSS_SHARE * base:
        return []  # the loss fell below the class prior's: learning, the accuracy lags behind
    alive = [r for r in t.records[:stuck] if r.grads]
    if alive and all(g["zero"] == 1.0 for r in alive for g in r.grads.values()):
        return []  # no gradient at all: detect_no_gradient says why
    grad = [math.sqrt(sum(g["norm"] ** 2 for g in r.grads.values())) for r in alive]
    lr = t.records[0].logs.get("learning_rate")
    later = (f"it rose above chance at epoch {stuck + 1} and reached {acc.max():.2f}"
             if stuck < n else f"it never left chance in {n} epochs")
    return [Finding(
        "slow_start", "warning", f"accuracy stuck at chance for {stuck} epochs",
        f"{key} stayed within {CHANCE_MARGIN} of chance ({chance:.2f}, the majority-class "
        f"share) for epochs 1-{stuck} while the loss crept from {_g(loss[0])} to "
        f"{_g(loss[stuck - 1])}"
        + (f", with gradients alive (median norm {_g(float(np.median(grad)))})" if grad else "")
        + f"; {later}.",
        "Raise the learning rate"
        + (f" about 10x (learning_rate={_g(lr * 10)})" if lr else " (about 10x)")
        + ", or give the hidden layer more units; with few sigmoid units the start is slow "
        "and seed-dependent.", epoch=stuck)]


def detect_plateau(t: Trace) -> list[Finding]:
    """Fast at first, then a crawl far from the task's floor. A crawl is a loss still falling
    in most late epochs; a flat, noisy loss (or a validation loss that no longer follows the
    training loss) is a floor of the data, reported as info."""
    loss = _losses(t)
    n = len(loss)
    if n < PLATEAU_MIN_EPOCHS or not np.all(np.isfinite(loss)) or _at_floor(t):
        return []
    k, h = min(5, n // 4), n // 2
    early = (loss[0] - loss[k]) / k
    late = (loss[h] - loss[-1]) / (n - 1 - h)
    if early <= 0 or late * PLATEAU_SLOWDOWN > early or late > PLATEAU_RELATIVE_RATE * loss[-1]:
        return []
    base = t.facts.baseline_loss
    evidence = (f"the loss fell {_g(early)} per epoch over epochs 1-{k + 1} but only {_g(late)} "
                f"per epoch over epochs {h + 1}-{n} ({late / loss[-1]:.2%} of its value per "
                f"epoch, {_g(early / max(late, 1e-12))}x slower), ending at {_g(loss[-1])}"
                + (f" against {_g(base)} for a constant prediction" if base else ""))
    # A crawl: the late half's linear trend falls by more than 3x the epoch-to-epoch noise
    # around it (a noisy floor has no trend; batch noise makes single epochs go either way).
    late_x = np.arange(n - h)
    slope, icpt = np.polyfit(late_x, loss[h:], 1)
    noise = float(np.std(loss[h:] - (slope * late_x + icpt)))
    crawl = -slope * (n - h) > PLATEAU_TREND_NOISE * noise
    val = t.series("val_loss")
    q = max(2, (n - h) // 4)  # compare window means: single validation epochs are noisy
    train_gain = loss[h:h + q].mean() - loss[-q:].mean()
    val_stalled = bool(np.all(np.isfinite(val))) and (
        val[h:h + q].mean() - val[-q:].mean() <= 0.25 * train_gain)
    h2 = h + (n - h) // 2  # the late half's own slowdown: geometric decay means a floor near
    converging = ((loss[h2] - loss[-1]) / (n - 1 - h2)
                  < PLATEAU_DECAY * (loss[h] - loss[h2]) / (h2 - h))
    if not crawl or val_stalled or converging:
        why = (", and the validation loss no longer follows it" if val_stalled else
               ", its progress still halving" if converging else ", flat and noisy")
        return [Finding(
            "loss_levelled_off", "info", "the loss has levelled off",
            evidence + why
            + ": likely the data's noise floor (or overfitting), not an optimisation problem.",
            "If the level is higher than the task should allow, add capacity; otherwise stop "
            "earlier (EarlyStopping(monitor='val_loss', restore_best_weights=True)).")]
    return [Finding(
        "plateau", "warning", "the loss crawls: fast at first, then barely improving",
        evidence + "; it is still falling, slowly, far from zero.",
        "Add ReduceLROnPlateau(monitor='val_loss', factor=0.2, patience=3) so the learning "
        "rate drops when progress stalls, and/or more capacity (wider Dense layers).",
        epoch=h + 1)]


def detect_overfitting(t: Trace) -> list[Finding]:
    loss, val = _losses(t), t.series("val_loss")
    n = len(loss)
    if n < 5 or not np.all(np.isfinite(val)) or not np.all(np.isfinite(loss)):
        return []
    best = int(np.argmin(val))
    if (n - 1 - best >= max(OVERFIT_EPOCHS, n // 10) and val[-1] > val[best] * (1 + OVERFIT_RISE)
            and loss[-1] < loss[best]):
        return [Finding(
            "overfitting", "warning", "validation loss rising while training loss falls",
            f"val_loss was lowest at epoch {best + 1} ({_g(val[best])}) and rose to "
            f"{_g(val[-1])} by epoch {n}, while the training loss fell from {_g(loss[best])} "
            f"to {_g(loss[-1])}.",
            "EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True), "
            "Dropout or L2 regularisation, a smaller model or more data.", epoch=best + 1)]
    key = t.accuracy_key()
    if key and f"val_{key}" in t.records[-1].logs:
        gap = t.records[-1].logs[key] - t.records[-1].logs[f"val_{key}"]
        if gap > GAP_ACCURACY:
            return [Finding(
                "train_val_gap", "warning", "large gap between training and validation accuracy",
                f"{key} {t.records[-1].logs[key]:.3f} vs val_{key} "
                f"{t.records[-1].logs[f'val_{key}']:.3f} at epoch {n}.",
                "Regularise (Dropout, L2), augment or add data, or stop earlier.", epoch=n)]
    return []


DETECTORS = [detect_backend_error, detect_nonfinite, detect_no_gradient,
             detect_cross_entropy_range, detect_divergence, detect_worse_than_constant,
             detect_oscillation, detect_units, detect_vanishing_gradients, detect_slow_start,
             detect_plateau, detect_overfitting]
LABEL_FINDINGS = {"labels_out_of_range", "label_shape_mismatch", "sparse_label_out_of_range",
                  "integer_labels_with_categorical_crossentropy",
                  "one_hot_labels_with_sparse_crossentropy", "nonfinite_targets"}
SECONDARY = {"slow_start", "plateau", "loss_levelled_off", "oscillating_loss", "overfitting",
             "train_val_gap", "vanishing_gradients", "weights_without_gradient",
             "worse_than_constant"}


def format_report(findings: list[Finding], epochs: int | None = None) -> str:
    counts = {s: sum(f.severity == s for f in findings) for s in SEVERITIES}
    ran = f" ({epochs} epoch(s) recorded)" if epochs is not None else ""
    if not counts["error"] and not counts["warning"]:
        head = f"scen diagnose: no problems found{ran}: a clean bill."
    else:
        head = (f"scen diagnose: {counts['error']} error(s), {counts['warning']} warning(s)"
                f"{ran}")
    lines = [head]
    for f in findings:
        where = ", ".join(x for x in (f"layer {f.layer}" if f.layer else "",
                                      f"epoch {f.epoch}" if f.epoch else "") if x)
        lines.append(f"[{f.severity}] {f.name}{f' ({where})' if where else ''}: {f.summary}")
        lines.append(f"    evidence: {f.evidence}")
        lines.append(f"    fix: {f.fix}")
    return "\n".join(lines)


# --- DiagnoseCallback: Keras's events into a Diagnostics --------------------------------------


def _first_line(e: BaseException) -> str:
    lines = str(e).strip().splitlines()
    return lines[0] if lines else ""


class _CallbackProbe:
    def __init__(self, model, x, y, loss_scale: float = 1.0):
        self.model, self.x, self.y, self.loss_scale = model, x, y, loss_scale

    def keras_model(self):
        return self.model

    def weights(self) -> dict[str, np.ndarray]:
        return {v.path: _numpy(v) for v in self.model.trainable_weights}

    def gradients(self) -> dict[str, np.ndarray]:
        import keras

        if keras.backend.backend() == "torch":  # Keras's torch trainer leaves them on .grad
            out = {}
            for v in self.model.trainable_weights:
                g = getattr(v.value, "grad", None)
                if g is not None:
                    out[v.path] = g.detach().float().cpu().numpy() / self.loss_scale
            return out
        batch = slice(0, min(GRAD_SAMPLE, _n(self.x)))
        return _safe(lambda: recomputed_gradients(self.model, _take(self.x, batch),
                                                  _take(self.y, batch)), {})


def recomputed_gradients(model, x, y) -> dict[str, np.ndarray]:
    """TF and JAX keep no gradients after a step: recompute them on a sample batch (as
    scen.keras_run does, for inputs and targets given as arrays, lists or dicts)."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
        grads = tape.gradient(loss, model.trainable_variables)
    elif backend == "jax":
        import jax

        def loss_of(trainable):
            y_pred, _ = model.stateless_call(
                trainable, [v.value for v in model.non_trainable_variables], x, training=True)
            return model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)

        grads = jax.grad(loss_of)([v.value for v in model.trainable_variables])
    else:
        return {}
    return {v.path: np.asarray(keras.ops.convert_to_numpy(g))
            for v, g in zip(model.trainable_variables, grads) if g is not None}


class _DiagnoseCallbackMixin:
    """Usage: model.fit(..., callbacks=[diag := DiagnoseCallback(x, y)]); print(diag.report()).
    If fit raises, call diag.explain(exception) to have the error interpreted."""

    def __init__(self, x, y, sample_size: int = SAMPLE_SIZE, verbose: bool = True):
        super().__init__()
        self._data = (x, y, sample_size)
        self.diagnostics = Diagnostics(x, y, sample_size)
        self.verbose = verbose
        self._steps: list[float] = []
        self._scale = 1.0

    def on_train_begin(self, logs=None):
        import keras

        if self.diagnostics.records or self.diagnostics.status != "running":
            self.diagnostics = Diagnostics(*self._data)  # a second fit: a fresh diagnosis
        errors = [f for f in _safe(lambda: self.diagnostics.before_training(self.model))
                  if f.severity == "error"]
        if errors and self.verbose:
            print(f"scen.diagnose: found before training, {len(errors)} error(s):\n"
                  + format_report(errors).split("\n", 1)[1], file=sys.stderr)
        self.diagnostics.on_train_begin(RunInfo(
            scenario="(user model)", variant="", backend=keras.backend.backend(), device="",
            precision="", policy=keras.config.dtype_policy().name, seed=-1,
            epochs=(self.params or {}).get("epochs", 0),
            steps_per_epoch=(self.params or {}).get("steps") or 0, run_dir=""))

    def on_epoch_begin(self, epoch, logs=None):
        self._steps, self._mean = [], 0.0

    def on_train_batch_begin(self, batch, logs=None):
        scale = getattr(self.model.optimizer, "dynamic_scale", None)
        if scale is not None:
            self._scale = float(_numpy(scale))

    def on_train_batch_end(self, batch, logs=None):
        # Keras logs the running mean of the epoch's loss; the step's own loss is the change.
        mean = float((logs or {}).get("loss", np.nan))
        k = len(self._steps)
        self._steps.append((k + 1) * mean - k * self._mean)
        self._mean = mean

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        logs.setdefault("learning_rate", float(_numpy(self.model.optimizer.learning_rate)))
        probe = _CallbackProbe(self.model, self.diagnostics.x, self.diagnostics.y, self._scale)
        self.diagnostics.on_epoch_end(epoch, logs, np.asarray(self._steps), probe)

    def on_train_end(self, logs=None):
        self.diagnostics.on_train_end("completed", None)

    def explain(self, error: BaseException, model=None) -> list[Finding]:
        """fit raised: interpret the error, with what preflight finds, and return findings.
        Pass the model if fit raised before training began (Keras checks shapes first)."""
        model = model if model is not None else getattr(self, "_model", None)
        if self.diagnostics.preflight_findings is None and model is not None:
            _safe(lambda: self.diagnostics.before_training(model))
        self.diagnostics.on_train_end("raised", f"{type(error).__name__}: {_first_line(error)}")
        return self.findings()

    def findings(self) -> list[Finding]:
        return self.diagnostics.findings()

    def report(self) -> str:
        return self.diagnostics.report()

    def to_json(self, path: str) -> None:
        self.diagnostics.to_json(path)


_CALLBACK_CLASS = None


def __getattr__(name):
    """`DiagnoseCallback` subclasses keras.callbacks.Callback, so it is built on first access:
    importing scen.diagnose does not import Keras."""
    global _CALLBACK_CLASS
    if name == "DiagnoseCallback":
        if _CALLBACK_CLASS is None:
            import keras

            _CALLBACK_CLASS = type("DiagnoseCallback",
                                   (_DiagnoseCallbackMixin, keras.callbacks.Callback),
                                   {"__module__": __name__,
                                    "__doc__": _DiagnoseCallbackMixin.__doc__})
        return _CALLBACK_CLASS
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
