"""Run a scenario with Keras's own `fit`, on whichever backend Keras was imported with.

The caller (scen.runner) has already set KERAS_BACKEND, or chosen a subprocess: Keras fixes its
backend at import, so this module only ever runs in a process whose Keras matches the run.
(Why ~440 lines: Keras's fit, its callbacks and the observers' probe of each backend's
weights and gradients are one run; the probe is the backend-specific part.)
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import time
import traceback

import numpy as np

from scen.observe import Observers, RunInfo, error_message
from scen.scenario import Dataset, Fit, Scenario

POLICIES = {"fp32": "float32", "fp16": "mixed_float16", "bf16": "mixed_bfloat16"}


def layers_of(layer):
    """The layer and every layer inside it, depth first (a Model's, a Sequential's)."""
    yield layer
    for inner in getattr(layer, "layers", []):
        yield from layers_of(inner)


def precision_of(model, default: str) -> str:
    """The precision a model computes in: fp16 or bf16 where any of its layers has a mixed
    policy (a script may call keras.mixed_precision.set_global_policy itself), else `default`
    (the run's --precision)."""
    policies = {getattr(layer.dtype_policy, "name", "") for layer in layers_of(model)}
    mixed = [p for p, policy in POLICIES.items() if p != "fp32" and policy in policies]
    return mixed[0] if mixed else default


def fit_for(spec, scenario: Scenario, config: dict) -> Fit:
    """The posted fit() settings, with the run's overrides (epochs, steps, shuffling)."""
    fit = scenario.fit(config)
    return dataclasses.replace(
        fit,
        epochs=spec.epochs or fit.epochs,
        steps_per_epoch=spec.steps_per_epoch or fit.steps_per_epoch,
        shuffle=fit.shuffle and spec.shuffle,
    )


def train_size(data: Dataset, fit: Fit) -> int:
    from scen.diagnose.model import n_rows

    n = n_rows(data.y)  # labels of several outputs: a dict or list of arrays of n rows each
    # Keras keeps the first int(n * (1 - split)) samples for training.
    return int(n * (1 - fit.validation_split)) if fit.validation_split else n


def steps_per_epoch(data: Dataset, fit: Fit) -> int:
    return fit.steps_per_epoch or math.ceil(train_size(data, fit) / fit.batch_size)


def run(spec, scenario: Scenario, run_dir: str, observers: Observers) -> dict:
    """Train; return the raw outcome (history, step losses, status) for scen.runner."""
    import keras

    # A fresh session per run: layer names (and so TensorBoard tags) restart at 'dense'.
    keras.backend.clear_session()
    seed_everything(keras, spec.seed)
    keras.config.set_dtype_policy(POLICIES[spec.precision])
    try:
        with device_scope(keras, spec.device):
            return _fit(keras, spec, scenario, run_dir, observers)
    finally:
        keras.config.set_dtype_policy("float32")


# Below this many multiply-adds a step, each op is a few microseconds of arithmetic, and
# handing it to a second thread costs more than it saves: far more when the cores are busy
# (measured here: toy-blobs on Keras-torch, 4.2 s with one thread, 49 s with two, under load).
SMALL_STEP_FLOPS = 50_000_000


@contextlib.contextmanager
def cpu_threads_for(params: int, batch_size: int, device: str):
    """One torch thread for small models on the CPU (forward and backward: ~6 flops per
    weight per sample); torch's own choice otherwise."""
    import torch

    threads = torch.get_num_threads()
    if device == "cpu" and 6 * params * batch_size < SMALL_STEP_FLOPS:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def use_precision(keras, precision: str) -> None:
    """The dtype policy of a run: mixed_float16/mixed_bfloat16 for fp16/bf16; for fp32 Keras's
    own default, unset, so that a script's keras.config.set_floatx(...) takes effect as it does
    under plain `python train.py` (Keras derives the policy from floatx until one is set)."""
    if precision != "fp32":
        keras.config.set_dtype_policy(POLICIES[precision])
        return
    from keras.src.backend.common import global_state

    global_state.set_global_attribute("dtype_policy", None)


def seed_everything(keras, seed: int) -> None:
    """keras.utils.set_random_seed, less its import of TensorFlow on the other backends (which
    costs ~1.7 s and prints TF's start-up log): Python, NumPy, torch and Keras's seed generator."""
    if keras.backend.backend() == "tensorflow":
        return keras.utils.set_random_seed(seed)
    import random

    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
    import torch  # the native loop's shuffles come from torch too, whatever Keras runs on

    torch.manual_seed(seed)


def device_scope(keras, device: str):
    """Where Keras creates tensors and variables: `device` on torch; TF and JAX take theirs
    from the environment (scen.runner.subprocess_env)."""
    if keras.backend.backend() == "torch":
        return keras.device(device)  # torch: every tensor and variable lands there
    import contextlib

    return contextlib.nullcontext()  # TF and JAX: the worker's environment chose the device


def drawn_on_the_cpu(keras, scenario, config, spec) -> list[np.ndarray]:
    """The scenario model's initial weights as the port draws them (scen.native builds on the
    CPU): on a GPU, Keras's initialisers would draw from that device's generator, other
    numbers for the same seed. Leaves a fresh session, seeded, in the run's policy, so that
    the model built next is named as in any run ('dense', ...: TensorBoard's tags)."""
    with keras.device("cpu"):
        weights = scenario.build_model(config).get_weights()
    keras.backend.clear_session()
    seed_everything(keras, spec.seed)
    keras.config.set_dtype_policy(POLICIES[spec.precision])
    return weights


def _fit(keras, spec, scenario, run_dir, observers) -> dict:
    config = scenario.config_for(spec.variant)
    data = scenario.make_data(config, spec.seed)
    drawn = None
    if keras.backend.backend() == "torch" and spec.device != "cpu" and not spec.initial_weights:
        drawn = drawn_on_the_cpu(keras, scenario, config, spec)
    model = scenario.build_model(config)
    if drawn is not None:
        model.set_weights(drawn)
    start_from(model, spec.initial_weights, run_dir)
    fit = fit_for(spec, scenario, config)
    epochs = fit.epochs
    info = RunInfo(
        scenario=scenario.name,
        variant=spec.variant,
        backend=spec.backend,
        device=spec.device,
        precision=spec.precision,
        policy=keras.config.dtype_policy().name,
        seed=spec.seed,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch(data, fit),
        run_dir=run_dir,
        loss=loss_name(model),
        versions=versions(keras), numerics=numerics(),
    )
    hooks = hooks_class(keras)(observers, model, data, fit)
    callbacks = [hooks]
    if fit.reduce_lr_on_plateau:
        callbacks.append(keras.callbacks.ReduceLROnPlateau(**fit.reduce_lr_on_plateau))
    initial = KerasProbe(model, data, fit).weights()
    observers.before_training(model, data)
    observers.on_train_begin(info)
    status, error = "completed", None
    started = time.perf_counter()
    try:
        with cpu_threads_for(model.count_params(), fit.batch_size, spec.device):
            model.fit(
                data.x,
                data.y,
                batch_size=fit.batch_size,
                epochs=epochs,
                steps_per_epoch=fit.steps_per_epoch,
                validation_split=fit.validation_split,
                validation_data=data.validation,
                shuffle=fit.shuffle,
                sample_weight=data.sample_weight,
                class_weight=fit.class_weight,
                callbacks=callbacks,
                verbose=0,
            )
    except KeyboardInterrupt:
        status = "interrupted"
    except Exception as e:  # the backend refused the program: that is the observed behaviour
        status, error = "raised", f"{type(e).__name__}: {error_message(e)}"
        with open(f"{run_dir}/error.txt", "w") as f:
            f.write(traceback.format_exc())
        hooks.report_partial_epoch()
    seconds = time.perf_counter() - started
    save_weights(model.get_weights(), f"{run_dir}/final_weights.npz")
    observers.on_train_end(status, error)
    return dict(
        info=info,
        status=status,
        error=error,
        history=hooks.history,
        step_losses=hooks.step_losses,
        seconds=seconds,
        weight_change=largest_change(initial, KerasProbe(model, data, fit).weights()),
        data_note=data.note,
    )


# The settings a Keras loss object takes at their defaults (keras/src/losses/losses.py).
_LOSS_DEFAULTS = {"from_logits": False, "label_smoothing": 0.0, "axis": -1, "delta": 1.0,
                  "ignore_class": None, "reduction": "sum_over_batch_size"}


def loss_name(model) -> str:
    """The compiled loss's name; a loss object's settings that differ from the defaults are
    named too ('binary_crossentropy(from_logits=True)'), so that nothing keyed on the bare
    name (the sweep's hand-written Dense-chain step, the TensorFlow logits note) takes it for
    the default loss."""
    loss = model.loss
    if isinstance(loss, str):
        return loss
    name = getattr(loss, "name", None) or getattr(loss, "__name__", str(loss))
    # LossFunctionWrapper keeps its keyword arguments here; get_config omits some (delta).
    settings = dict(getattr(loss, "_fn_kwargs", None) or {})
    if hasattr(loss, "reduction"):
        settings["reduction"] = loss.reduction
    changed = [f"{k}={v!r}" for k, v in settings.items()
               if k not in _LOSS_DEFAULTS or v != _LOSS_DEFAULTS[k]]
    return f"{name}({', '.join(changed)})" if changed else name


def save_weights(weights: list, path: str) -> None:
    """model.get_weights() order, as w000, w001, ...: what set_weights takes back."""
    from scen.files import write_atomically

    write_atomically(path, lambda f: np.savez(
        f, **{f"w{i:03d}": np.asarray(w) for i, w in enumerate(weights)}))


def load_weights(path: str) -> list[np.ndarray]:
    with np.load(path) as f:
        return [f[k] for k in sorted(f.files)]


def start_from(model, initial_weights: str | None, run_dir: str) -> None:
    """Load the given initial weights, if any, and record the ones this run starts from."""
    if initial_weights:
        model.set_weights(load_weights(initial_weights))
    save_weights(model.get_weights(), f"{run_dir}/initial_weights.npz")


def largest_change(before: dict, after: dict) -> float:
    return max((float(np.max(np.abs(after[k] - before[k]))) for k in before), default=0.0)


def versions(keras) -> dict:
    import sys

    out = {"python": sys.version.split()[0], "keras": keras.__version__, "numpy": np.__version__}
    for name in ("torch", "tensorflow", "jax"):
        module = sys.modules.get(name)
        if module is not None and hasattr(module, "__version__"):
            out[name] = module.__version__
    return out


def numerics() -> dict:
    """torch's settings that change float32 results on a GPU, recorded with every run:
    torch.get_float32_matmul_precision() ("highest": true float32; "high"/"medium": TF32 or
    bfloat16 passes) and the TF32 switches for CUDA matmuls and cuDNN convolutions."""
    import torch

    return {"float32_matmul_precision": torch.get_float32_matmul_precision(),
            "cuda_matmul_allow_tf32": bool(torch.backends.cuda.matmul.allow_tf32),
            "cudnn_allow_tf32": bool(torch.backends.cudnn.allow_tf32)}


def compile_arguments(model) -> dict:
    """compile()'s arguments as given (metrics=["accuracy"], ...). Keras keeps them in
    _compile_config; its public get_compile_config() serialises the optimizer, which imports
    TensorFlow where it is installed."""
    return dict(getattr(getattr(model, "_compile_config", None), "config", None) or {})


def hooks_class(keras):
    """KerasHooks(observers, model, data, fit): the keras.callbacks.Callback that turns Keras's
    events into scen's observer events (see _HooksMixin). Built once Keras is imported."""
    global _KerasHooks
    if _KerasHooks is None:
        _KerasHooks = type("KerasHooks", (_HooksMixin, keras.callbacks.Callback), {})
    return _KerasHooks


_KerasHooks = None


class _HooksMixin:
    """Turns Keras's callback events into scen's observer events."""

    def __init__(self, observers: Observers, model, data: Dataset, fit: Fit):
        super().__init__()
        self.observers = observers
        self.data, self.fit = data, fit
        self.history: dict[str, list[float]] = {}
        self.step_losses: list[float] = []
        self._keras_model = model
        self._scale = 1.0

    def on_train_begin(self, logs=None):
        import keras

        self.keras = keras
        self.backend = keras.backend.backend()
        model = self._keras_model
        # The per-step loss. Keras logs only the epoch's running mean. On torch, where the
        # train step is plain Python, record each step's loss as Keras computes it; TF and JAX
        # compile the step, so read the loss tracker's float32 total and count around it.
        self._step_loss = None
        if self.backend == "torch":
            compute_loss = model._compute_loss

            def recording(*args, **kwargs):
                loss = compute_loss(*args, **kwargs)
                if kwargs.get("training"):
                    self._step_loss = loss.detach()
                return loss

            model._compute_loss = recording
        tracker = model._loss_tracker
        self._tracker_index = [
            i for i, v in enumerate(model.metrics_variables)
            if v is tracker.total or v is tracker.count
        ]

    def on_train_end(self, logs=None):
        self._keras_model.__dict__.pop("_compute_loss", None)

    def _step_loss_now(self) -> float | None:
        """This step's loss, or None where Keras's loss tracker did not move (a train_step of
        the model's own that does not update it): a gap in scen's record, not a NaN of the
        run's."""
        if self._step_loss is not None:
            return float(self._step_loss)
        if self.backend == "jax":  # JAX keeps the live state outside the variables mid-epoch
            values = self._keras_model._jax_state["metrics_variables"]
            total, count = (float(values[i]) for i in self._tracker_index)
        else:
            tracker = self._keras_model._loss_tracker
            total = float(self.keras.ops.convert_to_numpy(tracker.total))
            count = float(self.keras.ops.convert_to_numpy(tracker.count))
        last_total, last_count = self._last
        self._last = (total, count)
        return (total - last_total) / (count - last_count) if count > last_count else None

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._epoch_steps = epoch, []
        self._last = (0.0, 0.0)

    def report_partial_epoch(self) -> None:
        """fit raised inside an epoch: tell the observers how far it got (its steps' losses,
        the weights and predictions as they are now). The model may be broken: never raise."""
        epoch = getattr(self, "_epoch", None)
        if epoch is None or len(self.history.get("learning_rate", [])) > epoch:
            return  # it raised before the first epoch began, or between epochs
        model = self._keras_model
        self.observers.report_partial_epoch(epoch, lambda: (
            self.keras.ops.convert_to_numpy(model.optimizer.learning_rate), self._epoch_steps,
            KerasProbe(model, self.data, self.fit, self._scale)))

    def on_train_batch_begin(self, batch, logs=None):
        scale = getattr(self._keras_model.optimizer, "dynamic_scale", None)
        if scale is not None:  # fp16: remember the scale this step's gradients carry
            self._scale = float(self.keras.ops.convert_to_numpy(scale))

    def on_train_batch_end(self, batch, logs=None):
        value = self._step_loss_now()
        if value is None and "loss" in (logs or {}):  # what the step itself logged
            value = float(self.keras.ops.convert_to_numpy(logs["loss"]))
        if value is not None:
            self._epoch_steps.append(value)
        elif not any(s.startswith("the per-step loss") for s in self.observers.skipped):
            self.observers.skipped.append("the per-step loss: the model's train_step neither "
                                          "updates Keras's loss tracker nor logs a loss")
        self.observers.on_batch_end(batch, {k: float(v) for k, v in (logs or {}).items()})

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        lr = self._keras_model.optimizer.learning_rate
        logs["learning_rate"] = float(self.keras.ops.convert_to_numpy(lr))
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        self.step_losses.extend(self._epoch_steps)
        probe = KerasProbe(self._keras_model, self.data, self.fit, self._scale)
        self.observers.on_epoch_end(epoch, logs, np.asarray(self._epoch_steps), probe)


class KerasProbe:
    """Weights and gradients of a Keras model, as numpy, by Keras path: the model as it is now.
    Each is read once however many observers ask (a new probe is made each epoch); on TF and
    JAX a gradient is a forward and backward pass of its own."""

    def __init__(self, model, data: Dataset, fit: Fit, loss_scale: float = 1.0):
        self.model, self.data, self.fit, self.loss_scale = model, data, fit, loss_scale
        self._weights = self._gradients = None

    def keras_model(self):
        return self.model

    def weights(self) -> dict[str, np.ndarray]:
        import keras

        if self._weights is None:
            self._weights = {v.path: keras.ops.convert_to_numpy(v)
                             for v in self.model.trainable_weights}
        return self._weights

    def gradients(self) -> dict[str, np.ndarray]:
        if self._gradients is None:
            self._gradients = self._read_gradients()
        return self._gradients

    def _read_gradients(self) -> dict[str, np.ndarray]:
        import keras

        if keras.backend.backend() == "torch":
            # Keras's torch trainer leaves the last step's gradients on the variables.
            out = {}
            for v in self.model.trainable_weights:
                g = v.value.grad
                if g is not None:
                    out[v.path] = g.detach().float().cpu().numpy() / self.loss_scale
            return out
        if self.data.y is None:  # no arrays to recompute them on (a script's unusual input)
            return {}
        return _recomputed_gradients(self.model, self.data, self.fit)


def _recomputed_gradients(model, data: Dataset, fit: Fit) -> dict[str, np.ndarray]:
    """TF and JAX keep no gradients after a step: recompute them on the last training batch."""
    from scen.diagnose import recomputed_gradients
    from scen.diagnose.model import take_rows

    n = train_size(data, fit)
    start = max(0, n - fit.batch_size)
    last = slice(start, n)  # x and y may be lists or dicts of arrays (several inputs, outputs)
    return recomputed_gradients(model, take_rows(data.x, last), take_rows(data.y, last))
