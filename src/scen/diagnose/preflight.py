"""Checks before training: a compiled Keras model and a data sample, no step taken.

`preflight(model, x, y)` runs them all: inputs (NaN, scale), softmax over one unit, each output's
activation against its loss, the labels against what output and loss can produce, and units
saturated, dead or tied on the sample (activations.py). To add a check: a function returning
a list of findings (texts in catalogue.py), called from `preflight` or `check_output_and_loss`.
"""

from __future__ import annotations

import math

import numpy as np

from scen.diagnose.activations import ActivationExtractor, check_activations
from scen.diagnose.backend import to_numpy
from scen.diagnose.catalogue import Finding, finding, fmt
from scen.diagnose.model import (CROSS_ENTROPY, ONE_OF_K, PROBABILITY, RANGES, SELF_SCALING,
                                 UNBOUNDED, OutputSpec, activation_of, arrays, consumers,
                                 flatten, has_graph, layer_tensors, output_specs, sample)
from scen.diagnose.precision import check_precision
from scen.diagnose.predictions import predict_sample
from scen.diagnose.report import sorted_findings
from scen.observe import error_message

INPUT_ABS_LIMIT = 20.0  # 99.9th percentile of |x|: standardised features rarely pass ~5; raw
# pixels (255), counts, years and prices do. A percentile, so that one outlier does not count.
INPUT_STD_LIMIT = 10.0  # largest per-feature std: Keras's Glorot init assumes unit-scale inputs.
INPUT_FAR = 5.0  # 5x those limits (|x| ~ 100, like 0..255 pixels) is an error: pre-activations
# of tens to hundreds saturate any sigmoid/tanh/softmax; between, ReLU nets train, slowly.
TARGET_ABS_LIMIT = 100.0  # median |y| of a regression target: outputs start near 0 and move by
# about the learning rate per step, so targets in the hundreds take thousands of steps to reach.
TARGET_OUTSIDE_SHARE = 0.01  # share of targets an output activation cannot reach before it counts.
RANGE_TOLERANCE = 1e-6  # a target this close to an activation's limit counts as inside it.
ONE_HOT_ATOL = 1e-3  # rows summing to 1 within this are distributions (float32 labels).
CLASS_LIKE_VALUES = 20  # targets outside [0, 1] with more distinct values than this, or any
# non-integer ones, are measurements, not class labels: a regression (labels 1/2 or 0..9 are
# classes; prices, counts in the thousands and standardised values are not).


LABELS_WHOLE = 4_000_000  # label values checked in full up to this many (a rare stray class
# label hides from a 256-row sample); larger targets (images, sequences) are sampled.


def preflight(model, x, y, when: str = "at initialisation", labels=None,
              inputs=None) -> list[Finding]:
    """Checks on a compiled model and a data sample, before training. `when` words the evidence
    of the activation checks (the in-run recorder may run this after the first epoch).
    labels: all of the training targets (y's sample is checked where not given, or where they
    hold over LABELS_WHOLE values); inputs: all of the inputs (the token ids an Embedding
    takes are checked whole, like labels)."""
    x, y = sample(x, y)
    if labels is not None and sum(np.size(t) for t in flatten(labels)) <= LABELS_WHOLE:
        y = labels
    findings = check_precision(model) + check_inputs(model, x, inputs)
    findings += check_softmax_axes(model) + check_dropout(model) + check_trainable(model)
    findings += check_symmetry(model)
    specs = output_specs(model, x)
    single = {f.layer for f in findings if f.name == "softmax_single_unit"}
    names = list(getattr(model, "output_names", None) or [])
    if len(names) != len(specs):
        names = [spec.layer for spec in specs]
    for spec, target in zip(specs, _targets(y, len(specs), names)):
        if target is None or spec.layer in single:
            continue
        try:
            target = np.asarray(target, dtype=np.float64)
        except (TypeError, ValueError):
            continue  # string labels, ragged targets: Keras will say so itself
        label_findings = check_output_and_loss(spec, target)
        findings += label_findings
        if y is labels and not label_findings:  # one class: judged on all of the labels
            findings += check_one_class(spec, target)
    if len(specs) == 1 and specs[0].activation is None:  # a Lambda or custom output layer
        findings += check_unknown_output(model, x, specs[0])
    # an Embedding given ids beyond its rows cannot run on the sample: said above already
    if has_graph(model, x) and not any(f.name == "embedding_index_out_of_range"
                                       for f in findings):
        try:
            trained = when != "at initialisation"
            findings += check_activations(ActivationExtractor(model)(x), when,
                                          specs[0].layer if trained else None,
                                          specs[0].loss_kind in ONE_OF_K)
        except Exception as e:  # a model we cannot take apart: say so, do not fail
            findings.append(finding("activations_not_checked",
                                    f"{type(e).__name__}: {error_message(e)}"))
    if any(f.name == "saturated_units" and f.severity == "error" for f in findings):
        for f in findings:
            if f.name == "unscaled_inputs":
                f.severity = "error"  # and it saturates units: it breaks training
    if when == "at initialisation" and not any(f.name == "unscaled_inputs" for f in findings):
        findings = [_blame_initialiser(model, f) if f.name == "saturated_units" else f
                    for f in findings]
    if when == "at initialisation":
        for f in findings:  # seen before the first step: no finding of the run explains them
            f.epoch = 0 if f.epoch is None else f.epoch
    return sorted_findings(findings)


