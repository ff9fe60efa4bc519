"""A finding's mechanical fix, applied to a user's script without editing it: through the
Model.fit interception (scen.intercept) and, for float32, the dtype policy.

    apply_fix("learning rate x100", model, fit_arguments, keras)

changes the model (its optimizer's learning rate, its last layer's activation, its loss) or
fit's bound arguments (x, y and validation_data transformed, class_weight, a callback) just
before Keras's fit runs. Where a script's fit cannot take a fix (a learning-rate schedule, data
that are not arrays, ...), FixNotApplicable says why in one line; the message starts with
REFUSED, by which scen.script_verify knows it across a worker process.
"""

from __future__ import annotations

import contextlib

import numpy as np

from scen.scenario import ScenError

REFUSED = "the fix cannot be applied: "


class FixNotApplicable(ScenError):
    def __init__(self, why: str):
        super().__init__(REFUSED + why)


def _arrays(value, what: str):
    from scen.fit_data import data_kind, is_arrays

    if isinstance(value, (list, tuple, dict)) or not is_arrays(value):
        raise FixNotApplicable(f"fit's {what} is {data_kind(value)}, not one array: scen cannot "
                               "transform it")
    return np.asarray(value.detach().cpu().numpy() if hasattr(value, "detach") else value)


def _standardise(a: dict, index: int, what: str) -> None:
    """x (index 0) or y (index 1) of fit, and of its validation_data, standardised with the
    training array's statistics: per column for a table, over all values otherwise."""
    key = ("x", "y")[index]
    train = _arrays(a.get(key), what)
    if not np.issubdtype(train.dtype, np.floating) and index == 1:
        raise FixNotApplicable(f"fit's y is {train.dtype}, not a real-valued target")
    axis = 0 if train.ndim <= 2 else None
    mean = train.mean(axis=axis, dtype="float64")
    std = train.std(axis=axis, dtype="float64")
    std = np.where(std > 0, std, 1.0)
    scale = lambda v: ((v - mean) / std).astype(  # noqa: E731
        v.dtype if np.issubdtype(v.dtype, np.floating) else "float32")
    a[key] = scale(train)
    validation = a.get("validation_data")
    if isinstance(validation, (list, tuple)) and len(validation) >= 2:
        parts = list(validation)
        parts[index] = scale(_arrays(parts[index], f"validation {key}"))
        a["validation_data"] = type(validation)(parts)


def _learning_rate(model, keras, factor: float) -> None:
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        raise FixNotApplicable("the model is not compiled before fit")
    optimizer = getattr(optimizer, "inner_optimizer", optimizer)
    if isinstance(getattr(optimizer, "_learning_rate", None),
                  keras.optimizers.schedules.LearningRateSchedule):
        raise FixNotApplicable("the learning rate is a schedule, not a number to scale")
    rate = float(keras.ops.convert_to_numpy(optimizer.learning_rate))
    optimizer.learning_rate = rate * factor


def _linear_output(model, keras) -> None:
    last = model.layers[-1] if getattr(model, "layers", None) else None
    if last is None or not hasattr(last, "activation"):
        raise FixNotApplicable("the model's last layer has no activation to set")
    last.activation = keras.activations.linear


def _recompiled_with_loss(model, loss: str) -> None:
    """The model compiled again with `loss`, its optimizer and compiled metrics kept (the
    metric names as compile was given them, so Keras picks the accuracy for the new labels)."""
    optimizer = getattr(model, "optimizer", None)
    compiled = getattr(model, "_compile_config", None)
    if optimizer is None or compiled is None:
        raise FixNotApplicable("the model is not compiled before fit")
    config = dict(compiled.config)
    if isinstance(config.get("loss"), (list, dict)):
        raise FixNotApplicable("the model has several losses; which one to change is a judgement")
    config.update(optimizer=optimizer, loss=loss)
    model.compile(**config)


