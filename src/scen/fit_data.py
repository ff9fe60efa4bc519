"""What a fit was given, as scen reads it without changing it: arrays or a dataset, a sample
of its data for the diagnosis (a dataset's first batch, taken so that the fit still sees every
batch and every random draw it would have: first_batch), the weights fit gives each row, and
another backend's initial weights loaded by structure. Used by the interception of a script's
fits (scen.intercept), the port's side of them (scen.script_native) and the fixes --verify
applies (scen.script_fix)."""

from __future__ import annotations

import numpy as np

from scen.diagnose.model import n_rows
from scen.keras_run import load_weights
from scen.scenario import Dataset, Fit, ScenError


def fit_weights(a: dict, y) -> np.ndarray | None:
    """The weight fit gives each row of arrays x/y (keras_exact's copy of Keras's rule: its
    sample_weight, or its class_weight per label); None without either, or for other data."""
    from scen.keras_exact.reduction import fit_sample_weights

    try:
        weights, _ = fit_sample_weights(y, a.get("sample_weight"),
                                        a.get("class_weight") or None, len(y))
    except Exception:  # weights fit itself will refuse: its error says why
        return None
    return weights.reshape(-1) if weights is not None else None


def load_by_structure(model, path: str) -> None:
    """Another backend's initial weights, in model.get_weights() order; ScenError naming the
    first weight whose shape differs when the models differ."""
    weights = load_weights(path)
    mine = model.get_weights()
    if len(weights) != len(mine):
        raise ScenError(f"the models differ: {len(mine)} weights here, {len(weights)} in the "
                        "first backend's model")
    for i, (v, w) in enumerate(zip(model.weights, weights)):
        if tuple(v.shape) != tuple(w.shape):
            raise ScenError(f"the models differ: weight {i} ({v.path}) is {tuple(v.shape)} here, "
                            f"{tuple(w.shape)} in the first backend's model")
    model.set_weights(weights)


def data_digest(a: dict, sample: Dataset | None = None) -> str:
    """A sha256 of fit's x, y, sample_weight and validation_data (NumPy arrays, lists or dicts
    of them): equal on two backends when the script made the same data there. Other data (a
    generator, a PyDataset, a DataLoader) are known by their first batch, `sample` (fit_data's
    Dataset), prefixed "first batch:"; a tf.data.Dataset by its first element (a look only
    compare takes). ScenError where none can be had, which compare cannot check to be the same
    on every backend.""" 
    import hashlib

    import keras

    fields = [(name, a.get(name)) for name in ("x", "y", "sample_weight", "validation_data")]
    other = next((name for name, v in fields if v is not None and not all(
        isinstance(leaf, np.ndarray) for leaf in keras.tree.flatten(v))), None)
    prefix = ""
    if other is not None:
        if (sample is None or sample.x is None) and type(a.get(other)).__module__.startswith(
                "tensorflow"):
            # A tf.data.Dataset's first element. The look takes a shuffle, the same one on
            # every backend compared, so the backends still train on the same batches.
            first = next(iter(a.get(other)))
            sample = Dataset(*(keras.tree.map_structure(np.asarray, t) for t in first[:2]))
        if sample is None or sample.x is None:
            raise ScenError(f"compare needs to see fit's data, and {other} is "
                            f"{data_kind(a.get(other))}, which scen does not look into: make "
                            "it with NumPy or a generator to compare")
        fields, prefix = [("x", sample.x), ("y", sample.y)], "first batch:"
    digest = hashlib.sha256()
    for name, value in fields:
        for path, leaf in keras.tree.flatten_with_path(value) if value is not None else ():
            digest.update(f"{name}{list(path)}:{leaf.dtype}:{leaf.shape}".encode())
            digest.update(np.ascontiguousarray(leaf).tobytes())
    return prefix + digest.hexdigest()


