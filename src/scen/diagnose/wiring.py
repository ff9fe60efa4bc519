"""How the model is put together, against what it is given: faults in its wiring that train on
silently, each seen before the first step (rounds 2026-12-09's and 2026-12-10's families, as
generic rules).

- check_layers_made_in_call: a layer constructed inside a `call`, new on every call;
- check_inputs_reach_output: one of several inputs that no output depends on;
- check_concatenated_axis: two inputs' branches joined along the steps, not side by side;
- check_monotone_by_constraint: NonNeg kernels everywhere against a target that falls with a
  feature;
- check_padding_inside: a real token numbered 0 under Embedding(mask_zero=True);
- check_dropout_after_output: a Dropout (or noise) layer after the output layer;
- check_kernels_not_trainable: a layer whose kernel is kept out of training while its bias trains;
- check_ids_on_last_row: token or entity ids clipped into an Embedding's range;
- check_outputs_identical: two outputs that the same layers compute (one head called twice);
- check_lambdas_alike: Lambda layers built in a loop that all compute the same slice.

preflight.py calls them; their texts are in catalogue.py.
"""

from __future__ import annotations

import numpy as np

from scen.diagnose.catalogue import Finding, finding, fmt
from scen.diagnose.model import (activation_of, flatten, has_graph, layer_tensors, looked_at,
                                 sources, without_gradients)

INSIDE_ROWS = 0.1  # rows with a 0 between tokens: one in ten is a token, not stray padding


def check_padding_inside(first_layers: list, ids: np.ndarray, name: str) -> list[Finding]:
    """Id 0 between tokens, into an Embedding(mask_zero=True): 0 is the mask, so a word that
    the vocabulary numbered 0 (a special token, the first entry) is dropped wherever it occurs
    and cannot be told from padding. Padding itself sits at one end (pad_sequences 'pre' or
    'post'), never between tokens."""
    if ids.ndim != 2 or ids.shape[1] < 3 or not np.issubdtype(ids.dtype, np.number):
        return []
    for emb in first_layers:
        if type(emb).__name__ != "Embedding" or not getattr(emb, "mask_zero", False):
            continue
        token = ids != 0
        before = np.maximum.accumulate(token, axis=1)  # a token at or before each position
        after = np.maximum.accumulate(token[:, ::-1], axis=1)[:, ::-1]
        inside = ~token & before & after
        rows = float(inside.any(axis=1).mean())
        if rows < INSIDE_ROWS:
            continue
        return [finding(
            "padding_id_collides",
            f"{rows:.0%} of the rows of {name} hold id 0 between other tokens "
            f"({int(inside.sum()):,} times in all), but Embedding '{emb.name}' has "
            "mask_zero=True: 0 is the padding id, so that token is masked out wherever it "
            "occurs and the model never sees it.",
            layer=emb.name)]
    return []


def sample_outputs(model, inputs) -> list[np.ndarray]:
    """The model's outputs on `inputs` (a sample), in inference mode, as float64 arrays: a
    call the script does not see (looked_at) and that records no gradient."""
    import keras

    with without_gradients(), looked_at(model):
        got = model(inputs, training=False)
    return [np.asarray(keras.ops.convert_to_numpy(t), dtype=np.float64) for t in flatten(got)]


