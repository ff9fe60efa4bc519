"""A script's `Model.fit` on the native port: the engine a scenario gets, for the user's model.

Where the port takes the model and the fit's settings, the intercepted fit (scen.intercept)
trains with scen.native's Trainer instead of Keras's fit: the same Keras-built model and
weights, Keras-exact losses and optimizer, the batch order Keras's torch DataLoader would draw.
Then the trained weights go back into the Keras model and fit returns Keras's History, so the
rest of the script (evaluate, predict, save, a second fit) carries on as it would.

Around the port's steps, Keras's own pieces do what Keras's fit does (scen.keras_fit): the
script's callbacks in Keras's CallbackList, its compiled metrics (names or objects), History,
`model.stop_training`, and a Keras model kept current wherever a callback can look at it.

A dataset (a generator, a PyDataset, a DataLoader, a tf.data.Dataset) trains on the batches
Keras's own epoch iterator gives (scen.keras_fit.KerasBatches), in Keras's order.

What the port leaves to Keras's fit, and why (`refusal`): inputs that are not arrays, several
outputs, a callback that reaches into Keras's own loop (BackupAndRestore), fit options it does
not replay (validation_steps), a layer, loss or optimizer it cannot translate. A model whose optimizer already took steps in Keras's fit stays with Keras, whose
optimizer state it carries; one trained here keeps its optimizer state here, from fit to fit.
"""

from __future__ import annotations

import math
import time
import weakref

import numpy as np

from scen.keras_fit import KERAS_SLOTS, state_from_keras, state_into_keras
from scen.keras_run import layers_of
from scen.scenario import Dataset, Fit
from scen.user_code import adds_losses

# fit() arguments the port does not replay, at their defaults (any other value: Keras's fit)
DEFAULTS: dict = {}  # fit() arguments the port does not replay, at their defaults
# Callbacks that act on Keras's loop itself rather than through the callback protocol: the
# port leaves their fits to Keras (BackupAndRestore restores Keras's optimizer variables and
# sets its initial epoch; SwapEMAWeights swaps Keras's optimizer's averages in).
LOOP_CALLBACKS = ("BackupAndRestore", "SwapEMAWeights")


