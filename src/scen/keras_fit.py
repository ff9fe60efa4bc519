"""Keras's side of a fit that the native port trains: its callbacks, metrics and logs.

Keras's torch trainer (keras/src/backend/torch/trainer.py, `fit`) is a loop of steps inside
Keras's CallbackList, with Keras's metric objects counting what the steps output. The native
port keeps that loop and swaps the step; `KerasFitSide` is everything around the step, done
with Keras's own objects rather than copies of them:

- the script's callbacks, in Keras's `CallbackList` (with its History), called where Keras's
  fit calls them: train, epoch and batch begin and end, test begin and end around validation;
- `model.stop_training`, read after every batch and epoch, as Keras reads it;
- the model's compiled metrics (`model.metrics`: the loss tracker, `compile(metrics=...)` and
  `weighted_metrics=`), updated with the port's outputs, so that every built-in metric, given
  as a name or as an object, reads as Keras's does;
- the Keras model's weights, and its optimizer's iterations, made current before a callback
  can look at them, and the weights and learning rate a callback set (EarlyStopping's best
  weights, ReduceLROnPlateau's rate, a user's `set_weights`) read back into the port after.

Batch-level callbacks cost a host round trip per step (Keras's running logs, the weights), so
the batch hooks run only where some callback overrides one (`needs_batch_logs`); otherwise the
metrics count a whole epoch's outputs at once, which Keras's accumulators sum to the same value.
"""

from __future__ import annotations

import numpy as np
import torch

BATCH_HOOKS = ("on_train_batch_begin", "on_train_batch_end", "on_batch_begin", "on_batch_end")


def needs_batch_logs(callback) -> bool:
    """Whether a callback acts per batch: it overrides a batch hook of keras.callbacks.Callback,
    and (for Keras's own savers and loggers) is set to act per batch rather than per epoch."""
    import keras

    base = keras.callbacks.Callback

    def overridden(hook) -> bool:  # by the class, or on the instance (LambdaCallback's)
        method = getattr(callback, hook, None)
        return getattr(method, "__func__", method) is not getattr(base, hook)

    if not any(overridden(h) for h in BATCH_HOOKS):
        return False
    for attribute in ("save_freq", "update_freq"):  # ModelCheckpoint, BackupAndRestore, TensorBoard
        if getattr(callback, attribute, None) == "epoch":
            return False
    return True


def current_rate(optimizer) -> float | None:
    """The Keras optimizer's learning rate as a float, or None under a schedule (which the
    port evaluates itself, step by step)."""
    from keras.optimizers.schedules import LearningRateSchedule

    if isinstance(getattr(optimizer, "_learning_rate", None), LearningRateSchedule):
        return None
    return float(np.asarray(optimizer.learning_rate))