WIDE_INIT = 3.0  # a kernel whose spread is 3x Glorot's (what Keras's Dense starts with)


def _blame_initialiser(model, f: Finding) -> Finding:
    """Units saturated at initialisation on scaled inputs: where the layer's kernel is far
    wider than Glorot's sqrt(2 / (fan_in + fan_out)), the initialiser put them there."""
    try:
        layer = model.get_layer(f.layer)
        kernel = to_numpy(layer.kernel)
    except (ValueError, AttributeError):
        return f
    fan_in, fan_out = int(np.prod(kernel.shape[:-1])), int(kernel.shape[-1])
    glorot = math.sqrt(2.0 / (fan_in + fan_out))
    spread = float(np.std(kernel))
    if spread < WIDE_INIT * glorot:
        return f
    init = type(getattr(layer, "kernel_initializer", None)).__name__
    return finding(
        "saturated_units:initialiser", f.evidence + f" The inputs are scaled; the weights are "
        f"not: the kernel's standard deviation is {fmt(spread)}, {spread / glorot:.0f}x "
        f"Glorot's {fmt(glorot)} for its {fan_in} inputs and {fan_out} units "
        f"(kernel_initializer {init}).", severity=f.severity, layer=f.layer,
        kind=activation_of(layer), when="at initialisation", init=init, epoch=f.epoch)


def _targets(y, n: int, names: list[str] | None = None) -> list:
    """One target per model output (None where it cannot be told); a dict of targets by the
    outputs' names, as Keras matches them (not by the dict's order)."""
    if n == 1 and not isinstance(y, (list, tuple, dict)):
        return [y]
    if isinstance(y, dict):
        if names and len(names) == n:
            return [y.get(name) for name in names]
        return list(y.values())[:n] + [None] * max(0, n - len(y))
    if isinstance(y, (list, tuple)) and len(y) == n:
        return list(y)
    return [y] + [None] * (n - 1)