def check_inputs_reach_output(model, x) -> list[Finding]:
    """Of a model's several inputs, one that no output depends on: its rows swapped for other
    rows' (rolled by half the sample) change no prediction at all, exactly, while another
    input's do. A wiring slip (a branch applied to the wrong tensor, a tower fed the other
    input) trains on silently without the features it was given."""
    if isinstance(x, dict):
        named = list(x.items())
    elif isinstance(x, (list, tuple)):
        names = [getattr(t, "name", None) for t in model.inputs] if has_graph(model, x) \
            else []
        named = [(names[i] if len(names) == len(x) and names[i] else f"input {i}", a)
                 for i, a in enumerate(x)]
    else:
        return []
    n = len(named[0][1]) if named else 0
    if len(named) < 2 or n < 4:
        return []

    def rolled(key):
        if isinstance(x, dict):
            return {k: np.roll(a, n // 2, axis=0) if k == key else a for k, a in x.items()}
        return type(x)(np.roll(a, n // 2, axis=0) if name == key else a for name, a in named)

    base = sample_outputs(model, x)
    effect = {}
    for name, a in named:
        if not np.any(np.roll(a, n // 2, axis=0) != a):
            continue  # every row alike: rolling cannot tell
        effect[name] = max(float(np.max(np.abs(o - b)))
                           for o, b in zip(sample_outputs(model, rolled(name)), base))
    unused = [name for name, e in effect.items() if e == 0.0]
    if not unused or len(unused) == len(effect):
        return []  # all of them or none: a constant model is other checks' business
    moved = max(effect.values())
    return [finding(
        "input_not_used",
        f"input {', '.join(repr(u) for u in unused)}: swapping its rows for other rows' "
        f"changes no prediction on a {n}-row sample (exactly 0), while the other inputs' move "
        f"the output by up to {fmt(moved)}. The model never reads it: no path leads from it to "
        "an output.", name=unused[0])]


def check_concatenated_axis(model) -> list[Finding]:
    """A Concatenate of branches from different inputs along an axis before the features (the
    time steps of (batch, steps, channels), an image's rows): the branches end up one after
    the other, as if one long sequence, where side by side (axis=-1) each step would carry
    both inputs' features."""
    if not getattr(model, "inputs", None) or len(model.inputs) < 2:
        return []
    for layer in model.layers:
        if type(layer).__name__ != "Concatenate":
            continue
        parts = layer_tensors(layer, "input")
        rank = len(parts[0].shape) if parts else 0
        axis = layer.axis % rank if rank else -1
        if rank < 3 or axis in (0, rank - 1):
            continue
        origins = [sources(model, t) for t in parts]
        if any(not o for o in origins) or any(a & b for i, a in enumerate(origins)
                                              for b in origins[i + 1:]):
            continue  # parts of one input (a sequence and its own summary): as meant
        names = [model.inputs[min(o)].name for o in origins]
        shapes = ", ".join(str(tuple(t.shape[1:])) for t in parts)
        return [finding(
            "concatenated_on_the_wrong_axis",
            f"layer '{layer.name}' joins branches of inputs {', '.join(map(repr, names))} "
            f"(shapes {shapes}) along axis {layer.axis}, the steps, not the features: the "
            f"result is {tuple(layer_tensors(layer, 'output')[0].shape[1:])}, one input's "
            "steps after the other's, so no step sees both inputs at once.",
            layer=layer.name, axis=layer.axis)]
    return []


def check_layers_made_in_call(model) -> list[Finding]:
    """A layer constructed inside a `call` (scen.user_code.layers_made_in_call): new weights on
    every forward pass, none of them trained."""
    from scen.user_code import layers_made_in_call

    made = layers_made_in_call(model)
    if not made:
        return []
    return [finding(
        "layer_created_in_call",
        f"{'; '.join(made)}: a new layer, with weights drawn afresh, on every call. Keras "
        "tracks only the layers set on self, so the optimizer never updates these weights, "
        "and each batch (and each predict) passes through another random layer.",
        where=made[0].split(" makes ")[0], layer_class=made[0].split(" makes ")[1])]


# Activations that never fall as their input rises: a chain of them over non-negative kernels
# is a function that never falls as any input rises (a "monotonic network").
RISING = {None, "linear", "relu", "leaky_relu", "relu6", "elu", "selu", "sigmoid", "tanh",
          "softplus", "hard_sigmoid", "exponential"}
SHAPE_ONLY = {"Dropout", "Flatten", "Reshape", "InputLayer", "GaussianNoise", "Activation",
              "ReLU", "LeakyReLU", "AlphaDropout", "GaussianDropout", "SpatialDropout1D"}
FALLING_CORRELATION = -0.1  # a feature the target falls with: |r| beyond sampling noise on a
# few hundred rows (its standard error is ~0.06 at 256 rows)


def check_monotone_by_constraint(model, x, y) -> list[Finding]:
    """Every kernel held non-negative (kernel_constraint=NonNeg()) and every activation rising:
    the output can only rise as any input rises. A target that falls as some feature rises
    cannot be fitted; the data's own correlation says whether it does."""
    if not has_graph(model, x) or not isinstance(x, np.ndarray) or x.ndim != 2 \
            or not isinstance(y, np.ndarray) or not np.issubdtype(y.dtype, np.number):
        return []
    weighted = [layer for layer in model.layers if getattr(layer, "kernel", None) is not None]
    if not weighted or any(type(getattr(layer, "kernel_constraint", None)).__name__ != "NonNeg"
                           for layer in weighted):
        return []
    if any(layer not in weighted and type(layer).__name__ not in SHAPE_ONLY
           for layer in model.layers) or any(activation_of(layer) not in RISING
                                             for layer in model.layers):
        return []
    target = np.asarray(y, dtype=np.float64).reshape(len(x), -1)
    if target.shape[1] != 1 or np.ptp(target) == 0:
        return []
    cols = x.astype(np.float64)
    spread = cols.std(axis=0) > 0
    if not spread.any():
        return []
    t = (target[:, 0] - target.mean()) / target.std()
    z = (cols[:, spread] - cols[:, spread].mean(axis=0)) / cols[:, spread].std(axis=0)
    r = np.full(cols.shape[1], np.nan)
    r[spread] = z.T @ t / len(t)
    falling = np.flatnonzero(r <= FALLING_CORRELATION)
    if not falling.size:
        return []
    listed = ", ".join(f"{i} (r = {r[i]:.2f})" for i in falling[np.argsort(r[falling])][:4])
    return [finding(
        "constraint_limits_model",
        f"every kernel of the model's {len(weighted)} weighted layers is held non-negative "
        f"(kernel_constraint=NonNeg()) and every activation rises with its input, so the "
        f"output can only rise as any feature rises; but the target falls as feature(s) "
        f"{listed} rise{'s' if falling.size == 1 else ''} on the sample. The model cannot "
        "fit those features' effect.", layer=weighted[0].name)]


NOISE = {"Dropout", "GaussianNoise", "GaussianDropout", "AlphaDropout"}
PASSING = {"Activation", "Reshape", "Flatten", "Softmax"}


def check_dropout_after_output(model) -> list[Finding]:
    """A Dropout (or noise) layer between the last weighted layer and an output: in training it
    zeroes a share of the predictions and scales the rest by 1 / (1 - rate), which the loss
    then fits; at inference it is off, so the model predicts another scale than it trained on."""
    if not getattr(model, "outputs", None):
        return []
    producers = {id(t): layer for layer in model.layers for t in layer_tensors(layer, "output")}
    for out in model.outputs:
        layer, noise = producers.get(id(out)), None
        while layer is not None and type(layer).__name__ in NOISE | PASSING:
            if type(layer).__name__ in NOISE:
                noise = layer
            inputs = layer_tensors(layer, "input")
            layer = producers.get(id(inputs[0])) if inputs else None
        if noise is not None and layer is not None and getattr(layer, "kernel", None) is not None:
            rate = getattr(noise, "rate", getattr(noise, "stddev", None))
            return [finding(
                "dropout_after_output",
                f"layer '{noise.name}' ({type(noise).__name__}"
                f"{f', rate {rate}' if rate is not None else ''}) comes after the output layer "
                f"'{layer.name}': during training it perturbs the predictions themselves (a "
                "Dropout zeroes a share and scales the rest up), so the loss trains the model "
                "to predict for that, and predict() - without it - gives another scale.",
                layer=noise.name, kind=type(noise).__name__, output=layer.name)]
    return []


def check_kernels_not_trainable(model) -> list[Finding]:
    """A layer (a custom one, as a rule) that trains its bias but keeps its kernel - a weight of
    two or more axes - out of training (add_weight(..., trainable=False)): the model trains as
    fixed random features. A layer frozen whole (layer.trainable = False) is meant."""
    for layer in model._flatten_layers(include_self=False) if hasattr(
            model, "_flatten_layers") else model.layers:
        if not getattr(layer, "trainable", True) or not layer.trainable_weights:
            continue
        own = getattr(layer, "_trainable_variables", None)  # its own, not its sublayers'
        frozen = [v for v in getattr(layer, "_non_trainable_variables", [])
                  if len(v.shape) >= 2]
        if frozen and own:
            v = frozen[0]
            return [finding(
                "kernels_not_trainable",
                f"layer '{layer.name}' ({type(layer).__name__}) trains "
                f"{sum(int(np.prod(w.shape)) for w in own):,} values "
                f"({', '.join(w.name for w in own[:3])}) "
                f"but keeps its {tuple(v.shape)} weight '{v.name}' out of training "
                "(trainable=False): the optimizer never updates it.", layer=layer.name)]
    return []


LAST_ROW_SHARE = 0.2  # ids on an Embedding's last row: a vocabulary's last id is rarely its
# commonest


def check_ids_on_last_row(first_layers: list, ids: np.ndarray, name: str) -> list[Finding]:
    """Ids forced into an Embedding's range (np.clip(ids, 0, input_dim - 1), np.minimum):
    every id beyond the table lands on its last row, and all of those rows share one vector."""
    if not np.issubdtype(np.asarray(ids).dtype, np.number) or not np.size(ids):
        return []
    for emb in first_layers:
        dim = getattr(emb, "input_dim", None)
        if type(emb).__name__ != "Embedding" or not dim or dim < 10:
            continue
        share = float(np.mean(np.asarray(ids) == dim - 1))
        if share < LAST_ROW_SHARE:
            continue
        return [finding(
            "embedding_ids_clipped",
            f"{share:.0%} of the ids in {name} are {dim - 1}, the last row of Embedding "
            f"'{emb.name}' (input_dim {dim}): ids beyond the table were forced onto its last "
            "row, so all of them share one vector and cannot be told apart.", layer=emb.name)]
    return []


def check_outputs_identical(model, x, y) -> list[Finding]:
    """Two outputs with the same values on the sample (exactly) while their targets differ: the
    same layers compute both - one head's layers created once and called for each output."""
    outputs = getattr(model, "outputs", None)
    if not outputs or len(outputs) < 2 or y is None:
        return []
    got = sample_outputs(model, x)
    names = list(getattr(model, "output_names", None) or [f"output {i}" for i in range(len(got))])
    targets = list(y.values()) if isinstance(y, dict) else list(y) \
        if isinstance(y, (list, tuple)) else []
    for i in range(len(got)):
        for j in range(i + 1, len(got)):
            if got[i].shape != got[j].shape or not np.array_equal(got[i], got[j]):
                continue
            if len(targets) == len(got) and np.array_equal(np.asarray(targets[i]),
                                                           np.asarray(targets[j])):
                continue  # the same targets: the same prediction is no fault
            return [finding(
                "outputs_identical",
                f"outputs '{names[i]}' and '{names[j]}' are exactly equal on a "
                f"{len(got[i])}-row sample, while their targets differ: the same layers, with "
                "the same weights, compute both, so they can only ever predict the same.",
                first=repr(names[i]), second=repr(names[j]))]
    return []


def check_lambdas_alike(model, x) -> list[Finding]:
    """Several Lambda layers on the same model input that give exactly the same values on the
    sample: built in a loop (`Lambda(lambda t: t[:, start:start + k])`), each closes over the
    loop's variable, which Python reads when the layer runs - after the loop, at its last
    value - so every branch gets the last slice and the others are never seen."""
    import keras

    if not has_graph(model, x) or len(getattr(model, "inputs", [])) < 1:
        return []
    samples = x if isinstance(x, (list, tuple)) else [x]
    if len(samples) != len(model.inputs):
        return []
    for tensor, values in zip(model.inputs, samples):
        lambdas = [layer for layer in model.layers if type(layer).__name__ == "Lambda"
                   and any(t is tensor for t in layer_tensors(layer, "input"))]
        if len(lambdas) < 2:
            continue
        with looked_at(model):
            outs = [np.asarray(keras.ops.convert_to_numpy(layer(values))) for layer in lambdas]
        alike = [layer.name for layer, o in zip(lambdas[1:], outs[1:])
                 if o.shape == outs[0].shape and np.array_equal(o, outs[0])]
        if alike and np.ptp(outs[0]) > 0:
            names = [lambdas[0].name] + alike
            return [finding(
                "lambda_slices_alike",
                f"Lambda layers {', '.join(map(repr, names))} all take {tensor.name!r} and give "
                f"exactly the same values on the sample: built in a loop, each function reads "
                "the loop's variable when it runs, after the loop, so every branch gets the "
                "last slice and the other slices are never seen.", layer=names[0])]
    return []
