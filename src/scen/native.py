"""The native PyTorch backend: the scenario's Keras model, translated, trained by a plain loop.

Same model, same initial weights, same losses and optimizer updates as Keras on its torch
backend (scen.port, scen.keras_exact), and even the same batch order: the loop draws its
shuffles from torch's global generator exactly as Keras's torch DataLoader does. What changes
is the speed: the data sits on the device once, batches are taken by index, and nothing is
copied back to the host until the end of an epoch.

Mixed precision is torch's autocast for the forward pass, made to follow Keras's mixed
policies (every layer's output and bias in the compute dtype: scen.port.graph.compute_dtype),
and for fp16 a GradScaler on Keras's LossScaleOptimizer's schedule. (Why ~650 lines: the
Trainer is the training loop, read top to bottom as nanoGPT's is; its compile and device
handling live with it because they change what the loop keeps between steps.)
"""

from __future__ import annotations

import contextlib
import functools
import gc
import math
import os
import shutil
import sys
import time

import numpy as np
import torch

from scen import keras_exact
from scen.keras_exact.reduction import fit_sample_weights
from scen.keras_run import (compile_arguments, cpu_threads_for, fit_for, largest_change,
                            loss_name, numerics, save_weights, seed_everything, start_from,
                            train_size, versions)
from scen.observe import Observers, RunInfo, error_message
from scen.port import translate
from scen.scenario import Dataset, Fit, Scenario

CHUNK = 4  # --compile: steps per compiled call (measured on MNIST: 1 -> 5.9k, 4 -> 7.3k steps/s)
AUTOCAST = {"fp32": None, "fp16": torch.float16, "bf16": torch.bfloat16}


def run(spec, scenario: Scenario, run_dir: str, observers: Observers) -> dict:
    import keras

    # Build exactly as the Keras run does (same session, seed, float32 policy), so the port
    # starts from the very weights Keras-on-torch starts from.
    keras.backend.clear_session()
    seed_everything(keras, spec.seed)
    keras.config.set_dtype_policy("float32")
    config = scenario.config_for(spec.variant)
    data = scenario.make_data(config, spec.seed)
    with keras.device("cpu"):
        model = scenario.build_model(config)
    start_from(model, spec.initial_weights, run_dir)
    fit = fit_for(spec, scenario, config)
    epochs = fit.epochs
    trainer = Trainer(model, data, fit, device=spec.device, precision=spec.precision,
                      semantics=spec.semantics, compile=bool(spec.compile))
    steps = epochs * trainer.steps_per_epoch
    compile_note = ""
    if spec.compile is None:
        wanted, compile_note = compile_pays_off(trainer.net, steps, spec.device,
                                                trainer.compile_key)
        if wanted:
            trainer.compile()
            if spec.verbose:  # the first steps wait for it: say why
                print(f"compiling the training step (torch.compile: {steps:,} steps pay for "
                      "it; --no-compile keeps it eager)", file=sys.stderr, flush=True)
    info = RunInfo(
        scenario=scenario.name, variant=spec.variant, backend=spec.backend, device=spec.device,
        precision=spec.precision, policy=trainer.policy, seed=spec.seed, epochs=epochs,
        steps_per_epoch=trainer.steps_per_epoch, run_dir=run_dir, loss=loss_name(model),
        versions=versions(keras), numerics=numerics(),
    )
    initial = trainer.probe().weights()
    observers.before_training(model, data)
    observers.on_train_begin(info)
    status, error = "completed", None
    started = time.perf_counter()
    try:
        trainer.fit(epochs, observers)
    except KeyboardInterrupt:
        status = "interrupted"
    except RuntimeError as e:  # e.g. torch's label check in binary cross-entropy, as in Keras
        status, error = "raised", f"{type(e).__name__}: {error_message(e)}"
    seconds = time.perf_counter() - started
    change = float("nan")
    try:  # a device that failed (a CUDA error is sticky) cannot give its weights back
        save_weights(trainer.net.keras_weights(), f"{run_dir}/final_weights.npz")
        change = largest_change(initial, trainer.probe().weights())
    except RuntimeError as e:
        if error is None:
            status, error = "raised", f"{type(e).__name__}: {error_message(e)}"
    observers.on_train_end(status, error)
    return dict(
        info=info, status=status, error=error, history=trainer.history, engine_note=compile_note,
        step_losses=trainer.step_losses, seconds=seconds, weight_change=change,
        data_note=data.note,
    )