def check_inputs(model, x, whole=None) -> list[Finding]:
    """NaN/Inf in the inputs, inputs far from unit scale (unless a first layer scales them),
    token ids beyond an Embedding's input_dim (in `whole`, all of the inputs, where given)."""
    findings, samples = [], arrays(x)
    inputs = list(model.inputs) if has_graph(model, x) else [None] * len(samples)
    wholes = arrays(whole) if whole is not None else samples
    if len(wholes) != len(samples):
        wholes = samples
    for i, (a, t, ids) in enumerate(zip(samples, inputs, wholes)):
        if not np.issubdtype(a.dtype, np.number):
            continue
        name = f"input {i}" if len(inputs) > 1 else "the input"
        a = a.astype(np.float64)
        bad = ~np.isfinite(a)
        if bad.any():
            findings.append(finding(
                "nonfinite_inputs",
                f"{int(bad.sum())} of {a.size} values in the sample of {name} are NaN or Inf.",
                name=name))
            continue
        first_layers = consumers(model, t) if t is not None else []
        findings += _embedding_ids(first_layers, ids, name)
        findings += _padding_read_last(model, first_layers, ids, name)
        unadapted = [c for c in first_layers if _never_adapted(c)]
        if any(type(c).__name__ in SELF_SCALING and c not in unadapted for c in first_layers):
            continue  # ids for an Embedding, or a model that scales its own inputs
        if t is None and np.issubdtype(samples[i].dtype, np.integer):
            continue  # a subclassed model fed integers: probably ids, cannot tell
        top = float(np.percentile(np.abs(a), 99.9))
        std = float(a.reshape(len(a), -1).std(axis=0).max()) if len(a) > 1 else 0.0
        if top > INPUT_ABS_LIMIT or std > INPUT_STD_LIMIT:
            far = top > INPUT_FAR * INPUT_ABS_LIMIT or std > INPUT_FAR * INPUT_STD_LIMIT
            findings.append(finding(
                "unscaled_inputs",
                f"{name} ranges over [{fmt(float(a.min()))}, {fmt(float(a.max()))}] (99.9th "
                f"percentile of |x| {fmt(top)}, largest feature std {fmt(std)}); Keras's default "
                "initialisation expects features of order 1, so the first layer's "
                "pre-activations are huge: sigmoid/tanh/softmax units saturate, ReLU nets "
                "take huge, erratic steps."
                + "".join(f" Layer '{c.name}' is a Normalization that was never adapted: with "
                          "its initial mean 0 and variance 1 it passes the inputs on unchanged; "
                          f"call {c.name}.adapt(x_train) before fit." for c in unadapted),
                severity="error" if far else "warning",
                layer=first_layers[0].name if first_layers else None, name=name))
    return findings


def _never_adapted(layer) -> bool:
    """A Normalization given no mean and variance and never adapt()-ed: an identity."""
    if type(layer).__name__ != "Normalization" or getattr(layer, "input_mean", 0) is not None:
        return False
    mean, variance = getattr(layer, "adapt_mean", None), getattr(layer, "adapt_variance", None)
    if mean is None or variance is None:
        return False
    return bool(np.all(to_numpy(mean) == 0) and np.all(to_numpy(variance) == 1))


def _embedding_ids(first_layers: list, ids: np.ndarray, name: str) -> list[Finding]:
    """An Embedding looks its input up as row indices 0..input_dim-1: ids beyond them fail on
    torch (IndexError 'index out of range in self') and give NaN on JAX."""
    findings = []
    for layer in first_layers:
        dim = getattr(layer, "input_dim", None)
        if type(layer).__name__ != "Embedding" or not dim or not np.issubdtype(ids.dtype,
                                                                               np.number):
            continue
        bad = (ids < 0) | (ids >= dim)
        if bad.any():
            findings.append(finding(
                "embedding_index_out_of_range",
                f"{name} holds token ids over [{fmt(float(ids.min()))}, {fmt(float(ids.max()))}]"
                f" ({int(bad.sum()):,} of {ids.size:,} outside 0..{dim - 1}), but Embedding "
                f"'{layer.name}' has input_dim={dim}: it has a row for ids 0..{dim - 1} only.",
                layer=layer.name, dim=dim, last=dim - 1, top=int(ids.max())))
    return findings


RECURRENT = ("LSTM", "GRU", "SimpleRNN")
PADDED_ROWS = 0.5  # half the rows end in padding...
PADDED_SHARE = 0.5  # ...for at least half of their positions (the median row)
PADDED_BADLY = 0.75  # three quarters of the positions read after the content: an error