def refusal(model, a: dict, user_callbacks: list, precision: str, sample=None) -> str | None:
    """Why the native port cannot run this fit (None: it can). `a`: fit's bound arguments;
    `precision`: the run's (fp32 | fp16 | bf16); sample: scen.fit_data.fit_data's Dataset
    (for a dataset, its first batch)."""
    import keras
    import torch

    from scen.fit_data import is_arrays, spec_refusal
    from scen.port import UnsupportedLayerError, translate

    for name, default in DEFAULTS.items():
        if a.get(name, default) != default:
            return f"fit({name}={a[name]!r}) is Keras's to honour"
    x, y = a.get("x"), a.get("y")
    if not is_arrays(x):  # a dataset: the port takes the batches Keras's own adapter gives
        if a.get("validation_split"):
            return "validation_split of a dataset: Keras's fit refuses it"
        if type(x).__module__.startswith("tensorflow"):
            why = spec_refusal(x)  # never looked into: a look would take the next shuffle
            if why:
                return f"{why}: Keras's fit reads it"
        elif sample is None or sample.y is None:
            return "a dataset whose batches are not (x, y) pairs: Keras's fit reads it"
        x, y = None, None
    elif y is None:
        return "fit takes x without y: the labels come from the model's own train_step"
    outputs = getattr(model, "outputs", None)  # None: a subclassed model (traced: one output)
    several = isinstance(y, dict) or isinstance(y, (list, tuple)) and len(y) > 1
    if x is not None and not is_arrays(y):
        return "labels that are not arrays: Keras's fit reads them"
    if several and outputs is None:
        return "a subclassed model given several label arrays: the port traces one output"
    if several and len(outputs) == 1:
        return "several label arrays for one output: Keras's fit decides what they mean"
    if outputs is not None and len(outputs) > 1:
        if x is None:
            return f"{len(outputs)} outputs, given a dataset: the port packs arrays' labels"
        if not several or a.get("class_weight") is not None:
            return (f"{len(outputs)} outputs with one label array, or class_weight: Keras's "
                    "fit decides what they mean")
    own = [m for m in ("train_step", "test_step", "compute_loss", "compute_metrics")
           if getattr(type(model), m) is not getattr(keras_trainer(), m)]
    if own:
        return f"the model defines its own {own[0]}: Keras's fit runs it"
    for what, arrays in (("inputs", x), ("labels", y)) if x is not None else ():
        kinds = {np.asarray(v).dtype for v in keras.tree.flatten(arrays)}
        if any(k.kind not in "biuf" for k in kinds):
            return (f"{what} of dtype {', '.join(sorted(map(str, kinds)))}, not numbers: "
                    "Keras's fit takes (or refuses) them as they are")
    validation = a.get("validation_data")
    if isinstance(validation, (list, tuple)) and len(validation) != 2:
        return "validation_data with sample weights, or not an (x, y) pair"
    rows = _row_counts(x, y, a.get("sample_weight")) if x is not None else set()
    if len(rows) > 1:
        return (f"arrays of {' and '.join(map(str, sorted(rows)))} rows: Keras's fit says "
                "what it makes of them")
    if isinstance(a.get("sample_weight"), (list, tuple, dict)):
        return "sample weights per output: Keras's fit weighs each output's loss with them"
    empty = _empty_split(next(iter(rows), None), a.get("validation_split") or 0.0, validation)
    if empty:
        return f"{empty}: Keras's fit decides what that means (it differs by backend)"
    loop = [type(c).__name__ for c in user_callbacks if type(c).__name__ in LOOP_CALLBACKS]
    if loop:
        return f"the callback {loop[0]} acts on Keras's own loop"
    policies = {layer.dtype_policy.name for layer in layers_of(model)}
    if policies != {"float32"} or precision != "fp32":
        return (f"dtype policy {', '.join(sorted(policies - {'float32'})) or precision}: "
                "Keras's fit runs the script's precision")
    if getattr(model, "optimizer", None) is None or getattr(model, "loss", None) is None:
        return "the model is not compiled with a loss and an optimizer"
    if not model.built:  # built by its first batch, as Keras's fit builds it
        build_as_keras_fit_would(model, a)
    if not model.trainable_weights:
        return "no weight is trainable: Keras's fit runs the loss alone"
    if adds_losses(type(model)):  # a layer's add_loss: the port has Keras run that layer
        return "the model's own call adds losses (add_loss): Keras's fit sums them"
    if (int(np.asarray(model.optimizer.iterations)) and not hasattr(model, "_scen_optimizer")
            and type(model.optimizer).__name__ not in KERAS_SLOTS):
        return "the optimizer took steps in an earlier Keras fit and carries state the port " \
               "cannot read"
    try:
        with torch.random.fork_rng(devices=[]):  # a translation must not use up Keras's draws
            translate(model)
    except UnsupportedLayerError as e:
        return str(e)
    return _loss_or_optimizer_refusal(model)


def _row_counts(*structures) -> set[int]:
    """The distinct row counts of every array in x, y (and sample_weight), structures of any
    nesting; Keras's fit refuses more than one ("Data cardinality is ambiguous")."""
    import keras

    def rows(a) -> int | None:
        try:
            return int(np.shape(a)[0]) if np.ndim(a) > 0 else None
        except ValueError:  # ragged: Keras's fit says what it makes of it
            return None

    counts = {rows(a) for s in structures if s is not None for a in keras.tree.flatten(s)}
    return counts - {None}


def _empty_split(n: int | None, validation_split: float, validation) -> str | None:
    """What is empty about the fit's arrays of n rows (None: a dataset), if anything: no rows,
    no rows left to train on or to validate with after the split (Keras's
    train_validation_split takes the first floor(n * (1 - split)) rows, negative included), or
    empty validation arrays."""
    if n == 0:
        return "empty arrays (0 rows)"
    if n and validation_split and validation is None:
        split_at = math.floor(n * (1.0 - validation_split))
        if not 0 < split_at < n:
            return f"validation_split={validation_split} of {n} rows"
    if isinstance(validation, (list, tuple)) and len(validation) == 2 and \
            _row_counts(validation[0]) == {0}:
        return "empty validation arrays (0 rows)"
    return None