# What torch.compile costs and saves on this project's 2-core CPU (benchmarks/time_to_result.py,
# 2026-11-30, toy-blobs): the first compilation of a model's step takes ~25 s (inductor's code
# generation and C++ builds; another model's step costs as much again), a later run of the
# same step ~5 s (torch's caches on disk), and each step then costs ~0.15 ms less (4,600 ->
# 15,000 steps/s): it pays off after ~160,000 steps the first time, ~35,000 steps after.
AUTO_COMPILE_STEPS = {"first": 200_000, "again": 50_000}


def compile_mode(device) -> str | None:
    """torch.compile's mode for the native step: "reduce-overhead" (CUDA graphs) on CUDA."""
    return "reduce-overhead" if device.type == "cuda" else None


def outputs_copied(fn):
    """`fn` with its tensor outputs copied. A CUDA graph writes every replay's outputs into the
    same memory, so a loss kept from one step would read the next step's (torch's cudagraph
    trees raise on such a read instead); every step's loss, output and gradients are kept
    past the next step here (the epoch's losses, Keras's metrics, the probe's gradients)."""
    def call(*args, **kwargs):
        return torch.utils._pytree.tree_map(
            lambda v: v.clone() if isinstance(v, torch.Tensor) else v, fn(*args, **kwargs))

    return call


def compiled_here_before(key: str) -> bool:
    """Whether a step with this key (Trainer.compile_key) was compiled on this machine, so
    that torch's caches hold it: scen leaves a mark beside them (mark_compiled)."""
    return os.path.exists(_compile_mark(key))


def mark_compiled(key: str) -> None:
    try:
        os.makedirs(os.path.dirname(_compile_mark(key)), exist_ok=True)
        open(_compile_mark(key), "w").close()
    except OSError:  # a read-only cache: the next run counts as a first one
        pass


def _compile_mark(key: str) -> str:
    from torch._inductor.runtime.cache_dir_utils import cache_dir

    return os.path.join(cache_dir(), "scen", key)


def compile_pays_off(net, steps: int, device: str, key: str = "") -> tuple[bool, str]:
    """Whether a native run of `steps` steps on the ported `net` should compile by itself, and
    the engine line's note when it does (or would, but cannot). key: Trainer.compile_key,
    whether torch's caches hold this step (AUTO_COMPILE_STEPS["again"]) or not ("first").
    Left eager: short runs; layers Keras runs (scen.port.keras_call); random layers (compiled,
    their masks come from inductor's generator, not Keras's draws); batch statistics
    (BatchNormalization is not yet proven under torch.func); a CPU without a C++ compiler
    (inductor needs one)."""
    from scen.port.keras_call import KerasCall
    from scen.port.noise import Dropout
    from scen.port.norm import BatchNorm

    again = bool(key) and compiled_here_before(key)
    threshold = AUTO_COMPILE_STEPS["again" if again else "first"]
    if steps < threshold:
        return False, ""
    would = f"; {steps:,} steps would pay for torch.compile, but "
    if any(isinstance(m, (Dropout, BatchNorm)) for m in net.modules()):
        return False, would + "a random or batch-statistics layer keeps the step eager"
    if any(isinstance(m, KerasCall) for m in net.modules()):
        return False, would + "a layer that Keras runs keeps the step eager"
    if device == "cpu" and not any(shutil.which(c) for c in
                                   (os.environ.get("CXX", "g++"), "c++", "clang++")):
        return False, would + "it needs a C++ compiler (g++ or clang++) on the CPU"
    cached = "compiled before here" if again else "a first compilation"
    return True, (f", compiled: {steps:,} steps pay for torch.compile ({cached}: from "
                  f"{threshold:,}; --no-compile keeps it eager)")