class KerasFitSide:
    """The callbacks, metrics and logs of one fit around the native Trainer's steps.

    model: the compiled Keras model (built); callbacks: the script's own, in order; epochs,
    steps: what Keras's CallbackList reports in `params`; validation_freq: fit's argument."""

    def __init__(self, model, callbacks: list, epochs: int, steps: int, validation_freq=1):
        import keras

        self.model = model
        self.user = list(callbacks)
        self.callbacks = keras.callbacks.CallbackList(
            self.user, add_history=True, add_progbar=False, verbose=0, epochs=epochs,
            steps=steps, model=model)
        self.per_batch = any(needs_batch_logs(c) for c in self.user)
        # Which callbacks can see the optimizer's slots: a ModelCheckpoint saving the whole
        # model, and any callback written outside Keras. Only they make the per-batch sync
        # copy the slots (a host copy of every moment, each step); epochs always sync them.
        self.batch_sees_optimizer = any(
            (isinstance(c, keras.callbacks.ModelCheckpoint) and not c.save_weights_only)
            or not type(c).__module__.startswith("keras.") for c in self.user)
        self.validation_freq = validation_freq
        self.trainer = None
        self.logs: dict = {}
        self.counted = 0  # the epoch's steps whose outputs the metrics have counted already
        self.checked = False  # the fit's first step was counted on its own (see count)
        self.packing = None  # a model of several outputs: the Trainer's PackedOutputs

    def attach(self, trainer) -> None:
        self.trainer = trainer

    # ---- the Keras model kept current -----------------------------------------------------
    def to_keras(self, batch: bool = False) -> None:
        """The port's weights and optimizer state (step count and slots) into the Keras model,
        for callbacks to see: a ModelCheckpoint saves the optimizer Keras's fit would. After a
        batch, the slots only where a callback can see them (batch_sees_optimizer)."""
        if not self.user:
            return
        self.model.set_weights(self.trainer.net.keras_weights())
        if batch and not self.batch_sees_optimizer:
            self.model.optimizer.iterations.assign(self.trainer.optimizer.iterations)
        else:
            state_into_keras(self.trainer, self.model)

    def from_keras(self) -> None:
        """What callbacks changed (weights, learning rate) back into the port."""
        if not self.user:
            return
        self.trainer.net.set_keras_weights(self.model.get_weights())
        rate = current_rate(self.model.optimizer)
        if rate is not None and rate != self.trainer.optimizer.learning_rate:
            self.trainer.optimizer.learning_rate = rate

    @property
    def stop_training(self) -> bool:
        return bool(getattr(self.model, "stop_training", False))

    # ---- the callbacks, where Keras's fit calls them ----------------------------------------
    def on_train_begin(self) -> None:
        self.model.stop_training = False
        self.callbacks.on_train_begin()
        self.from_keras()

    def on_epoch_begin(self, epoch: int) -> None:
        self.model.reset_metrics()
        self.counted = 0
        self.callbacks.on_epoch_begin(epoch)
        self.from_keras()  # LearningRateScheduler sets this epoch's rate here

    def on_batch_begin(self, step: int) -> None:
        self.callbacks.on_train_batch_begin(step)

    def on_batch_end(self, step: int, loss: torch.Tensor, y, out, sample_weight) -> None:
        """After one step (per_batch only): Keras's running logs, then the callbacks."""
        self.count(loss, y, out, sample_weight)
        self.to_keras(batch=True)
        self.callbacks.on_train_batch_end(step, self._results())
        self.from_keras()

    def count(self, loss: torch.Tensor, y, out, sample_weight) -> None:
        """Count one step's outputs now. The fit's first step is counted on its own, so that
        a metric that cannot take the labels raises as Keras's does, on one batch's shapes."""
        self._update([loss], [len(y)], y, out, sample_weight)
        self.counted += 1
        self.checked = True

    def epoch_logs(self, losses: list, sizes: list, y, out, sample_weight) -> dict:
        """The epoch's logs as Keras's fit reports them: the loss tracker's mean and each
        compiled metric's result. losses/sizes: each step's loss and batch size; y, out,
        sample_weight: the epoch's labels, outputs and weights (None where per_batch, whose
        steps were counted as they ran)."""
        losses, sizes = losses[self.counted:], sizes[self.counted:]
        if not self.per_batch and losses:
            self._update(losses, sizes, y, out, sample_weight)
        return self._results()

    def should_validate(self, epoch: int) -> bool:
        return self.model._should_eval(epoch, self.validation_freq)

    def before_validation(self) -> None:
        """Keras's evaluate() inside fit begins: the test hooks, the metrics reset (before the
        validation losses, which count in the compiled loss's per-output trackers)."""
        self.callbacks.on_test_begin()
        self.model.reset_metrics()

    def validation_logs(self, losses: list, sizes: list, y, out, sample_weight) -> dict:
        """Keras's evaluate() inside fit ends: the metrics counted over the validation data
        (after before_validation), the test hooks' end; keys prefixed val_."""
        self._update(losses, sizes, y, out, sample_weight)
        logs = self._results()
        self.callbacks.on_test_end(logs)
        return {f"val_{k}": v for k, v in logs.items()}

    def on_epoch_end(self, epoch: int, logs: dict) -> None:
        self.logs = dict(logs)
        self.to_keras()
        self.callbacks.on_epoch_end(epoch, self.logs)
        self.from_keras()

    def on_train_end(self) -> None:
        self.to_keras()
        self.callbacks.on_train_end(self.logs)
        self.from_keras()

    @property
    def history(self):
        return self.model.history

    # ---- Keras's metric objects, fed the port's outputs ------------------------------------
    def _update(self, losses: list, sizes: list, y, out, sample_weight) -> None:
        """Keras's loss tracker given each step's loss (0-d tensors) weighted by its batch size,
        as Keras's train_step gives it one step at a time; the compiled metrics the outputs."""
        model = self.model
        losses = torch.stack([v.detach().float().reshape(()) for v in losses]).cpu()
        model._loss_tracker.update_state(losses, sample_weight=torch.tensor(sizes,
                                                                            dtype=torch.float32))
        if model._compile_metrics is not None and y is not None:
            if self.packing is not None:  # several outputs: in Keras's structures
                y, out = self.packing.labels(y), self.packing.outputs(out)
            model._compile_metrics.update_state(y, out, sample_weight=sample_weight)

    def _results(self) -> dict:
        logs = {}
        for metric in self.model.metrics:
            result = metric.result()
            logs.update(result if isinstance(result, dict) else {metric.name: result})
        return {k: float(np.asarray(v.detach().cpu() if hasattr(v, "detach") else v))
                for k, v in logs.items()}