# A dataset's epoch iterator that built its model (build_as_keras_fit_would), kept for the
# port's fit to train from: a generator's batches that the build peeked at live in it alone.
_BUILT_FROM: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def build_as_keras_fit_would(model, a: dict) -> None:
    """Build an unbuilt model (a Sequential without an Input, a subclassed model) the way
    Keras's fit does, and with the same random draws: Keras's own epoch iterator over the
    fit's data, peeked at by Trainer._symbolic_build. Keras's fit, or the port's, then finds
    it built and peeks no more (model._scen_peeked says so to the port's data order; a
    dataset's iterator is kept for the port's fit, `batches_that_built`). Its errors are left
    for fit to raise."""
    from scen.fit_data import is_arrays
    from scen.keras_fit import KerasBatches

    try:
        batches = KerasBatches(model, a["x"], a.get("y"), a.get("sample_weight"),
                               a.get("batch_size"), a.get("steps_per_epoch"),
                               bool(a.get("shuffle")), a.get("class_weight"), build=True)
        model._scen_peeked = True
        if not is_arrays(a["x"]):
            _BUILT_FROM[model] = batches
    except Exception:
        pass


def batches_that_built(model):
    """The KerasBatches whose peek built `model` for this fit (None: none did); once."""
    return _BUILT_FROM.pop(model, None)


def keras_trainer():
    """The class whose train_step, compute_loss, ... Keras's fit on torch calls: a model that
    overrides one of them trains its own way, which only Keras's fit runs."""
    from keras.src.backend.torch.trainer import TorchTrainer

    return TorchTrainer


def _loss_or_optimizer_refusal(model) -> str | None:
    """Why the port cannot compute the model's loss or step its optimizer (None: it can):
    a custom loss (a function or Loss subclass), a learning-rate schedule, a setting the
    Keras-exact ones do not take."""
    import keras
    import torch

    from scen import keras_exact

    try:
        keras_exact.get_loss(model.loss)
    except ValueError as e:  # the script's own loss: Keras's compiled loss computes it, on
        if keras.backend.backend() != "torch" or getattr(model, "_compile_loss", None) is None:
            return f"{str(e).split(';')[0]}: Keras's fit computes it"  # torch (the port's)
    try:
        keras_exact.get_optimizer(model.optimizer, [torch.zeros(1, requires_grad=True)])
    except (ValueError, TypeError) as e:
        return f"the optimizer: {e}"
    return None


