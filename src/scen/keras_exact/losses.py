"""Keras losses as torch callables: a name, a function or a ``keras.losses.X(...)`` object in,
``KerasLoss`` out, computing what Keras's *flavour* backend computes.

The pipeline is Keras's own (keras/src/losses/loss.py, losses.py): convert to float32, fix the
ranks, the per-sample formula (crossentropy.py, elementwise.py), then the sample weights and
the reduction (reduction.py).
"""

from __future__ import annotations

import functools

import numpy as np
import torch

from scen.keras_exact import crossentropy, elementwise
from scen.keras_exact.reduction import REDUCTIONS, check_flavour, prepare, reduce_values

# name -> (per-sample formula, whether it takes the flavour and logits, its keyword arguments
# with Keras's defaults). Only these arguments may differ from the defaults.
_XENT = dict(from_logits=False, label_smoothing=0.0, axis=-1)
_FORMULAS = {
    "binary_crossentropy": (crossentropy.binary, True, _XENT),
    "categorical_crossentropy": (crossentropy.categorical, True, _XENT),
    "sparse_categorical_crossentropy": (crossentropy.sparse_categorical, True,
                                        dict(from_logits=False, ignore_class=None, axis=-1)),
    "mean_squared_error": (elementwise.mean_squared_error, False, {}),
    "mean_absolute_error": (elementwise.mean_absolute_error, False, {}),
    "mean_absolute_percentage_error": (elementwise.mean_absolute_percentage_error, False, {}),
    "mean_squared_logarithmic_error": (elementwise.mean_squared_logarithmic_error, False, {}),
    "cosine_similarity": (elementwise.cosine_similarity, False, dict(axis=-1)),
    "huber": (elementwise.huber, False, dict(delta=1.0)),
    "log_cosh": (elementwise.log_cosh, False, {}),
    "kl_divergence": (elementwise.kl_divergence, False, {}),
    "poisson": (elementwise.poisson, False, {}),
    "hinge": (elementwise.hinge, False, {}),
    "squared_hinge": (elementwise.squared_hinge, False, {}),
    "categorical_hinge": (elementwise.categorical_hinge, False, {}),
}
# Settings accepted only at these values: the formulas above assume them.
_FIXED = {"axis": -1, "ignore_class": None}
_ALIASES = {
    "bce": "binary_crossentropy", "mse": "mean_squared_error", "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error", "msle": "mean_squared_logarithmic_error",
    "kld": "kl_divergence", "kullback_leibler_divergence": "kl_divergence",
    "logcosh": "log_cosh", "huber_loss": "huber",
    # class names, lower-cased
    "binarycrossentropy": "binary_crossentropy",
    "categoricalcrossentropy": "categorical_crossentropy",
    "sparsecategoricalcrossentropy": "sparse_categorical_crossentropy",
    "meansquarederror": "mean_squared_error", "meanabsoluteerror": "mean_absolute_error",
    "meanabsolutepercentageerror": "mean_absolute_percentage_error",
    "meansquaredlogarithmicerror": "mean_squared_logarithmic_error",
    "cosinesimilarity": "cosine_similarity", "kldivergence": "kl_divergence",
    "squaredhinge": "squared_hinge", "categoricalhinge": "categorical_hinge",
}


def canonical_loss_name(name: str) -> str:
    """A Keras loss name, alias or class name as its snake_case name ('mse' ->
    'mean_squared_error', 'Huber' -> 'huber'); unknown names come back lower-cased."""
    key = name.lower()
    return _ALIASES.get(key, key)


class KerasLoss:
    """One Keras loss with its settings: ``loss(y_true, y_pred, logits=None,
    sample_weight=None)`` -> a 0-d tensor (or per-sample values with reduction None/'none').

    y_true: labels, (batch, ...) as the model's output or one axis shorter (integer classes);
    y_pred: the model's output (batch, ..., k); logits: the last layer's pre-activation (the
    tensorflow flavour's _get_logits uses it) or None; sample_weight: (batch,) or (batch, 1)."""

    def __init__(self, name: str, flavour: str = "torch", reduction="sum_over_batch_size",
                 **settings):
        check_flavour(flavour)
        key = canonical_loss_name(name)
        if key not in _FORMULAS:
            raise ValueError(f"Unknown loss {name!r}; known: {sorted(_FORMULAS)}")
        formula, takes_flavour, defaults = _FORMULAS[key]
        unknown = sorted(set(settings) - set(defaults))
        if unknown:
            raise ValueError(f"loss {key} takes no {', '.join(unknown)} here")
        for arg, value in settings.items():
            if arg in _FIXED and value != _FIXED[arg]:
                raise ValueError(f"{key}({arg}={value!r}) is not supported: only {arg}="
                                 f"{_FIXED[arg]!r}")
        kwargs = {k: v for k, v in {**defaults, **settings}.items() if k not in _FIXED}
        if takes_flavour:
            kwargs["flavour"] = flavour
        self.name, self.flavour, self.reduction, self.settings = key, flavour, reduction, kwargs
        self._values = functools.partial(formula, **kwargs)
        self._takes_logits = takes_flavour
        if reduction not in REDUCTIONS:
            raise ValueError(f"{key}: reduction={reduction!r} is not one of {REDUCTIONS}")

    def values(self, y_true, y_pred, logits=None):
        """The per-sample losses, (batch, ...), before weights and reduction."""
        y_true, y_pred = prepare(y_true, y_pred)
        if self._takes_logits:
            return self._values(y_true, y_pred, logits)
        return self._values(y_true, y_pred)

    def __call__(self, y_true, y_pred, logits=None, sample_weight=None):
        return reduce_values(self.values(y_true, y_pred, logits), sample_weight, self.reduction)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.settings.items() if k != "flavour")
        return f"KerasLoss({self.name}({args}), flavour={self.flavour!r})"


