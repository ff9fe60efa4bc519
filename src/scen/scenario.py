"""What a scenario is: one Stack Overflow question, rebuilt.

A scenario module in `scenarios/` reads like the question it rebuilds: where it comes from,
the data, the model and its `compile`/`fit` settings as posted, the fixes the answers propose
(variants), what the poster reported, and how to measure the symptom from a run.

This module imports neither Keras nor torch: `scen list` and `scen show` must answer at once,
so scenario modules import Keras only inside `build_model`.
"""

from __future__ import annotations

import difflib
import importlib
import pkgutil
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

AS_POSTED = "as-posted"


class ScenError(Exception):
    """A user-facing error: the CLI prints its message on one line and exits 2."""


@dataclass(frozen=True)
class Dataset:
    """Training data as Keras's `fit` takes it; `x` is an array or a list of arrays."""

    x: Any
    y: np.ndarray
    validation: tuple[Any, np.ndarray] | None = None  # explicit validation_data, if posted
    note: str = ""  # how the data was made, for the summary
    sample_weight: np.ndarray | None = None  # fit(sample_weight=...), (n,), if posted
    second: Any = None  # a dataset's batch 1, where scen looked at it beside batch 0 (fit_data)


@dataclass(frozen=True)
class Fit:
    """The `fit()` arguments the poster used, as plain data so every backend can honour them."""

    epochs: int
    batch_size: int = 32
    steps_per_epoch: int | None = None
    validation_split: float = 0.0
    shuffle: bool = True
    reduce_lr_on_plateau: dict | None = None  # keras.callbacks.ReduceLROnPlateau kwargs
    class_weight: dict | None = None  # fit(class_weight=...): {class index: weight}
    validation_batch_size: int | None = None  # fit(validation_batch_size=...); None: batch_size


@dataclass(frozen=True)
class Variant:
    name: str
    summary: str  # what it changes, and who proposed it
    changes: dict = field(default_factory=dict)  # overrides of the scenario's config
    fixes: bool = True  # expected to cure the poster's problem
    reported: dict = field(default_factory=dict)  # check name -> what the post reported
    # The mechanical fix this variant is, by scen.diagnose.verify.MECHANICAL_FIXES' name
    # ("inputs scaled", "linear output", ...): `scen diagnose --verify` applies it this way.
    applies: str = ""


@dataclass(frozen=True)
class Check:
    """One number measured from a run, beside what the question reported."""

    name: str
    measured: Any
    reported: Any = None
    holds: bool | None = None  # does the run show the symptom (None: not applicable)
    note: str = ""


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    seeds: tuple[str, ...]  # files in ../shared/seeds/
    question: str  # the question in brief
    posted_code: str
    reported: str  # what the poster saw, in their numbers
    config: dict  # the settings as posted; variants override them
    variants: tuple[Variant, ...]
    make_data: Callable[[dict, int], Dataset]
    build_model: Callable[[dict], Any]  # config -> compiled keras.Model
    fit: Callable[[dict], Fit]
    symptom: Callable[[dict, Any], list[Check]]  # (config, scen.runner.RunResult) -> checks
    backend_notes: str = ""  # where the symptom depends on the backend
    quick_epochs: int | None = None  # for `scen run all` and the golden tests, if not all

    def variant(self, name: str) -> Variant:
        for v in self.variants:
            if v.name == name:
                return v
        raise ScenError(
            f"unknown variant {name!r} of {self.name}"
            + _suggest(name, [v.name for v in self.variants])
        )

    def config_for(self, variant: str) -> dict:
        return {**self.config, **self.variant(variant).changes}


def _suggest(name: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.4)
    if close:
        return "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    return "; choose from " + ", ".join(choices)


def all_scenarios() -> dict[str, Scenario]:
    """Every module in scen.scenarios that defines SCENARIO, by scenario name."""
    import scen.scenarios as package

    found = {}
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda i: i.name):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        scenario = getattr(module, "SCENARIO", None)
        if isinstance(scenario, Scenario):
            found[scenario.name] = scenario
    return found


def get(name: str) -> Scenario:
    scenarios = all_scenarios()
    if name not in scenarios:
        raise ScenError(f"unknown scenario {name!r}" + _suggest(name, list(scenarios)))
    return scenarios[name]


# Small measurements that several scenarios' symptoms use.


def first_epoch_reaching(values: list[float], threshold: float) -> int | None:
    """1-based epoch at which `values` first reach `threshold`, or None."""
    for i, v in enumerate(values):
        if v >= threshold:
            return i + 1
    return None


def epochs_stuck_from_start(values: list[float], ceiling: float) -> int:
    """How many epochs from the first stay at or below `ceiling`."""
    n = 0
    for v in values:
        if v > ceiling:
            break
        n += 1
    return n


def keras_optimizer(name: str, learning_rate: float | None = None):
    """`optimizer='adam'` as posted, or `Adam(learning_rate=...)` where a fix changes it."""
    import keras

    if learning_rate is None:
        return keras.optimizers.get(name)
    classes = {"adam": keras.optimizers.Adam, "rmsprop": keras.optimizers.RMSprop,
               "sgd": keras.optimizers.SGD}
    return classes[name](learning_rate=learning_rate)