def _padding_read_last(model, first_layers: list, ids: np.ndarray, name: str) -> list[Finding]:
    """Sequences padded after their tokens (pad_sequences(padding='post')) into an Embedding
    without mask_zero and then a recurrent layer: the layer reads the zeros last, and its last
    state (what it returns) has had the padding's length to forget the tokens. Keras pads
    before the tokens by default for this reason (keras.utils.pad_sequences, padding='pre')."""
    if ids.ndim != 2 or ids.shape[1] < 4 or not np.issubdtype(ids.dtype, np.number):
        return []
    for emb in first_layers:
        if type(emb).__name__ != "Embedding" or getattr(emb, "mask_zero", False):
            continue
        readers = [c for t in layer_tensors(emb, "output") for c in consumers(model, t)]
        rnn = next((c for c in readers if type(c).__name__ in RECURRENT
                    and not getattr(c, "go_backwards", False)
                    and not getattr(c, "return_sequences", False)), None)
        if rnn is None:
            continue
        nonzero = ids != 0
        last = np.where(nonzero.any(axis=1),
                        ids.shape[1] - 1 - np.argmax(nonzero[:, ::-1], axis=1), -1)
        trailing = (ids.shape[1] - 1 - last) / ids.shape[1]  # share of positions after content
        padded = trailing > 0
        if padded.mean() < PADDED_ROWS or np.median(trailing) < PADDED_SHARE:
            continue
        share = float(np.median(trailing))
        return [finding(
            "padding_read_last",
            f"{padded.mean():.0%} of the rows of {name} end in zeros after their tokens, a "
            f"median {share:.0%} of the {ids.shape[1]} positions; Embedding '{emb.name}' does "
            f"not mask them (mask_zero=False), so {type(rnn).__name__} '{rnn.name}' reads "
            f"about {round(share * ids.shape[1])} padding steps after the tokens, and the state "
            "it returns has mostly forgotten them.",
            severity="error" if share >= PADDED_BADLY else "warning",
            layer=rnn.name, rnn=type(rnn).__name__, embedding=emb.name)]
    return []


def check_trainable(model) -> list[Finding]:
    """A model with weights but none of them trainable (layer.trainable = False on every
    layer, or model.trainable = False before compile): fit runs and nothing learns."""
    if model.weights and not model.trainable_weights:
        frozen = [layer.name for layer in model.layers if layer.weights]
        return [finding(
            "nothing_to_train",
            f"none of the model's {len(model.weights)} weights is trainable (layers "
            f"{', '.join(repr(n) for n in frozen[:4])}{', ...' if len(frozen) > 4 else ''} are "
            "frozen): fit computes the loss and changes nothing.")]
    return []


HIGHER_IS_BETTER = ("acc", "auc", "precision", "recall", "f1", "iou")
LOWER_IS_BETTER = ("loss", "error", "mae", "mse", "mape", "msle", "hinge", "crossentropy")


def check_monitors(callbacks) -> list[Finding]:
    """Callbacks that watch a metric the wrong way round (Keras's MonitorCallback: EarlyStopping,
    ModelCheckpoint, ReduceLROnPlateau): mode='min' on an accuracy, mode='max' on a loss. They
    take the metric getting worse for progress."""
    findings = []
    for cb in callbacks or []:
        monitor, mode = str(getattr(cb, "monitor", "")), getattr(cb, "mode", None)
        name = monitor.lower().removeprefix("val_")
        wants = ("max" if any(k in name for k in HIGHER_IS_BETTER) else
                 "min" if any(k in name for k in LOWER_IS_BETTER) else None)
        if mode in ("min", "max") and wants and mode != wants:
            kind = type(cb).__name__
            findings.append(finding(
                "monitor_mode_reversed",
                f"{kind}(monitor='{monitor}', mode='{mode}') counts {monitor} getting "
                f"{'lower' if mode == 'min' else 'higher'} as improvement, but {monitor} is "
                f"better {'higher' if wants == 'max' else 'lower'}"
                + (": it stops the run once the metric has improved for its patience"
                   + (", and restore_best_weights brings back the worst epoch's weights"
                      if getattr(cb, "restore_best_weights", False) else "")
                   if kind == "EarlyStopping" else "") + ".",
                callback=kind, monitor=monitor, wants=wants, epoch=0))
    return findings


def check_symmetry(model) -> list[Finding]:
    """Hidden units that start identical and stay so: a Dense layer whose units all have the
    same weights in and bias, feeding a Dense layer whose weights out of them are the same
    too (kernel_initializer='zeros' or a constant on both). Each unit then gets the same
    gradient at every step, so the layer trains as if it had one unit."""
    dense = [layer for layer in model.layers if type(layer).__name__ == "Dense"
             and layer.trainable and getattr(layer, "kernel", None) is not None]
    findings = []
    for layer, after in zip(dense, dense[1:]):
        w_in, w_out = to_numpy(layer.kernel), to_numpy(after.kernel)
        units = w_in.shape[-1]
        if units < 2 or w_out.shape[0] != units:
            continue
        bias = to_numpy(layer.bias) if layer.use_bias else np.zeros(units)
        if np.ptp(w_in, axis=1).max() == 0 and np.ptp(bias) == 0 \
                and np.ptp(w_out, axis=0).max() == 0:
            init = type(layer.kernel_initializer).__name__
            findings.append(finding(
                "symmetric_units",
                f"the {units} units of layer '{layer.name}' start identical (every weight into "
                f"them equal, kernel_initializer {init}) and so do the weights out of them in "
                f"'{after.name}' (kernel_initializer {type(after.kernel_initializer).__name__}): "
                "every unit gets the same gradient at every step and stays the same as the "
                "others.", layer=layer.name, units=units))
    return findings


