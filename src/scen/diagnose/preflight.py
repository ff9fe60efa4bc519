"""Checks before training: a compiled Keras model and a data sample, no step taken.

`preflight(model, x, y)` runs them all: inputs (NaN, scale), softmax over one unit, each output's
activation against its loss, the labels against what output and loss can produce, and units
saturated, dead or tied on the sample (activations.py). To add a check: a function returning
a list of findings (texts in catalogue.py), called from `preflight` or `check_output_and_loss`.
(Why ~550 lines: each check is a short function with its thresholds and their reasons beside
it, and the model's make-up is read once for all of them; data.py holds the checks of the
arrays alone.)
"""

from __future__ import annotations

import math

import numpy as np

from scen.diagnose.activations import ActivationExtractor, check_activations
from scen.diagnose.backend import to_numpy
from scen.diagnose.catalogue import Finding, finding, fmt
from scen.diagnose.data import (check_constant_inputs, check_feature_copies_target,
                                check_input_codes, columns_apart)
from scen.diagnose.labels import check_one_class, check_output_and_loss, check_unknown_output
from scen.diagnose.model import (ONE_OF_K, PROBABILITY, SELF_SCALING, activation_of,
                                 arrays, consumers, flatten, has_graph,
                                 layer_tensors, output_specs, sample)
from scen.diagnose.precision import check_precision
from scen.diagnose.report import sorted_findings
from scen.diagnose.wiring import (check_concatenated_axis, check_dropout_after_output,
                                  check_ids_on_last_row, check_inputs_reach_output,
                                  check_lambdas_alike,
                                  check_kernels_not_trainable, check_layers_made_in_call,
                                  check_monotone_by_constraint, check_outputs_identical,
                                  check_padding_inside)
from scen.observe import error_message

INPUT_ABS_LIMIT = 20.0  # 99.9th percentile of |x|: standardised features rarely pass ~5; raw
# pixels (255), counts, years and prices do. A percentile, so that one outlier does not count.
INPUT_STD_LIMIT = 10.0  # largest per-feature std: Keras's Glorot init assumes unit-scale inputs.
INPUT_FAR = 5.0  # 5x those limits (|x| ~ 100, like 0..255 pixels) is an error: pre-activations
# of tens to hundreds saturate any sigmoid/tanh/softmax; between, ReLU nets train, slowly.
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
    monotone = check_monotone_by_constraint(model, x, y)  # x and y of the same rows
    if labels is not None and sum(np.size(t) for t in flatten(labels)) <= LABELS_WHOLE:
        y = labels
    findings = monotone + check_precision(model) + check_inputs(model, x, inputs)
    findings += check_feature_copies_target(inputs, labels)
    findings += check_constant_inputs(inputs if inputs is not None else x)
    if not _token_ids(model, x, inputs):  # an id is a name, not a measurement: no code in it
        findings += check_input_codes(inputs)
    findings += check_softmax_axes(model) + check_dropout(model) + check_trainable(model)
    made_in_call = check_layers_made_in_call(model)
    findings += made_in_call
    findings += check_kernels_not_trainable(model)
    if has_graph(model, x):
        findings += check_concatenated_axis(model) + check_dropout_after_output(model)
        for check in (lambda: check_outputs_identical(model, x, y),
                      lambda: check_lambdas_alike(model, x)):
            try:
                findings += check()
            except Exception:  # noqa: BLE001 - as the check below
                pass
    try:  # (a model that makes layers in call draws new weights on every call: not called)
        findings += [] if made_in_call else check_inputs_reach_output(model, x)
    except Exception:  # noqa: BLE001 - a call the diagnosis may not make, or that fails on
        pass  # rolled rows: the check is skipped, the run goes on
    findings += check_constant_normalisation(model)
    findings += check_symmetry(model) + check_bottleneck(model) + check_squashed_twice(model)
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
    findings += check_targets_swapped(specs, _targets(y, len(specs), names))
    findings += check_label_smoothing(model)
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