ACCURACY = ("accuracy", "acc")  # compile(metrics=[...]) names the port computes


def accuracy_kind(y: np.ndarray, output_shape: tuple) -> str:
    """What Keras makes of metrics=['accuracy'] (trainers/compile_utils.get_metric and its
    is_binary_or_sparse_categorical): binary for one output unit; sparse where the labels
    have a lower rank than the output (class indices, one per sample or per position) or one
    column for several units; else categorical. y: the labels (n, ...); output_shape: the
    model's (batch, ..., units)."""
    if output_shape[-1] == 1:
        return "binary"
    if y.ndim < len(output_shape) or y.shape[-1] == 1:
        return "sparse"
    return "categorical"


def keras_exact_loss(identifier, semantics: str):
    """The Keras-exact copy of compile's loss (scen.keras_exact.get_loss), or None where there
    is none (the script's own function or Loss class)."""
    try:
        return keras_exact.get_loss(identifier, flavour=semantics)
    except ValueError:
        return None


class Trainer:
    """fit() for a ported Keras model, step for step what Keras's torch trainer computes."""

    def __init__(self, model, data: Dataset, fit: Fit, device="cpu", precision="fp32",
                 semantics="torch", compile=False):
        self.keras_model, self.fit_args, self.shuffle = model, fit, fit.shuffle
        self.device = torch.device(device)
        with torch.random.fork_rng(devices=[]):  # a translation must not use up Keras's draws
            self.net = translate(model).to(self.device)
        from scen.keras_fit import KerasCompiledLoss, PackedOutputs

        # Several outputs: their labels and outputs packed side by side (one tensor each),
        # their losses Keras's compiled loss's (its dicts, loss_weights, per-output trackers).
        self.packing = PackedOutputs(model, data.y) if self.net.several_outputs else None
        self.loss_fn = None if self.packing else keras_exact_loss(model.loss, semantics)
        if self.loss_fn is None:  # the script's own loss: Keras's compiled loss, on torch tensors
            self.loss_fn = KerasCompiledLoss(model, self.packing)
        self.params = list(self.net.parameters())
        self.named_params = dict(self.net.named_parameters())  # what the penalties read
        self.optimizer = keras_exact.get_optimizer(model.optimizer, self.params)
        self._compiled_step = None
        self.precision, self.compiled = precision, False
        if compile and self.packing is None:  # Keras's compiled loss updates its trackers
            self.compile()
        self.plateau = (keras_exact.ReduceLROnPlateau(self.optimizer, **fit.reduce_lr_on_plateau)
                        if fit.reduce_lr_on_plateau else None)
        self.autocast = AUTOCAST[precision]
        # Keras's LossScaleOptimizer: 2**15 at first, halved on a non-finite step (skipped),
        # doubled after 2,000 finite ones - GradScaler's rule, from Keras's initial scale.
        self.scaler = torch.amp.GradScaler(self.device.type, init_scale=2.0 ** 15,
                                           growth_interval=2000, enabled=precision == "fp16")
        self.policy = {"fp32": "float32", "fp16": "autocast float16 + GradScaler",
                       "bf16": "autocast bfloat16"}[precision]

        # The data, on the device once. Keras trains on the first int(n * (1 - split)).
        n_train = train_size(data, fit)
        xs = list(data.x) if isinstance(data.x, (list, tuple)) else [data.x]
        as_tensor = lambda a: torch.as_tensor(np.asarray(a, dtype="float32"), device=self.device)
        labels = (lambda y: self.packing.pack_labels(y)) if self.packing else (lambda y: y)
        y = labels(data.y)
        if self.device.type != "cpu" and isinstance(self.loss_fn, keras_exact.KerasLoss):
            # on the host: a device-side assert would poison the process
            keras_exact.check_labels_as_the_cpu_does(self.loss_fn, y[:n_train],
                                                     self._output_shape(xs)[1:])
        self.x = [as_tensor(a[:n_train]) for a in xs]
        self.y = as_tensor(y[:n_train])
        # fit(sample_weight=/class_weight=): (n_train,) weights, indexed with the batches.
        sw, val_sw = fit_sample_weights(y, data.sample_weight, fit.class_weight, n_train)
        self.sw = as_tensor(sw) if sw is not None else None
        if data.validation is not None:
            vx, vy = data.validation
            vxs = list(vx) if isinstance(vx, (list, tuple)) else [vx]
            self.val = ([as_tensor(a) for a in vxs], as_tensor(labels(vy)), None)
        elif fit.validation_split:
            self.val = ([as_tensor(a[n_train:]) for a in xs], as_tensor(y[n_train:]),
                        as_tensor(val_sw) if val_sw is not None else None)
        else:
            self.val = None
        self.n = n_train
        self.batches = math.ceil(n_train / fit.batch_size)
        self.steps_per_epoch = fit.steps_per_epoch or self.batches
        metrics = compile_arguments(model).get("metrics") or []
        self.accuracy = (accuracy_kind(data.y, self._output_shape(xs))
                         if set(ACCURACY) & set(map(str, metrics)) and not self.packing
                         else None)
        self.validation_batch_size = fit.validation_batch_size or fit.batch_size
        self.side = None  # a script's fit: scen.keras_fit.KerasFitSide, set by fit()
        self.source = None  # a script's dataset: scen.keras_fit.KerasBatches (else the arrays)
        self.val_source = None  # ... and its validation dataset
        self.validation_steps = None  # fit(validation_steps=...): None, all of it
        self.history: dict[str, list[float]] = {}
        self.step_losses: list[float] = []
        self._order, self._seen, self._fresh = None, 0, True  # the pass over the data

    def _output_shape(self, xs) -> tuple:
        """The output's shape for the first row of inputs `xs`, computed as Keras's evaluate
        would: a Dropout the graph pins on draws no random number (Keras's draws stay
        Keras's)."""
        with torch.no_grad(), self.net.evaluating():
            return tuple(self.net(*[torch.as_tensor(np.asarray(a[:1], dtype="float32"),
                                                    device=self.device) for a in xs]).shape)

    def compile(self) -> None:
        """The whole step - forward, loss, backward (torch.func) and the Keras-exact update -
        becomes one compiled graph: on the CPU, per-op dispatch is most of a small model's
        step. On CUDA, "reduce-overhead" also captures it in a CUDA graph. fp16 keeps the
        eager step around compiled parts: its GradScaler skips steps data-dependently."""
        mode = compile_mode(self.device)
        self.compiled = True
        self.optimizer.build([p for p in self.params if p.requires_grad])

        def compiled(fn):
            fn = torch.compile(fn, mode=mode, dynamic=False)
            return fn if mode != "reduce-overhead" else outputs_copied(fn)

        if self.precision == "fp16":
            self._loss_and_output = compiled(self._loss_and_output)
            self.optimizer.update = compiled(self.optimizer.update)
        else:
            self._compiled_step = compiled(self._whole_step)
            self._compiled_chunk = compiled(self._steps)

    @functools.cached_property
    def compile_key(self) -> str:
        """What makes a compiled step: torch, the device and precision, the model's layers
        and weight shapes, the batch, the loss and the optimizer (a hash, for file names)."""
        import hashlib

        parts = [torch.__version__, str(self.device), self.precision, repr(self.net),
                 [(n, tuple(p.shape)) for n, p in self.net.named_parameters()],
                 [tuple(a.shape[1:]) for a in self.x], self.fit_args.batch_size,
                 repr(self.loss_fn), type(self.optimizer).__name__, self.optimizer.defaults]
        return hashlib.sha1(repr(parts).encode()).hexdigest()

    # ---- the batch order, drawn as Keras's torch DataLoader draws it -----------------------
    # Keras's EpochIterator (trainers/epoch_iterator.py) makes a torch DataLoader iterator per
    # pass over the data. Each new iterator takes one int64 from the global generator (its
    # workers' base seed); a shuffling RandomSampler takes one more, lazily, at the first batch,
    # to seed its randperm. Replaying those draws gives the port Keras's exact batch order.
    def _new_iterator(self) -> None:
        torch.empty((), dtype=torch.int64).random_()
        self._order, self._seen = None, 0

    def _draw_order(self) -> torch.Tensor:
        if not self.shuffle:
            return torch.arange(self.n, device=self.device)
        generator = torch.Generator()
        generator.manual_seed(int(torch.empty((), dtype=torch.int64).random_().item()))
        return torch.randperm(self.n, generator=generator).to(self.device)

    def start(self, first_fit: bool = True) -> None:
        """A model's first fit() peeks at one batch to build the model, its loss, metrics and
        optimizer (Trainer._symbolic_build), then resets the iterator; a later fit finds them
        built and does not."""
        if first_fit:
            self._new_iterator()
            self._draw_order()
        self._order, self._seen, self._fresh = None, 0, True

    def _epoch_batches(self):
        """Keras's _enumerate_iterator: with steps_per_epoch the pass carries over epochs."""
        if self._fresh or self.fit_args.steps_per_epoch is None:
            self._new_iterator()
            self._fresh = False
        b = self.fit_args.batch_size
        for _ in range(self.steps_per_epoch):
            if self._seen >= self.batches:
                break  # Keras: "Your input ran out of data"
            if self._order is None:
                self._order = self._draw_order()
            yield self._order[self._seen * b:(self._seen + 1) * b]
            self._seen += 1
        if self._seen >= self.batches:
            self._new_iterator()  # made eagerly at the end of a pass

    # ---- one step ----------------------------------------------------------------------------
    def _forward(self, xs):
        ctx = (torch.autocast(self.device.type, dtype=self.autocast) if self.autocast
               else contextlib.nullcontext())
        with ctx:
            out, logits = self.net.forward_with_logits(*xs)
        if self.packing is not None:  # one tensor of them all; each output's logits
            return (self.packing.pack_outputs(out).float(),
                    [lg.float() if lg is not None else None for lg in logits])
        # Keras computes losses in float32 under mixed precision too.
        return out.float(), (logits.float() if logits is not None else None)

    def _loss_and_output(self, xb, yb, swb=None):
        out, logits = self._forward(xb)
        return self._with_penalties(self.loss_fn(yb, out, logits, sample_weight=swb)), \
            out.detach()

    def _with_penalties(self, loss, params: dict | None = None):
        """Keras's compute_loss: the compiled loss plus the weight regularizers' losses
        (model.losses), summed as ops.sum sums their list; in validation too. params: the
        parameters being differentiated (torch.func), else the net's own."""
        extra = self.net.added_losses()  # a custom layer's add_loss values
        if self.net.penalized:
            extra += self.net.penalties(params if params is not None else self.named_params)
        return torch.stack([loss, *extra]).sum() if extra else loss

    def _steps(self, chunk):
        """CHUNK consecutive steps (one row of batch indices each) in one compiled call: the
        Python between steps, not the arithmetic, is what is left on the CPU."""
        results = [self._whole_step(idx) for idx in chunk.unbind(0)]
        losses = torch.stack([r[0] for r in results])
        matches = torch.stack([r[1] for r in results]).sum()
        return losses, matches, results[-1][2]

    def _whole_step(self, idx):
        """One training step, from the batch's indices on, as a function of the parameters
        (for torch.compile: the gather joins the graph too)."""
        xb, yb = [a[idx] for a in self.x], self.y[idx]
        swb = self.sw[idx] if self.sw is not None else None
        params = dict(self.net.named_parameters())
        grads, (loss, out) = torch.func.grad(self.loss_and_output, has_aux=True)(params, xb, yb,
                                                                                swb)
        grads = [grads[name] for name in params]
        self.optimizer.apply_update(grads, self.params)
        return loss.detach(), self.matches(yb, out), grads

    def loss_and_output(self, params: dict, xb: list, yb, swb=None) -> tuple:
        """(loss, (loss, output)) of one batch as a pure function of the parameters, a dict as
        named_parameters() gives it: what torch.func.grad differentiates (has_aux) here and,
        under vmap over a leading seed axis, in scen.sweep. xb: the inputs, each (batch, ...);
        swb: the batch's sample weights (batch,) or None; loss: a 0-d tensor; output:
        (batch, outputs), detached."""
        ctx = (torch.autocast(self.device.type, dtype=self.autocast) if self.autocast
               else contextlib.nullcontext())
        with ctx:
            out, logits = torch.func.functional_call(self.net, params, tuple(xb),
                                                     {"with_logits": True})
        out = out.float()
        loss = self._with_penalties(self.loss_fn(
            yb, out, logits.float() if logits is not None else None, sample_weight=swb), params)
        return loss, (loss, out.detach())

    def matches(self, y, out) -> torch.Tensor:
        """How many of the batch's samples Keras's accuracy counts as right (a 0-d float): a
        sample with several values (units of a multi-label output, positions of a sequence)
        counts the share of them that are right, as Keras's mean over all values does.
        Unweighted even under sample weights: compile(metrics=...) are; only
        weighted_metrics=... see them."""
        if self.accuracy is None:  # not among the compiled metrics
            return torch.zeros((), device=out.device)
        if self.accuracy == "binary":
            y2 = y.reshape(out.shape) if y.numel() == out.numel() else y
            right = y2 == (out > 0.5).to(y2.dtype)
        elif self.accuracy == "sparse":
            right = y.reshape(out.shape[:-1]) == out.argmax(-1).to(y.dtype)
        else:
            right = y.argmax(-1) == out.argmax(-1)
        right = right.float()
        return right.reshape(len(right), -1).mean(1).sum() if right.ndim > 1 else right.sum()

    def fit(self, epochs: int, observers: Observers, started: bool = False,
            initial_epoch: int = 0, side=None) -> None:
        """Train epochs initial_epoch .. epochs-1. started: start() was called already (a
        script's fit draws its data order before Keras's on_train_begin, where the diagnosis
        looks at the model). side: a scen.keras_fit.KerasFitSide for a script's fit (its
        callbacks, compiled metrics and logs, as Keras's fit has them), or None."""
        params = sum(p.numel() for p in self.net.parameters())
        # Python's full garbage collections scan every object alive, and Keras, torch and the
        # compiler leave millions: one pass stalled a compiled toy-blobs run for ~0.36 s (twice
        # the time of its 3,000 steps). The loop makes few lasting objects: those from before
        # are left out of collections while it runs (gc.freeze), and given back after.
        gc.freeze()
        try:
            with cpu_threads_for(params, self.fit_args.batch_size, self.device.type):
                self._fit(epochs, observers, started, initial_epoch, side)
        finally:
            gc.unfreeze()

    def _fit(self, epochs: int, observers: Observers, started: bool, initial_epoch: int,
             side) -> None:
        if not started:
            self.start()
        if not self.compiled:  # one update per op, not per parameter (the graph fuses them)
            self.optimizer.flatten()
        self.net.train()
        self.side = side
        if side is not None:
            side.attach(self)
            side.on_train_begin()
        for epoch in range(initial_epoch, epochs):
            losses, sizes, correct = [], [], torch.zeros((), device=self.device)
            seen = ([], [], [])  # a script's fit: labels, outputs, weights, for Keras's metrics
            if side is not None:
                side.on_epoch_begin(epoch)
            try:
                if self._compiled_step is None:
                    self._fit_epoch_eager(losses, sizes, correct, seen)
                else:
                    self._fit_epoch_compiled(losses, sizes, correct)
                    if epoch == 0:  # torch's caches hold the step now
                        mark_compiled(self.compile_key)
            except Exception:  # the epoch that went wrong, as far as it got, for the diagnosis
                observers.report_partial_epoch(epoch, lambda: (
                    self.optimizer.learning_rate, [float(x) for x in losses], self.probe()))
                raise
            # One host transfer per epoch.
            step_losses = torch.stack(losses).cpu().numpy().astype(float) if losses else np.zeros(0)
            if side is not None:
                logs = side.epoch_logs(losses, sizes, *self._joined(seen))
                if self.val_source is not None and side.should_validate(epoch):
                    logs.update(self.evaluate_batches(self.val_source.epoch(self.device)))
                elif self.val is not None and side.should_validate(epoch):
                    logs.update(self.evaluate(*self.val, prefix="val_"))
            else:
                w = np.asarray(sizes, dtype=float)
                n = float(w.sum())
                logs = {"accuracy": float(correct) / n} if self.accuracy else {}
                logs["loss"] = float((step_losses * w).sum()) / n if n else float("nan")
                if self.val is not None:
                    logs.update(self.evaluate(*self.val, prefix="val_"))
            if side is not None:
                side.on_epoch_end(epoch, logs)  # History and the script's callbacks: no rate
            logs = {**logs, "learning_rate": self.optimizer.learning_rate}
            if self.plateau is not None:
                self.plateau.on_epoch_end(epoch, logs)
            for k, v in logs.items():
                self.history.setdefault(k, []).append(v)
            self.step_losses.extend(step_losses.tolist())
            observers.on_epoch_end(epoch, logs, step_losses, self.probe())
            if side is not None and side.stop_training:
                break
        if side is not None:
            side.on_train_end()

    @staticmethod
    def _joined(seen) -> tuple:
        """(labels, outputs, weights) of an epoch's batches, each concatenated, or None."""
        return tuple(torch.cat(parts) if parts else None for parts in seen)

    def _fit_epoch_eager(self, losses: list, sizes: list, correct: torch.Tensor,
                         seen: tuple) -> None:
        labels, outputs = [], []  # the accuracy is counted once, at the end of the epoch
        side = self.side
        per_batch = side is not None and side.per_batch
        for step, (xb, yb, swb) in enumerate(self._batches()):
            if per_batch:
                side.on_batch_begin(step)
            loss, out = self._loss_and_output(xb, yb, swb)
            for p in self.params:
                p.grad = None
            if self.scaler.is_enabled():
                self.scaler.scale(loss).backward()
                self.scaler.step(self.optimizer)  # unscales the gradients in place first
                self.scaler.update()
            else:
                loss.backward()
                self.optimizer.update()
            losses.append(loss.detach())
            sizes.append(len(yb))
            if per_batch:
                side.on_batch_end(step, loss.detach(), yb, out, swb)
                if side.stop_training:
                    break
            elif side is not None and not side.checked:
                side.count(loss.detach(), yb, out, swb)
            elif side is not None:  # Keras's metrics count the epoch's outputs at its end
                seen[0].append(yb)
                seen[1].append(out)
                if swb is not None:
                    seen[2].append(swb)
            elif self.accuracy:
                labels.append(yb)
                outputs.append(out)
        if outputs:
            correct += self.matches(torch.cat(labels), torch.cat(outputs))

    def _batches(self):
        """One epoch's (inputs, labels, sample weights or None): taken by index from the data
        on the device, or, where fit was given a dataset, from `source` (Keras's own epoch
        iterator, scen.keras_fit.KerasBatches)."""
        if self.source is not None:
            yield from self.source.epoch(self.device)
            return
        for idx in self._epoch_batches():  # index_select: a[idx]'s copy, at a third of its cost
            yield ([a.index_select(0, idx) for a in self.x], self.y.index_select(0, idx),
                   self.sw.index_select(0, idx) if self.sw is not None else None)

    def _fit_epoch_compiled(self, losses: list, sizes: list, correct: torch.Tensor) -> None:
        """An epoch of compiled steps: full chunks of CHUNK batches, then one at a time."""
        pending, grads = [], None

        def flush_one(idx):
            nonlocal grads
            loss, matches, grads = self._compiled_step(idx)
            losses.append(loss)
            sizes.append(len(idx))
            correct.add_(matches)

        for idx in self._epoch_batches():
            if len(idx) != self.fit_args.batch_size:
                flush_one(idx)
                continue
            pending.append(idx)
            if len(pending) == CHUNK:
                chunk_losses, matches, grads = self._compiled_chunk(torch.stack(pending))
                losses.extend(chunk_losses.unbind(0))
                sizes.extend([len(i) for i in pending])
                correct.add_(matches)
                pending = []
        for idx in pending:
            flush_one(idx)
        if grads is not None:
            for p, g in zip(self.params, grads):  # the last step's, for the probe
                p.grad = g

    @torch.no_grad()
    def evaluate_batches(self, batches) -> dict:
        """Validation over (inputs, labels, weights) batches (the arrays', or a dataset's
        through Keras's epoch iterator): the losses and outputs go to Keras's metrics
        (self.side)."""
        self.side.before_validation()
        losses, sizes, labels, outputs, weights = [], [], [], [], []
        with self.net.evaluating():
            for xb, yb, swb in batches:
                out, logits = self._forward(xb)
                losses.append(self._with_penalties(self.loss_fn(yb, out, logits,
                                                                sample_weight=swb)))
                sizes.append(len(yb))
                labels.append(yb)
                outputs.append(out)
                if swb is not None:
                    weights.append(swb)
        return self.side.validation_logs(losses, sizes, *self._joined((labels, outputs, weights)))

    @torch.no_grad()
    def evaluate(self, xs, y, sw=None, prefix="") -> dict:
        """Keras's evaluate during fit: batches of the fit's batch size, in order; sw: the
        validation samples' weights (n,) or None."""
        # Its DataLoader iterator, and the one made eagerly at the end of the pass.
        torch.empty((2,), dtype=torch.int64).random_()
        b = self.validation_batch_size
        n = len(y)
        if self.validation_steps:  # fit(validation_steps=...): the first batches only
            n = min(n, self.validation_steps * b)
        batches = (([a[start:start + b] for a in xs], y[start:start + b],
                    sw[start:start + b] if sw is not None else None) for start in range(0, n, b))
        if self.side is not None:  # a script's fit: Keras's metrics count them
            return self.evaluate_batches(batches)
        total, correct = torch.zeros((), device=self.device), torch.zeros((), device=self.device)
        with self.net.evaluating():
            for xb, yb, swb in batches:
                out, logits = self._forward(xb)
                total += self._with_penalties(self.loss_fn(yb, out, logits,
                                                           sample_weight=swb)) * len(yb)
                correct += self.matches(yb, out)
        logs = {f"{prefix}accuracy": float(correct) / n} if self.accuracy else {}
        return {**logs, f"{prefix}loss": float(total) / n}

    def probe(self) -> NativeProbe:
        return NativeProbe(self)


class NativeProbe:
    """The model at the end of one epoch. Weights and gradients come to the host once, however
    many observers ask (a new probe is made each epoch)."""

    def __init__(self, trainer: Trainer):
        self.trainer = trainer
        self._weights = self._gradients = None

    def weights(self) -> dict[str, np.ndarray]:
        if self._weights is None:
            self._weights = dict(self.trainer.net.named_keras_weights())
        return self._weights

    def gradients(self) -> dict[str, np.ndarray]:
        # GradScaler.step has already unscaled them; laid out as Keras lays each variable out.
        if self._gradients is None:
            self._gradients = self.trainer.net.named_keras_gradients()
        return self._gradients

    def keras_model(self):
        model = self.trainer.keras_model
        model.set_weights(self.trainer.net.keras_weights())
        return model