def is_arrays(x) -> bool:
    """An array, or a list/tuple/dict of arrays, as fit takes them (NumPy or a backend tensor)."""
    if isinstance(x, (list, tuple)):
        return len(x) > 0 and all(is_arrays(a) for a in x)
    if isinstance(x, dict):
        return len(x) > 0 and all(is_arrays(a) for a in x.values())
    return hasattr(x, "shape") and hasattr(x, "__array__") and len(getattr(x, "shape", ())) > 0


def fit_data(a: dict):
    """(x to pass on to fit, Dataset for the observers, Fit settings, a note on the data).

    The Dataset holds the arrays themselves, or the first batch of any other input; its y is
    None where no sample could be taken (the diagnosis then samples nothing)."""
    x, y = a.get("x"), a.get("y")
    epochs = a.get("epochs", 1)  # fit(epochs=0) trains nothing, as in Keras
    if is_arrays(x) and (y is None or is_arrays(y)):
        validation = a.get("validation_data")
        validation = tuple(validation[:2]) if isinstance(validation, (list, tuple)) else None
        batch = a.get("batch_size") or 32
        fit = Fit(epochs, batch, a.get("steps_per_epoch"), a.get("validation_split") or 0.0,
                  bool(a.get("shuffle")))
        note = f"arrays: x {_shape(x)}" + ("" if y is None else f", y {_shape(y)}")
        return x, Dataset(_numpy(x), None if y is None else _numpy(y), validation, note), fit, note
    given = x
    first, x, second = first_batch(x)
    kind = type(x).__name__ if first is None else data_kind(given)
    if first is None or not isinstance(first, (list, tuple)) or len(first) < 2:
        note = f"{kind}: no (x, y) sample for the diagnosis"
        return x, Dataset(None, None, note=note), Fit(epochs, 32), note
    bx, by = _numpy(first[0]), _numpy(first[1])
    note = f"{kind}; diagnosis samples its first batch, x {_shape(bx)}"
    second = _numpy(second[0]) if isinstance(second, (list, tuple)) and second else None
    return x, Dataset(bx, by, note=note, second=second), Fit(epochs, n_rows(bx), shuffle=False), \
        note


def first_batch(x):
    """(the first batch or None, the input to pass on to fit, the second batch or None: a
    generator's, or a PyDataset's where second_batch may look). Looking must not change what
    the script's fit then sees: a generator is consumed by looking, so a new generator that
    yields those batches first takes its place; a PyDataset's or DataLoader's look is undone
    on the global random generators it may draw from (a shuffling DataLoader's iterator draws
    its order from torch's); a tf.data.Dataset is not looked into (each new iterator of a
    shuffling one takes the next shuffle), so the diagnosis has no sample of it."""
    import types

    try:
        if isinstance(x, types.GeneratorType):
            first = next(x)
            second = next(x, None)  # the script's own code, run in its own order, earlier

            def replay(rest=x):
                yield first
                if second is not None:
                    yield second
                yield from rest

            return first, replay(), second
        if type(x).__module__.startswith("tensorflow"):
            return None, x, None
        with _random_state_kept(x):
            if hasattr(x, "__getitem__") and hasattr(x, "num_batches"):  # a Keras PyDataset
                return x[0], x, second_batch(x)
            if hasattr(x, "__iter__") and not isinstance(x, (str, bytes)):  # a DataLoader
                return next(iter(x)), x, None
    except Exception:  # an input we cannot look into: fit will say what it makes of it
        pass
    return None, x, None


def second_batch(x):
    """A PyDataset's batch 1, for the diagnosis to set beside its batch 0; None where it has
    one batch, or where looking could change what fit sees: only a __getitem__ whose source
    draws no random number and keeps no state (scen.user_code.reads_only) is called again."""
    from scen.user_code import reads_only

    if not (hasattr(x, "__getitem__") and hasattr(x, "num_batches")):
        return None
    try:
        if len(x) < 2 or not reads_only(type(x)):
            return None
        with _random_state_kept(x):
            return x[1]
    except Exception:  # a dataset that cannot be looked into twice: nothing to compare
        return None