# Where Keras keeps each optimizer's slots (keras/src/optimizers/*.py, build()), by the names
# scen.keras_exact.optimizers gives them; each list is aligned with the variables it was built on.
KERAS_SLOTS = {
    "Adam": {"m": "_momentums", "v": "_velocities", "v_hat": "_velocity_hats"},
    "AdamW": {"m": "_momentums", "v": "_velocities", "v_hat": "_velocity_hats"},
    "SGD": {"momentum": "momentums"},
    "RMSprop": {"velocity": "_velocities", "momentum": "_momentums",
                "average_gradient": "_average_gradients"},
    "Adagrad": {"accumulator": "_accumulators"},
    "Adamax": {"m": "_m", "u": "_u"},
    "Lion": {"m": "_momentums"},
    "Nadam": {"momentum": "_momentums", "velocity": "_velocities"},
    "Adadelta": {"accumulated_grad": "_accumulated_grads",
                 "accumulated_delta_var": "_accumulated_delta_vars"},
}


def state_from_keras(trainer, model) -> None:
    """The Keras optimizer's state into the port's (state_into_keras the other way round): a
    model whose optimizer took steps in a Keras fit, or that load_model brought back, goes on
    from its iterations and slots, as Keras's fit would."""
    import torch

    optimizer = model.optimizer
    trainer.optimizer.iterations = int(np.asarray(optimizer.iterations))
    params = trainer.net.parameters_by_path()
    for name, attribute in KERAS_SLOTS.get(type(optimizer).__name__, {}).items():
        for variable, slot in zip(model.trainable_variables, getattr(optimizer, attribute, None)
                                  or []):
            p = params.get(variable.path)
            if p is not None:
                trainer.optimizer.state[p][name] = torch.as_tensor(
                    np.array(slot.numpy(), dtype="float32"), device=p.device)
    if hasattr(optimizer, "_u_product") and hasattr(trainer.optimizer, "_u_product"):  # Nadam
        trainer.optimizer._u_product.fill_(float(np.asarray(optimizer._u_product)))


def state_into_keras(trainer, model) -> None:
    """The port's optimizer state into the Keras optimizer, as Keras's fit would have left it:
    its iterations and every slot (momentum, velocity, ...) in Keras's layout, so that a later
    Keras fit, model.save() or a look at optimizer.variables sees what it would without scen."""
    optimizer = model.optimizer
    optimizer.iterations.assign(trainer.optimizer.iterations)
    slots = KERAS_SLOTS.get(type(optimizer).__name__, {})
    variables = model.trainable_variables
    if not optimizer.built:
        optimizer.build(variables)
    state = trainer.optimizer.state
    for name, attribute in slots.items():
        values = trainer.net.named_keras_values(lambda p: state.get(p, {}).get(name))
        for variable, slot in zip(variables, getattr(optimizer, attribute, None) or []):
            if variable.path in values:
                slot.assign(values[variable.path])
    if hasattr(optimizer, "_u_product") and hasattr(trainer.optimizer, "_u_product"):  # Nadam
        optimizer._u_product.assign(float(trainer.optimizer._u_product))