def _token_ids(model, x, inputs) -> bool:
    """Whether the (single) input is token ids: it feeds an Embedding, or - a subclassed
    model, whose first layers cannot be read - it is an array of integers."""
    if has_graph(model, x) and len(model.inputs) == 1:
        return any(type(c).__name__ == "Embedding" for c in consumers(model, model.inputs[0]))
    return isinstance(inputs, np.ndarray) and np.issubdtype(inputs.dtype, np.integer)


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
        findings += check_padding_inside(first_layers, ids, name)
        findings += check_ids_on_last_row(first_layers, ids, name)
        unadapted = [c for c in first_layers if _never_adapted(c)]
        if any(type(c).__name__ in SELF_SCALING and c not in unadapted for c in first_layers):
            continue  # ids for an Embedding, or a model that scales its own inputs
        if t is None and np.issubdtype(samples[i].dtype, np.integer):
            findings += _ids_of_unknown_embeddings(model, ids, name)
            continue  # a subclassed model fed integers: probably ids, cannot tell
        if t is not None and "int" in str(getattr(t, "dtype", "")) or any(
                _holds_embedding(c) for c in first_layers):
            continue  # an Input declared integer, or a custom layer around an Embedding: ids
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
        elif (apart := columns_apart(a)) is not None:
            findings.append(finding(
                "unscaled_inputs:columns_apart",
                f"the features of {name} sit on scales {apart['ratio']:.3g}x apart: feature "
                f"{apart['widest']} spreads with std {fmt(apart['top'])}, while half of the "
                f"{apart['n']} continuous features spread less than {fmt(apart['median'])}. "
                "Each first-layer unit sums its inputs times weights of one scale, so the "
                "narrow features barely move it: the model sees one feature, and the rest "
                "only as noise.", layer=first_layers[0].name if first_layers else None,
                name=name))
        elif rows_of_unit_length(a):
            findings.append(finding(
                "rows_normalised",
                f"every row of {name} ({a.shape[1]} features) has length 1: the rows were "
                "normalised (keras.utils.normalize(x) divides each sample by its own norm), "
                "not the features. A sample's features then say only how they compare with "
                "each other, and how large the sample was is lost.", name=name))
    return findings


def _ids_of_unknown_embeddings(model, ids: np.ndarray, name: str) -> list[Finding]:
    """A subclassed model's integer inputs, whose Embeddings cannot be traced to them: each
    column (a (rows, k) array of k id columns, as keras-io's recommender takes users and
    movies) beside each Embedding whose last row is the column's largest id."""
    layers = model._flatten_layers(include_self=False) if hasattr(model, "_flatten_layers") \
        else []
    tables = [layer for layer in layers if type(layer).__name__ == "Embedding"]
    if not tables or np.ndim(ids) != 2 or ids.shape[1] > 16:
        return []
    for j in range(ids.shape[1]):
        column = ids[:, j]
        top = column.max() if column.size else None
        found = check_ids_on_last_row([e for e in tables if e.input_dim - 1 == top], column,
                                      f"column {j} of {name}")
        if found:
            return found
    return []


def _holds_embedding(layer) -> bool:
    """A custom layer with an Embedding inside (token plus position embeddings)."""
    inner = layer._flatten_layers(include_self=False) if hasattr(layer, "_flatten_layers") \
        else []
    return any(type(sub).__name__ == "Embedding" for sub in inner)


ROW_FEATURES = (2, 64)  # tabular rows; a bag of words or TF-IDF vector (normalised on purpose)
# has hundreds of columns


def rows_of_unit_length(a: np.ndarray) -> bool:
    """A 2-D sample of continuous features (some value neither 0 nor 1: one-hot rows have
    length 1 too) whose every row has L2 length 1."""
    if a.ndim != 2 or not ROW_FEATURES[0] <= a.shape[1] <= ROW_FEATURES[1] or len(a) < 8:
        return False
    if np.all((a == 0) | (a == 1)):
        return False
    return bool(np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-3))


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
        fractional = ids[ids != np.floor(ids)] if np.issubdtype(ids.dtype, np.floating) else []
        if len(fractional) > 0.5 * ids.size:
            findings.append(finding(
                "embedding_ids_not_integer",
                f"{name} holds values over [{fmt(float(ids.min()))}, {fmt(float(ids.max()))}], "
                f"{len(fractional) / ids.size:.0%} of them fractional, but Embedding "
                f"'{layer.name}' takes token ids: it casts them to integers, so every value "
                f"below 1 becomes id 0 ({int(np.sum((ids >= 0) & (ids < 1))):,} of "
                f"{ids.size:,}) and the tokens are lost.", layer=layer.name))
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


ONE_UNIT_OUTPUTS = 3  # a hidden layer of one unit before an output this wide: a bottleneck


def check_bottleneck(model) -> list[Finding]:
    """A hidden Dense layer of a single unit that everything after it must read: the model
    sees each sample as one number, which cannot tell apart the outputs of a wider head (and
    one dead ReLU there stops the whole model)."""
    specs = output_specs(model)
    width = max((s.units or 0 for s in specs), default=0)
    outputs = {s.layer for s in specs}
    if width < ONE_UNIT_OUTPUTS:
        return []
    for layer in getattr(model, "layers", []):
        if type(layer).__name__ != "Dense" or layer.units != 1 or layer.name in outputs:
            continue
        try:
            if len(layer.output.shape) != 2:
                continue  # one score per step or position (attention): not a bottleneck
        except (AttributeError, ValueError):
            continue
        return [finding(
            "bottleneck_of_one_unit",
            f"layer '{layer.name}' has a single unit ({activation_of(layer)}), and the "
            f"{width}-unit output is computed from it alone: every sample reaches the head as "
            "one number.", layer=layer.name, width=width)]
    return []