DROPOUT_TOO_HIGH = 0.8  # a layer that drops 80% or more of its inputs at every step


def check_dropout(model) -> list[Finding]:
    """A dropout rate of 0.8 or more: training sees a fifth of the layer (or less), and the
    model learns slowly or not at all (a rate is the share dropped; 0.9 is often meant as
    'keep 90%')."""
    findings = []
    for layer in model.layers:
        rate = getattr(layer, "rate", None)
        if "Dropout" in type(layer).__name__ and isinstance(rate, (int, float)) \
                and rate >= DROPOUT_TOO_HIGH:
            findings.append(finding(
                "dropout_too_high",
                f"layer '{layer.name}' ({type(layer).__name__}(rate={rate:g})) zeroes "
                f"{rate:.0%} of its inputs at every training step and scales the rest by "
                f"{1 / (1 - rate):.3g}; evaluation uses them all.",
                layer=layer.name, layer_type=type(layer).__name__, rate=rate))
    return findings


def check_softmax_axes(model) -> list[Finding]:
    """A softmax over an axis of size 1 is exactly 1.0 whatever its input: no gradient."""
    findings = []
    for layer in model.layers:
        act = activation_of(layer)
        if act not in ("softmax", "log_softmax"):
            continue
        outs = layer_tensors(layer, "output")
        units = getattr(layer, "units", None)
        if units is None and outs:
            axis = getattr(layer, "axis", -1)
            axis = axis if isinstance(axis, int) else -1
            units = outs[0].shape[axis]
        if units == 1:
            const = "1.0" if act == "softmax" else "0.0"
            findings.append(finding(
                "softmax_single_unit",
                f"layer '{layer.name}' applies {act} over an axis of size 1, so its output is "
                f"exactly {const} for every input and every gradient through it is exactly 0; "
                "the weights never change.", layer=layer.name, act=act, const=const))
    return findings


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


def check_target_codes(spec: OutputSpec, y: np.ndarray) -> list[Finding]:
    """Regression targets holding a missing-value code: one exact value far outside the rest,
    which a squared error weighs thousands of times the others."""
    v = y[np.isfinite(y)].ravel()
    if v.size < 50:
        return []
    median = float(np.median(v))
    spread = 1.4826 * float(np.median(np.abs(v - median)))  # the MAD, as a normal's sd
    far = v[np.abs(v - median) > SENTINEL_SDS * spread] if spread > 0 else v[:0]
    if not far.size or far.size > 0.1 * v.size:
        return []
    values, counts = np.unique(far, return_counts=True)
    code, count = float(values[counts.argmax()]), int(counts.max())
    if count < SENTINEL_SHARE * far.size or count < 2:
        return []
    rest = v[v != code]
    return [finding(
        "target_code",
        f"{count:,} of the {v.size:,} targets ({count / v.size:.1%}) are exactly {fmt(code)}, "
        f"{abs(code - median) / spread:,.0f} robust standard deviations from the median "
        f"{fmt(median)} (98% of the others lie in [{fmt(float(np.percentile(rest, 1)))}, "
        f"{fmt(float(np.percentile(rest, 99)))}]); under {spec.loss_name} those "
        "rows outweigh all the others.", layer=spec.layer, code=fmt(code))]


def check_regression_targets(spec: OutputSpec, y: np.ndarray) -> list[Finding]:
    """Regression: targets the output activation can reach, rows free to not sum to 1, and a
    scale a linear output reaches in reasonable time; no missing-value codes among them."""
    codes = check_target_codes(spec, y)
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