def _balanced_class_weight(a: dict) -> None:
    y = _arrays(a.get("y"), "y")
    one_hot = y.ndim > 1 and y.shape[-1] > 1
    labels = y.argmax(-1) if one_hot else np.rint(y.reshape(len(y), -1)[:, 0])
    classes, counts = np.unique(labels.astype("int64"), return_counts=True)
    if len(classes) < 2:
        raise FixNotApplicable("y holds one class: there is nothing to balance")
    a["class_weight"] = {int(c): float(len(labels) / (len(classes) * k))
                         for c, k in zip(classes, counts)}


def apply_fix(fix: str, model, a: dict, keras) -> None:
    """Apply the fix named as in scen.diagnose.verify.MECHANICAL_FIXES to this fit: `a` is
    fit's bound arguments (changed in place), `model` the model being fitted."""
    if fix == "learning rate x100":
        _learning_rate(model, keras, 100.0)
    elif fix == "learning rate /10":
        _learning_rate(model, keras, 0.1)
    elif fix == "ReduceLROnPlateau":
        validated = a.get("validation_data") is not None or (a.get("validation_split") or 0) > 0
        a["callbacks"] = [*(a.get("callbacks") or []), keras.callbacks.ReduceLROnPlateau(
            monitor="val_loss" if validated else "loss", factor=0.2, patience=3)]
    elif fix == "inputs scaled":
        _standardise(a, 0, "x")
    elif fix == "targets standardised":
        _standardise(a, 1, "y")
    elif fix == "linear output":
        _linear_output(model, keras)
    elif fix == "linear output and MSE":
        _linear_output(model, keras)
        optimizer = getattr(model, "optimizer", None)
        if optimizer is None:
            raise FixNotApplicable("the model is not compiled before fit")
        model.compile(optimizer=optimizer, loss="mse", metrics=["mae"])
    elif fix == "balanced class weights":
        if a.get("sample_weight") is not None:
            raise FixNotApplicable("fit already takes sample_weight, which class_weight joins "
                                   "badly")
        _balanced_class_weight(a)
    elif fix in ("sparse_categorical_crossentropy", "categorical_crossentropy",
                 "mean_squared_error", "mean_absolute_error"):
        _recompiled_with_loss(model, fix)
    elif fix == "batch_size=32":
        if not isinstance(a.get("x"), (np.ndarray, list, tuple, dict)):
            raise FixNotApplicable("the data come in batches of their own (a generator, a "
                                   "dataset): take smaller batches where they are made")
        a["batch_size"], a["steps_per_epoch"] = 32, None  # every row, in batches of 32
    elif fix == "epochs x3":
        a["epochs"] = 3 * int(a.get("epochs") or 1) - 2 * int(a.get("initial_epoch") or 0)
    elif fix == "float32":
        pass  # the dtype policy, before the script starts: float32_kept
    else:
        raise FixNotApplicable(f"scen does not know how to apply {fix!r} to a script")


@contextlib.contextmanager
def float32_kept(keras):
    """The float32 fix: the script's own switches to float16 (floatx, a dtype policy) are
    ignored while it runs; the policy is float32."""
    config, backend = keras.config, keras.backend
    saved = config.set_floatx, config.set_dtype_policy
    mixed = getattr(keras, "mixed_precision", None)
    saved_global = getattr(mixed, "set_global_policy", None)
    saved_backend = getattr(backend, "set_floatx", None)

    def is_half(value) -> bool:
        name = getattr(value, "name", value)
        return isinstance(name, str) and "16" in name

    config.set_floatx = lambda value: None if is_half(value) else saved[0](value)
    config.set_dtype_policy = lambda value: None if is_half(value) else saved[1](value)
    if saved_global is not None:
        mixed.set_global_policy = lambda value: None if is_half(value) else saved_global(value)
    if saved_backend is not None:
        backend.set_floatx = lambda value: None if is_half(value) else saved_backend(value)
    try:
        yield
    finally:
        config.set_floatx, config.set_dtype_policy = saved
        if saved_global is not None:
            mixed.set_global_policy = saved_global
        if saved_backend is not None:
            backend.set_floatx = saved_backend