def fit_natively(run, model, a: dict, keras):
    """Train the intercepted fit with the native Trainer, inside Keras's callbacks and metrics
    (scen.keras_fit); Keras's History of it.

    `run`: the scen.intercept.FitRun (its observers, data and Fit); `a`: fit's bound arguments,
    whose callbacks end with scen's own hooks (which the Trainer replaces: it feeds the
    observers itself). Raises as Keras's fit would (the error goes into the script);
    KeyboardInterrupt is left to the caller."""
    from scen.diagnose.model import n_rows
    from scen.fit_data import is_arrays, load_by_structure, spec_batch, standardized_inputs
    from scen.keras_fit import KerasBatches, KerasFitSide
    from scen.native import Trainer

    fit = Fit(run.fit.epochs, run.fit.batch_size, run.fit.steps_per_epoch,
              run.fit.validation_split, run.fit.shuffle,
              class_weight=a.get("class_weight") or None,
              validation_batch_size=a.get("validation_batch_size"))
    validation = run.data.validation
    dataset = not is_arrays(a.get("x"))  # Keras's own epoch iterator gives the batches
    val_dataset = a.get("validation_data") is not None and validation is None
    if validation is not None:
        validation = (standardized_inputs(model, validation[0]), validation[1])
    x, y = run.data.x, run.data.y
    if dataset and y is None:  # a tf.data.Dataset: its shapes, not a look at its batches
        x, y = spec_batch(a["x"])
    data = Dataset(standardized_inputs(model, x), y, validation,
                   run.data.note, sample_weight=_array(a.get("sample_weight")))
    if run.spec.initial_weights:  # compare: from the first backend's weights (begin, too)
        load_by_structure(model, run.spec.initial_weights)
    if dataset:  # the Trainer takes its shapes from the first batch, its batches from Keras
        fit = Fit(fit.epochs, n_rows(data.y), None, 0.0, False)
    trainer = Trainer(model, data, fit, device=run.spec.device, precision=run.spec.precision)
    previous = getattr(model, "_scen_optimizer", None)  # an earlier fit's, trained here
    if previous is None and int(np.asarray(model.optimizer.iterations)):
        state_from_keras(trainer, model)  # an earlier Keras fit's, or a loaded model's
    trainer.validation_steps = a.get("validation_steps")
    if dataset:
        trainer.source = batches_that_built(model) or KerasBatches(
            model, a["x"], a.get("y"), a.get("sample_weight"), a.get("batch_size"),
            a.get("steps_per_epoch"), bool(a.get("shuffle")), a.get("class_weight"),
            build=previous is None)
        trainer.steps_per_epoch = trainer.source.num_batches or 0
    else:
        # Keras's fit draws its data order's seeds, then calls on_train_begin, where the
        # diagnosis runs the model (its predict draws too): the same order keeps its batches.
        peeked = getattr(model, "_scen_peeked", False)  # build_as_keras_fit_would did it
        trainer.start(first_fit=previous is None and not peeked)
        keras_built(model, Dataset(run.data.x, run.data.y), fit)  # x as the script gave it
    if val_dataset:  # unpacked as Keras's fit does: a dataset, or arrays beside a dataset
        from keras.src.trainers.data_adapters.data_adapter_utils import (
            unpack_x_y_sample_weight)

        val_x, val_y, val_weights = unpack_x_y_sample_weight(a["validation_data"])
        trainer.val_source = KerasBatches(model, val_x, val_y, val_weights,
                                          batch_size=a.get("validation_batch_size")
                                          or a.get("batch_size"),
                                          steps=a.get("validation_steps"), evaluation=True)
    run.begin({"epochs": fit.epochs, "steps": trainer.steps_per_epoch})
    if previous is not None:  # a second fit goes on with the first one's optimizer state,
        rate = trainer.optimizer.learning_rate  # at the rate the script may have set since
        trainer.optimizer.load_state_dict(previous.state_dict())
        trainer.optimizer.learning_rate = rate
    side = KerasFitSide(model, list(a.get("callbacks") or [])[:-1], fit.epochs,
                        trainer.steps_per_epoch, a.get("validation_freq") or 1)
    side.packing = trainer.packing
    run.started = time.perf_counter()
    try:
        trainer.fit(fit.epochs, run.observers, started=True,
                    initial_epoch=a.get("initial_epoch") or 0, side=side)
    finally:
        model.set_weights(trainer.net.keras_weights())
        model._scen_optimizer = trainer.optimizer
        state_into_keras(trainer, model)
        run.hooks.history, run.hooks.step_losses = trainer.history, trainer.step_losses
    return side.history


def keras_built(model, data: Dataset, fit: Fit) -> None:
    """Build what Keras's first fit builds (the compiled loss and metrics, the optimizer) from a
    batch's shapes, as Keras's Trainer._symbolic_build does when handed a batch, which draws no
    random numbers. Unbuilt, a later evaluate() or Keras fit would peek at its data for them,
    drawing from torch's generator, and its batches would no longer be plain Keras's."""
    try:
        b = fit.batch_size
        x = data.x
        xb = ([a[:b] for a in x] if isinstance(x, (list, tuple)) else
              {k: a[:b] for k, a in x.items()} if isinstance(x, dict) else x[:b])
        model._symbolic_build(data_batch=(xb, data.y[:b]))
    except Exception:  # a private method: where it changed, Keras builds them itself
        pass


def _array(value):
    return None if value is None else np.asarray(value, dtype="float32")