class KerasBatches:
    """A dataset's batches as Keras's fit takes them: Keras's own epoch iterator on torch
    (TorchEpochIterator over the data adapter for a generator, a PyDataset, a tf.data.Dataset
    or a torch DataLoader), so that the port trains on the very batches, in the very order,
    that Keras's fit would. Each batch's inputs are standardized as Keras's Functional does
    (scen.fit_data.standardized_inputs) and moved to the port's device as float32.

    model: the Keras model (its first fit builds it from the iterator, as Keras's does);
    shuffle, steps, class_weight ...: fit's arguments for this data."""

    def __init__(self, model, x, y=None, sample_weight=None, batch_size=None, steps=None,
                 shuffle=False, class_weight=None, build=False, evaluation=False):
        from keras.src.backend.torch.trainer import TorchEpochIterator

        self.model = model
        self.evaluation = evaluation  # Keras's evaluate() resets its iterator at every pass
        self.iterator = TorchEpochIterator(x=x, y=y, sample_weight=sample_weight,
                                           batch_size=batch_size, steps_per_epoch=steps,
                                           shuffle=shuffle, class_weight=class_weight,
                                           steps_per_execution=1)
        if build:  # Keras's fit: Trainer._symbolic_build(iterator=...), then reset
            model._symbolic_build(iterator=self.iterator)
            self.iterator.reset()

    @property
    def num_batches(self) -> int | None:
        return self.iterator.num_batches

    def epoch(self, device):
        from keras.src.trainers.data_adapters.data_adapter_utils import (
            unpack_x_y_sample_weight)

        from scen.fit_data import standardized_inputs

        as_port = lambda t: None if t is None else torch.as_tensor(
            np.asarray(t.detach().cpu() if hasattr(t, "detach") else t), dtype=torch.float32,
            device=device)
        if self.evaluation:
            self.iterator.reset()
        for _, _, data in self.iterator:
            x, y, sample_weight = unpack_x_y_sample_weight(data[0])
            xs = standardized_inputs(self.model, x)
            xs = xs if isinstance(xs, (list, tuple)) else [xs]  # a subclassed model's one x
            yield [as_port(a) for a in xs], as_port(y), as_port(sample_weight)


class KerasCompiledLoss:
    """A loss the port has no Keras-exact copy of (the script's own function or Loss class),
    computed by the model's own compiled loss (Keras's CompileLoss: its reduction, its sample
    weights) on the port's torch tensors. On Keras's torch backend its ops are torch's, so
    autograd differentiates it as Keras's fit does. Called as the port's losses are:
    (y_true, y_pred, logits, sample_weight) -> a 0-d float32 tensor."""

    def __init__(self, model, packing: "PackedOutputs | None" = None):
        self.model = model
        self.packing = packing  # several outputs: y_true and y_pred come packed

    def __call__(self, y_true, y_pred, logits=None, sample_weight=None):
        if self.packing is not None:  # logits: one per output, or None
            y_true = self.packing.labels(y_true)
            y_pred = self.packing.outputs(y_pred, logits)
        return self.model._compile_loss(y_true, y_pred, sample_weight)

    def __repr__(self) -> str:
        return f"KerasCompiledLoss({self.model.loss!r})"


class PackedOutputs:
    """A model of several outputs on the port: each batch's labels, and the outputs, packed
    side by side into one (rows, columns) float32 tensor, so that the Trainer's batches,
    epochs, validation split and output stacking handle them as one output's. Keras's compiled
    loss and metrics get them back in the structures Keras's fit gives them: the script's own
    y (a list or a dict by output name) and the model's output structure (`_outputs_struct`),
    each output carrying its logits as Keras's activations leave them (`_keras_logits`).

    model: a functional model of several outputs; y: fit's labels, one array per output."""

    def __init__(self, model, y):
        import keras

        self.tree = keras.tree
        self.labels_structure = y
        self.label_shapes = [np.shape(a)[1:] for a in keras.tree.flatten(y)]
        self.outputs_structure = model._outputs_struct
        self.output_shapes = [tuple(t.shape[1:]) for t in model.outputs]

    def pack_labels(self, y) -> np.ndarray:
        """fit's labels (the structure it was given) as (rows, columns) float32."""
        parts = [np.asarray(a, dtype="float32") for a in self.tree.flatten(y)]
        return np.concatenate([a.reshape(len(a), -1) for a in parts], axis=1)

    def pack_outputs(self, outputs: list) -> torch.Tensor:
        return torch.cat([o.reshape(len(o), -1) for o in outputs], dim=1)

    def _unpack(self, packed, shapes, structure):
        sizes = [int(np.prod(s)) for s in shapes]
        parts = torch.split(packed, sizes, dim=1)
        return self.tree.pack_sequence_as(
            structure, [p.reshape(len(p), *s) for p, s in zip(parts, shapes)])

    def labels(self, packed):
        return self._unpack(packed, self.label_shapes, self.labels_structure)

    def outputs(self, packed, logits=None):
        flat = self.tree.flatten(self._unpack(packed, self.output_shapes,
                                              self.outputs_structure))
        for out, lg in zip(flat, logits or [None] * len(flat)):
            if lg is not None:  # Keras's cross-entropies read them (backend/torch/nn.py)
                out._keras_logits = lg
        return self.tree.pack_sequence_as(self.outputs_structure, flat)