def _describe(identifier) -> tuple[str, dict, str]:
    """(name, settings, reduction) of a loss given as a string, a function (keras.losses.mse,
    or any function: its __name__), a Keras Loss object (its class and, since get_config
    omits some of them in Keras 3.15 -- Huber's delta, CosineSimilarity's axis -- the keyword
    arguments LossFunctionWrapper keeps in ``_fn_kwargs``) or a serialized one
    ({'class_name': ..., 'config': {...}})."""
    if isinstance(identifier, str):
        return identifier, {}, "sum_over_batch_size"
    if isinstance(identifier, dict):
        config = dict(identifier.get("config") or {})
        config.pop("name", None)
        config.pop("dtype", None)
        reduction = config.pop("reduction", "sum_over_batch_size")
        return str(identifier.get("class_name", "")), config, reduction
    if hasattr(identifier, "get_config") and hasattr(identifier, "reduction"):
        fn = getattr(identifier, "fn", None)
        cls = type(identifier).__name__
        if cls == "LossFunctionWrapper" and fn is not None:
            cls = getattr(fn, "__name__", cls)
        elif fn is None:  # a Loss subclass with its own call(): not one we know the formula of
            raise ValueError(f"loss {cls} (a custom keras.losses.Loss) is not supported")
        return cls, dict(getattr(identifier, "_fn_kwargs", {})), identifier.reduction
    if callable(identifier):
        return getattr(identifier, "__name__", repr(identifier)), {}, "sum_over_batch_size"
    raise ValueError(f"Could not interpret loss identifier: {identifier!r}")


def get_loss(identifier, flavour: str = "torch") -> KerasLoss:
    """The loss Keras's compile(loss=identifier) trains with, computed as its *flavour* backend
    does: a name ('mse', 'binary_crossentropy', 'Huber'), a function (keras.losses.huber), a
    ``keras.losses.X(...)`` object with its settings (from_logits, label_smoothing, delta,
    reduction) or its serialized config. Unknown losses and unsupported settings raise
    ValueError naming them."""
    check_flavour(flavour)
    name, settings, reduction = _describe(identifier)
    if str(name).lower() in ("crossentropy", "ce"):
        raise ValueError(f"loss {name!r} (Keras picks the cross-entropy from the label shape) "
                         "is not supported: name the cross-entropy")
    return KerasLoss(name, flavour, reduction, **settings)


def check_labels_as_the_cpu_does(loss: KerasLoss, y_true, output_shape: tuple) -> None:
    """Raise what `loss` raises on the CPU for these labels, before any reaches a GPU: the
    range check of F.binary_cross_entropy ("all elements of target should be between 0 and
    1"), an out-of-range class index ("index 4 is out of bounds ..."), a shape Keras's rank
    fix cannot reconcile. On CUDA those are asynchronous device-side asserts that poison the
    process, and every later CUDA call fails with them. y_true: the training labels, (n, ...);
    output_shape: one sample's output shape. The formula runs on uniform predictions, so an
    index error names the first bad label in data order (the CPU names the first in its
    first batch)."""
    y = torch.as_tensor(np.asarray(y_true, dtype="float32"))
    classes = output_shape[-1] if output_shape else 1
    pred = torch.full((len(y), *output_shape), 1.0 / classes if classes > 1 else 0.5)
    loss.values(y, pred, torch.zeros_like(pred))


def _reduced(name):
    def loss(y_true, y_pred, logits=None, flavour="torch", sample_weight=None, **settings):
        return KerasLoss(name, flavour, **settings)(y_true, y_pred, logits, sample_weight)

    loss.__name__ = loss.__qualname__ = name
    formula = _FORMULAS[name][0]
    loss.__doc__ = (f"keras.losses.{name}, reduced as Keras reduces it (sum_over_batch_size): "
                    f"the mean of the per-sample values.\n\n{formula.__doc__}")
    return loss


binary_crossentropy = _reduced("binary_crossentropy")
categorical_crossentropy = _reduced("categorical_crossentropy")
sparse_categorical_crossentropy = _reduced("sparse_categorical_crossentropy")
mean_squared_error = _reduced("mean_squared_error")
mean_absolute_error = _reduced("mean_absolute_error")
mean_absolute_percentage_error = _reduced("mean_absolute_percentage_error")
mean_squared_logarithmic_error = _reduced("mean_squared_logarithmic_error")
cosine_similarity = _reduced("cosine_similarity")
huber = _reduced("huber")
log_cosh = _reduced("log_cosh")
kl_divergence = _reduced("kl_divergence")
poisson = _reduced("poisson")
hinge = _reduced("hinge")
squared_hinge = _reduced("squared_hinge")
categorical_hinge = _reduced("categorical_hinge")
LOSS_NAMES = tuple(sorted(_FORMULAS))
