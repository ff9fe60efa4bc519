"""Reading a Keras model and its data, through the public Keras API only (layers,
inputs/outputs, layer.input/output, model.loss): data samples, layer kinds, each output's
activation, units and loss (`OutputSpec`).

Inputs and targets may be arrays, lists or dicts of arrays, as Keras's fit takes them.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass

import numpy as np

SAMPLE_SIZE = 256  # samples kept for preflight and activation statistics: enough for shares
# of a batch to be stable to a few percent, small enough that a forward pass costs milliseconds.

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
                   "meanabsolutepercentageerror", "mape", "poisson", "cosinesimilarity"},
}
CROSS_ENTROPY = {"binary_ce", "categorical_ce", "sparse_ce"}
ONE_OF_K = {"categorical_ce", "sparse_ce"}  # losses whose accuracy is an argmax


# --- Samples ----------------------------------------------------------------------------------


def arrays(x) -> list[np.ndarray]:
    """The arrays of an input given as an array, a list or a dict."""
    if isinstance(x, (list, tuple)):
        return [np.asarray(a) for a in x]
    if isinstance(x, dict):
        return [np.asarray(a) for a in x.values()]
    return [np.asarray(x)]


def n_rows(x) -> int:
    return len(arrays(x)[0])


def take_rows(x, idx):
    """Rows `idx` (an index array or a slice) of every array in x, keeping x's structure."""
    if isinstance(x, (list, tuple)):
        return [np.asarray(a)[idx] for a in x]
    if isinstance(x, dict):
        return {k: np.asarray(a)[idx] for k, a in x.items()}
    return np.asarray(x)[idx]


def sample(x, y, n: int = SAMPLE_SIZE):
    """Evenly spaced rows, not the first n: data sorted by class would give one class only."""
    total = n_rows(x)
    idx = np.unique(np.linspace(0, total - 1, min(n, total)).astype(int))
    return take_rows(x, idx), (None if y is None else take_rows(y, idx))


# --- The model's graph ------------------------------------------------------------------------


def flatten(t) -> list:
    """The leaves of a tensor structure (None, a tensor, or lists/dicts of them)."""
    if t is None:
        return []
    if isinstance(t, (list, tuple)):
        return [u for s in t for u in flatten(s)]
    if isinstance(t, dict):
        return [u for s in t.values() for u in flatten(s)]
    return [t]


def layer_tensors(layer, attr) -> list:
    """layer.input or layer.output (`attr`) as a flat list; [] if the layer has none."""
    try:
        return flatten(getattr(layer, attr))
    except (AttributeError, ValueError):  # never called, or not part of a graph
        return []


def has_graph(model, x=None) -> bool:
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
    if cls == "TimeDistributed":  # applies its layer, activation and all, at each step
        return activation_of(layer.layer)
    fn = getattr(layer, "activation", None)
    if fn is None or isinstance(fn, str):
        return fn
    return getattr(fn, "__name__", type(fn).__name__).lower()


def consumers(model, tensor, seen=None) -> list:
    """The first layers that change the values of `tensor` (looking through reshapes)."""
    seen = set() if seen is None else seen
    out = []
    for layer in model.layers:
        if id(layer) in seen or not any(t is tensor for t in layer_tensors(layer, "input")):
            continue
        seen.add(id(layer))
        if type(layer).__name__ in RESHAPING:
            for t in layer_tensors(layer, "output"):
                out += consumers(model, t, seen)
        else:
            out.append(layer)
    return out


def sources(model, tensor) -> set[int]:
    """The positions, in model.inputs, of the inputs that `tensor` is computed from."""
    inputs = {id(t): i for i, t in enumerate(model.inputs)}
    producers = {id(t): layer for layer in model.layers for t in layer_tensors(layer, "output")}
    found, todo, seen = set(), [tensor], set()
    while todo:
        t = todo.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if id(t) in inputs:
            found.add(inputs[id(t)])
        elif id(t) in producers:
            todo += layer_tensors(producers[id(t)], "input")
    return found


# --- Outputs and losses -----------------------------------------------------------------------


@dataclass
class OutputSpec:
    layer: str | None
    activation: str | None  # None: unknown (subclassed model, custom layer)
    units: int | None
    loss_kind: str | None  # binary_ce | categorical_ce | sparse_ce | mse | mae | regression
    loss_name: str
    from_logits: bool
    shape: tuple | None = None  # the output's shape without the batch axis, (..., units)


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
    graph = has_graph(model, x)
    loss = getattr(model, "loss", None)
    if graph:
        tensors = list(model.outputs)
    else:  # subclassed: units from a forward pass, activation unknown
        import keras

        with looked_at(model):
            y = model(take_rows(x, slice(0, 2)), training=False) if x is not None else None
        tensors = [keras.ops.convert_to_numpy(t) for t in flatten(y)]
    names = list(getattr(model, "output_names", None) or [])
    if isinstance(loss, dict):
        losses = ([loss.get(n) for n in names] if len(names) == len(tensors)
                  else [None] * len(tensors))
    elif isinstance(loss, (list, tuple)):
        losses = list(loss) + [None] * (len(tensors) - len(loss))
    else:
        losses = [loss] * len(tensors)
    producers = ({id(t): layer for layer in model.layers for t in layer_tensors(layer, "output")}
                 if graph else {})
    specs = []
    for t, lo in zip(tensors, losses):
        layer = producers.get(id(t))
        while layer is not None and type(layer).__name__ in PASSTHROUGH:
            inputs = layer_tensors(layer, "input")
            layer = producers.get(id(inputs[0])) if inputs else None
        kind, name, logits = loss_kind(lo) if lo is not None else (None, "", False)
        units = t.shape[-1] if len(t.shape) > 1 else 1
        specs.append(OutputSpec(layer.name if layer is not None else None,
                                activation_of(layer) if layer is not None else None,
                                units, kind, name, logits, tuple(t.shape[1:])))
    return specs


def without_gradients():
    """torch.no_grad() on the torch backend (a diagnosis call must not build a graph); nothing
    on the others, whose calls outside a training step record none."""
    import keras

    if keras.backend.backend() != "torch":
        return contextlib.nullcontext()
    import torch

    return torch.no_grad()


class CallHasSideEffects(RuntimeError):
    """The diagnosis does not call a model whose call leaves marks the script could see."""


@contextlib.contextmanager
def looked_at(model):
    """Around every call the diagnosis makes of the user's model (a sample's predictions, its
    activations, the initial loss): what that call would leave behind, the script does not
    see. Its warnings are hidden (scen.observe.warnings_hidden), what its call prints goes
    nowhere (Keras's fit prints a printing call's lines itself), and the losses its layers
    add (activity regularizers, add_loss) are put back as the script's last call left them,
    so that `model.losses` after fit reads as under `python train.py`. Callers pass
    training=False, which draws no random number."""
    import io

    from scen.observe import warnings_hidden
    from scen.user_code import call_side_effects

    why = call_side_effects(model)
    if why:
        raise CallHasSideEffects(f"the diagnosis does not call this model: {why}")

    layers = list(model._flatten_layers(include_self=True)) if hasattr(
        model, "_flatten_layers") else []
    kept = [(layer, list(layer._losses), set(layer._loss_ids)) for layer in layers
            if hasattr(layer, "_losses") and hasattr(layer, "_loss_ids")]
    sink = io.StringIO()
    try:
        with warnings_hidden(), contextlib.redirect_stdout(sink), \
                contextlib.redirect_stderr(sink):
            yield
    finally:
        for layer, losses, ids in kept:
            layer._losses[:] = losses
            layer._loss_ids.clear()
            layer._loss_ids.update(ids)