class _random_state_kept:
    """Python's, NumPy's and torch's global random states as they were, after the block, and
    those of the torch Generators a DataLoader `data` shuffles with (its own, its sampler's)."""

    def __init__(self, data=None):
        import torch

        self.generators = [g for g in (getattr(data, "generator", None),
                                       getattr(getattr(data, "sampler", None), "generator", None))
                           if isinstance(g, torch.Generator)]

    def __enter__(self):
        import random

        import torch

        self.python, self.numpy = random.getstate(), np.random.get_state()
        self.states = [g.get_state() for g in self.generators]
        self.torch = torch.random.fork_rng(devices=[])
        self.torch.__enter__()

    def __exit__(self, *exc):
        import random

        self.torch.__exit__(*exc)
        for g, state in zip(self.generators, self.states):
            g.set_state(state)
        random.setstate(self.python)
        np.random.set_state(self.numpy)


def spec_refusal(dataset) -> str | None:
    """Why the port cannot take a tf.data.Dataset from its element_spec alone (None: it can):
    elements that are not (x, y) or (x, y, sample_weight), or batches whose shapes vary
    beyond their first axis."""
    spec = getattr(dataset, "element_spec", None)
    if not isinstance(spec, tuple) or len(spec) not in (2, 3):
        return "a tf.data.Dataset whose elements are not (x, y) pairs"
    import keras

    shapes = [s.shape for s in keras.tree.flatten(spec[:2])]
    if any(d is None for shape in shapes for d in list(shape)[1:]):
        return "a tf.data.Dataset whose batches vary in shape beyond their rows"
    return None


def spec_batch(dataset):
    """(x, y): one all-zero row of a tf.data.Dataset's inputs and labels, from its
    element_spec, in its structure: the shapes and dtypes the port builds from, with no
    element read (every new iterator of a shuffling dataset takes the next shuffle, so a look
    would change the batches Keras's fit trains on)."""
    import keras

    def zeros(s):
        return np.zeros((1, *list(s.shape)[1:]), dtype=s.dtype.as_numpy_dtype)

    x, y = dataset.element_spec[:2]
    return keras.tree.map_structure(zeros, x), keras.tree.map_structure(zeros, y)


def data_kind(x) -> str:
    """What a person calls fit's x: "a generator", "a tf.data.Dataset", "a PyDataset"..."""
    import types

    if isinstance(x, types.GeneratorType):
        return "a generator"
    if type(x).__module__.startswith("tensorflow.") and "Dataset" in type(x).__name__:
        return "a tf.data.Dataset"  # _BatchDataset, _ShuffleDataset, ... are its subclasses
    return f"a {type(x).__name__}"


def _numpy(x):
    if isinstance(x, (list, tuple)):
        return [_numpy(a) for a in x]
    if isinstance(x, dict):
        return {k: _numpy(v) for k, v in x.items()}
    if hasattr(x, "detach"):  # a torch tensor, perhaps on the GPU
        return x.detach().cpu().numpy()
    return np.asarray(x)


def _shape(x) -> str:
    if isinstance(x, (list, tuple)):
        return "[" + ", ".join(_shape(a) for a in x) + "]"
    if isinstance(x, dict):
        return "{" + ", ".join(f"{k}: {_shape(v)}" for k, v in x.items()) + "}"
    return f"{getattr(x, 'dtype', '?')} {tuple(getattr(x, 'shape', ()))}"


def standardized_inputs(model, x):
    """fit's x as the model's inputs, in order, as Keras's Functional._standardize_inputs
    makes them (a dict matched to the Input names, a 1-D array given its last axis of 1):
    a list of NumPy arrays. x as given where the model has no such method (the port then
    refuses it, or takes it as it is)."""
    from keras import ops

    functional = getattr(model, "_functional", None) or model  # a Sequential's Functional
    standardize = getattr(functional, "_standardize_inputs", None)
    if standardize is None or x is None:
        return x
    from scen.observe import warnings_hidden

    with warnings_hidden():  # Keras warns of a list-of-one structure its own fit accepts
        return [ops.convert_to_numpy(t) for t in standardize(x)]