def check_targets_swapped(specs: list, targets: list) -> list[Finding]:
    """Two outputs whose targets fit each other's head: 0/1 labels on a linear regression
    output while a sigmoid/cross-entropy output gets continuous targets (fit's y in the wrong
    order for the model's outputs)."""
    def binary(t):
        return t is not None and np.all((t == 0) | (t == 1))

    def continuous(t):
        return t is not None and np.unique(t).size > 10

    try:
        arrays = [None if t is None else np.asarray(t, dtype=np.float64) for t in targets]
    except (TypeError, ValueError):
        return []
    for i, (a, ta) in enumerate(zip(specs, arrays)):
        for b, tb in zip(specs[i + 1:], arrays[i + 1:]):
            for reg, t_reg, cls, t_cls in ((a, ta, b, tb), (b, tb, a, ta)):
                if (reg.loss_kind in ("mse", "mae", "regression") and binary(t_reg)
                        and cls.loss_kind == "binary_ce" and continuous(t_cls)):
                    return [finding(
                        "targets_swapped",
                        f"output '{reg.layer}' ({reg.loss_name}) is given 0/1 labels, and "
                        f"output '{cls.layer}' ({cls.loss_name}) continuous targets "
                        f"({np.unique(t_cls).size} distinct values): each output's targets fit "
                        "the other's head.", first=reg.layer, second=cls.layer)]
    return []


LABEL_SMOOTHING_HIGH = 0.5  # label_smoothing=s pulls a 0/1 label to s/2 or 1 - s/2: at 0.5 a
# positive is 0.75 and a negative 0.25; at 1.0 both are 0.5 and the labels say nothing


def check_label_smoothing(model) -> list[Finding]:
    """A cross-entropy loss whose label_smoothing is so high the labels barely differ."""
    import keras

    for loss in keras.tree.flatten(getattr(model, "loss", None)):
        s = getattr(loss, "label_smoothing", None)
        if s is None:
            s = getattr(loss, "_fn_kwargs", {}).get("label_smoothing")
        if s is not None and float(s) >= LABEL_SMOOTHING_HIGH:
            return [finding(
                "label_smoothing_too_high",
                f"the loss {type(loss).__name__} has label_smoothing={float(s):g}: it replaces "
                f"each 0/1 label y by y(1 - {float(s):g}) + {float(s) / 2:g}, so a positive "
                f"trains toward {1 - float(s) / 2:g} and a negative toward {float(s) / 2:g}.",
                smoothing=f"{float(s):g}")]
    return []


def check_squashed_twice(model) -> list[Finding]:
    """A layer that applies softmax or sigmoid to what a softmax or sigmoid already gave (an
    Activation('softmax') after Dense(10, activation='softmax')): probabilities in [0, 1]
    squashed again span a narrow band (softmax over ten of them: at most e/(e+9) = 0.23),
    so the loss cannot fall below a high floor however right the model is."""
    for layer in getattr(model, "layers", []):
        act = activation_of(layer)
        if act not in PROBABILITY or layer.weights:  # a Dense between them transforms first
            continue
        try:
            parents = [n.operation for n in layer._inbound_nodes[0].parent_nodes]
        except (AttributeError, IndexError):
            continue
        before = [p for p in parents if activation_of(p) in PROBABILITY]
        if len(parents) == 1 and before:
            return [finding(
                "probabilities_as_logits:twice",
                f"layer '{layer.name}' applies '{act}' to the output of layer "
                f"'{before[0].name}', which already applied '{activation_of(before[0])}': "
                "values in [0, 1] squashed again.", layer=layer.name, act=act,
                first=before[0].name)]
    return []


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


def check_constant_normalisation(model) -> list[Finding]:
    """A LayerNormalization over axes that hold one value per position (a single feature
    channel): x - mean(x) is 0 there, so the layer outputs its beta whatever its input, and
    nothing before it gets a gradient through it (keras/src/layers/normalization/
    layer_normalization.py normalises over `axis`)."""
    findings = []
    for layer in model._flatten_layers(include_self=False) if hasattr(
            model, "_flatten_layers") else model.layers:
        if type(layer).__name__ != "LayerNormalization" or not layer.built:
            continue
        weight = next((w for w in (getattr(layer, "gamma", None), getattr(layer, "beta", None))
                       if w is not None), None)
        if weight is not None and int(np.prod(weight.shape)) == 1:
            findings.append(finding(
                "normalisation_of_one_value",
                f"LayerNormalization '{layer.name}' normalises over axis {layer.axis}, which "
                "holds one value per position: x minus its own mean is 0, so the layer "
                "outputs its beta whatever comes in, and the layers before it get no "
                "gradient through it.", layer=layer.name))
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
