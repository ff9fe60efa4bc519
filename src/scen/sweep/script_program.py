"""A user's script as a program the batched engine trains: `scen sweep train.py --seeds 256`.

A scenario gives the engine (scen.sweep.engine.SeedTrainer) its model, data and fit settings
for a seed; so does a script, where the native port takes its first fit. The script's
*preamble*, everything it runs before that fit, is run with scen's seed (as `scen run train.py
--seed s` seeds Python, NumPy, torch and Keras before the script starts) and stopped at the
fit, which is recorded, not run: the compiled Keras model, the arrays and fit's arguments.
Then every seed trains at once, each as its own run would (its initial weights, its batch
order), and the script's code after the fit does not run.

The preamble runs once for the first seed and once for the last. Where the two give the same
data, and the preamble leaves torch's generator as seeding left it (no torch random numbers
of its own), the data are every seed's and the other seeds' weights are replayed from the
initializers (scen.sweep.seeds.InitialWeights, checked against the real builds); otherwise
the preamble runs for every seed.

Callbacks: EarlyStopping runs per seed (Keras's own, on the seed's logs: SeedStopping) and
ReduceLROnPlateau per seed (the engine's). What the batched engine does not take (`refusal`),
the sweep leaves to one process per seed (scen.script_sweep), and says why: a fit the port does
not take (scen.script_native.refusal), other callbacks (each seed's would need Keras's callback
protocol of its own), class or sample
weights, inputs other than an array or a list of arrays, fit arguments it does not replay
(initial_epoch, validation_freq), a metric other than the loss and a compiled 'accuracy'.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import runpy

import numpy as np

from scen.scenario import Dataset, Fit, ScenError

# The metrics the batched engine computes per seed (scen.native.Trainer's loss and matches).
ENGINE_METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")


class FailedBeforeFit(ScenError):
    """The script itself raised or exited before its first fit (not a refusal of scen's)."""


class FirstFit(BaseException):
    """Raised at the script's first Model.fit, past any `except Exception` of the script's."""

    def __init__(self, model, arguments: dict):
        super().__init__("the script's first fit")
        self.model, self.arguments = model, arguments


def preamble(path: str, args: list[str], seed: int, keras) -> tuple:
    """Run the script until its first Model.fit, with scen's seed and its output silenced, in
    its own folder's import path: (the model, fit's bound arguments). ScenError, one line, if
    the script ends or fails before it."""
    from scen.keras_run import seed_everything
    from scen.script import as_main

    keras.backend.clear_session(free_memory=False)  # layer names as a run's (no gc: ~1 s)
    seed_everything(keras, seed)
    keras.config.set_dtype_policy("float32")
    model_class = keras.Model
    own = model_class.__dict__.get("fit")
    signature = inspect.signature(model_class.fit)

    def fit(model, *a, **kw):
        bound = signature.bind(model, *a, **kw)
        bound.apply_defaults()
        raise FirstFit(model, dict(bound.arguments))

    model_class.fit = fit
    try:
        with as_main(path, args), open(os.devnull, "w") as quiet, \
                contextlib.redirect_stdout(quiet), keras.device("cpu"):
            runpy.run_path(os.path.abspath(path), run_name="__main__")
    except FirstFit as f:
        return f.model, f.arguments
    except SystemExit as e:
        raise FailedBeforeFit(f"{path} exited (status {e.code}) before its first fit")
    except Exception as e:
        raise FailedBeforeFit(f"{path} raised {type(e).__name__} before its first fit: {e}")
    finally:
        if own is None:
            del model_class.fit
        else:
            model_class.fit = own
    raise ScenError(f"{path} finished without calling Model.fit: nothing to sweep")


def refusal(model, a: dict, metric: str) -> str | None:
    """Why the batched engine cannot take this fit (None: it can); see the module docstring."""
    from scen.fit_data import is_arrays
    from scen.script_native import refusal as port_refusal

    x, y = a.get("x"), a.get("y")
    if not (isinstance(x, np.ndarray) or (isinstance(x, (list, tuple)) and x
                                          and all(isinstance(v, np.ndarray) for v in x))):
        return "its inputs are not an array or a list of arrays"
    if not isinstance(y, np.ndarray):
        return "its labels are not one array"
    others = [type(c).__name__ for c in a.get("callbacks") or []
              if type(c) not in callback_classes()]
    if others:
        return (f"its callbacks ({', '.join(others)}) would need Keras's callback protocol "
                "per seed (the batched engine takes EarlyStopping and ReduceLROnPlateau)")
    if sum(isinstance(c, callback_classes()[1]) for c in a.get("callbacks") or []) > 1:
        return "it has two ReduceLROnPlateau callbacks"
    for name in ("class_weight", "sample_weight"):
        if a.get(name) is not None:
            return f"fit({name}=...) is not batched over seeds yet"
    if a.get("initial_epoch") or (a.get("validation_freq") or 1) != 1:
        return "fit(initial_epoch or validation_freq) is not replayed by the batched engine"
    if metric not in ENGINE_METRICS:
        return f"it computes {', '.join(ENGINE_METRICS)} only, not {metric!r}"
    if metric.endswith("accuracy") and not logs_accuracy(model):
        return "it computes the accuracy where the model compiles metrics=['accuracy'] alone"
    if metric.startswith("val_") and not (a.get("validation_split") or a.get("validation_data")):
        return f"the fit has no validation data for {metric!r}"
    if not is_arrays(x):
        return "its inputs are not arrays"
    return port_refusal(model, a, [], "fp32", Dataset(x, y))


def logs_accuracy(model) -> bool:
    """Whether the model's fit logs the accuracy the engine computes: compile(metrics=
    ['accuracy']) and no other metric (each other one would be a metric the engine lacks)."""
    compiled = getattr(model, "_compile_config", None)
    metrics = (compiled.config.get("metrics") if compiled is not None else None) or []
    return list(metrics) == ["accuracy"]


def callback_classes() -> tuple:
    """The callbacks the batched engine runs per seed: EarlyStopping (Keras's own, one per
    seed, on that seed's logs) and ReduceLROnPlateau (scen.keras_exact's, one per seed)."""
    import keras

    return keras.callbacks.EarlyStopping, keras.callbacks.ReduceLROnPlateau


def plateau_of(callbacks) -> dict | None:
    """A ReduceLROnPlateau callback's settings, as Fit.reduce_lr_on_plateau takes them."""
    for c in callbacks or []:
        if isinstance(c, callback_classes()[1]):
            return dict(monitor=c.monitor, factor=c.factor, patience=c.patience, mode=c.mode,
                        min_delta=c.min_delta, cooldown=c.cooldown, min_lr=c.min_lr)
    return None


def dataset_of(a: dict) -> Dataset:
    """fit's arrays as a run's Dataset (scen.fit_data.fit_data, which the run takes too)."""
    from scen.fit_data import fit_data

    return fit_data(a)[1]


def fit_of(a: dict) -> Fit:
    """fit's settings as a run's (scen.fit_data.fit_data), with the two the batched engine
    also replays: a ReduceLROnPlateau callback's, and validation_batch_size."""
    import dataclasses

    from scen.fit_data import fit_data

    return dataclasses.replace(fit_data(a)[2], reduce_lr_on_plateau=plateau_of(a.get("callbacks")),
                               validation_batch_size=a.get("validation_batch_size"))


def same_data(a: Dataset, b: Dataset) -> bool:
    from scen.sweep.seeds import same

    return (same(a.x, b.x) and same(a.y, b.y)
            and (a.validation is None) == (b.validation is None)
            and (a.validation is None or (same(list(a.validation[0:1]), list(b.validation[0:1]))
                                          and same(a.validation[1], b.validation[1]))))


def _torch_untouched(seed: int) -> bool:
    """Whether the preamble just run left torch's generator as seeding `seed` leaves it: then
    a seed's fit finds it so without its preamble (the batch order is drawn from it)."""
    import torch

    from scen.sweep.seeds import seed_cpu

    after = torch.default_generator.get_state()
    seed_cpu(seed)
    return torch.equal(after, torch.default_generator.get_state())


class SeedStopping:
    """The script's EarlyStopping callbacks, a copy per seed, each on its seed's logs; a seed
    that stops keeps training in the block (the others go on), its history cut where its own
    run's ends. Keras's own class decides, on a stand-in model that holds stop_training."""

    def __init__(self, callbacks: list, seeds: int):
        import copy
        import types

        self.stopped: list[int | None] = [None] * seeds  # epochs run, once a seed stopped
        self.per_seed = []
        for _ in range(seeds):
            model = types.SimpleNamespace(stop_training=False, get_weights=lambda: None,
                                          set_weights=lambda weights: None)
            copies = [copy.copy(c) for c in callbacks]
            for c in copies:
                c.verbose = 0  # its run prints "Epoch N: early stopping"; 256 seeds would not
                c.set_model(model)
                c.on_train_begin()
            self.per_seed.append((model, copies))

    def on_epoch_end(self, epoch: int, logs: list[dict]) -> bool:
        """Each running seed's callbacks on its logs; True once every seed has stopped."""
        for i, (model, callbacks) in enumerate(self.per_seed):
            if self.stopped[i] is None:
                for c in callbacks:
                    c.on_epoch_end(epoch, logs[i])
                if model.stop_training:
                    self.stopped[i] = epoch + 1
        return all(s is not None for s in self.stopped)


class ScriptProgram:
    """The script in the shape of a scenario, for SeedTrainer: name, config_for, build (the
    model and data of a seed: its preamble), make_data (a seed's data) and fit."""

    variant = "as written"

    def __init__(self, path: str, args: list[str], metric: str, keras, seeds: list[int]):
        """Run the preamble for the first and the last seed; ScenError if the batched engine
        cannot take the fit (refusal's reason)."""
        self.path, self.args, self.keras = path, list(args), keras
        self.name = os.path.splitext(os.path.basename(path))[0]
        self.reference_seed, self.shared = seeds[0], True
        model, a = preamble(path, self.args, seeds[0], keras)
        why = refusal(model, a, metric)
        if why:
            raise ScenError(why)
        self.settings, self.reference = fit_of(a), dataset_of(a)
        self.early_stopping = [c for c in a.get("callbacks") or []
                               if isinstance(c, callback_classes()[0])]
        self.logs = {"loss", "val_loss", "learning_rate"} | (
            {"accuracy", "val_accuracy"} if logs_accuracy(model) else set())  # as its run's
        self.shared = _torch_untouched(seeds[0])
        if self.shared and len(seeds) > 1:
            _, other = preamble(path, self.args, seeds[-1], keras)
            self.shared = (_torch_untouched(seeds[-1])
                           and same_data(self.reference, dataset_of(other)))

    def config_for(self, variant: str) -> dict:
        return {}

    def fit(self, config: dict) -> Fit:
        return self.settings

    def build(self, config: dict, seed: int):
        """(model, data) of `seed`, as its run builds them (the caller seeded everything)."""
        model, a = preamble(self.path, self.args, seed, self.keras)
        return model, dataset_of(a)

    def make_data(self, config: dict, seed: int) -> Dataset:
        if self.shared or seed == self.reference_seed:
            return self.reference
        return self.build(config, seed)[1]
