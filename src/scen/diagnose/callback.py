"""`DiagnoseCallback`: Keras's callback events into a `Diagnostics` (observer.py), for users'
own models, on any backend:

    from scen.diagnose import DiagnoseCallback
    model.fit(x, y, epochs=20, callbacks=[diag := DiagnoseCallback(x, y)])
    print(diag.report())

This module imports Keras at the top; scen.diagnose imports it only when DiagnoseCallback is
first asked for, so that `import scen.diagnose` stays cheap.
"""

from __future__ import annotations

import sys
from types import SimpleNamespace

import keras
import numpy as np

from scen.diagnose.backend import recomputed_gradients, to_numpy
from scen.diagnose.catalogue import Finding
from scen.diagnose.model import SAMPLE_SIZE, n_rows, take_rows
from scen.diagnose.observer import Diagnostics, safely
from scen.diagnose.report import format_report
from scen.observe import RunInfo, error_message

GRAD_SAMPLE = 64  # TF/JAX keep no gradients: they are recomputed on this many samples (a
# batch's worth: enough for the gradient's direction and zeros, cheap enough per epoch).


class _Probe:
    """What Diagnostics.on_epoch_end reads from the model (scen.observe's probe interface)."""

    def __init__(self, model, x, y, loss_scale: float = 1.0):
        self.model, self.x, self.y, self.loss_scale = model, x, y, loss_scale

    def keras_model(self):
        return self.model

    def weights(self) -> dict[str, np.ndarray]:
        return {v.path: to_numpy(v) for v in self.model.trainable_weights}

    def gradients(self) -> dict[str, np.ndarray]:
        if keras.backend.backend() == "torch":  # Keras's torch trainer leaves them on .grad
            out = {}
            for v in self.model.trainable_weights:
                g = getattr(v.value, "grad", None)
                if g is not None:
                    out[v.path] = g.detach().float().cpu().numpy() / self.loss_scale
            return out
        batch = slice(0, min(GRAD_SAMPLE, n_rows(self.x)))
        return safely(lambda: recomputed_gradients(self.model, take_rows(self.x, batch),
                                                   take_rows(self.y, batch)), {})


class DiagnoseCallback(keras.callbacks.Callback):
    """Usage: model.fit(..., callbacks=[diag := DiagnoseCallback(x, y)]); print(diag.report()).
    If fit raises, call diag.explain(exception) to have the error interpreted.
    sample_weight: (rows,) the weights fit trains with (its sample_weight=, or class_weight
    per row); validation_data: fit's (x_val, y_val); a callback cannot see either otherwise."""

    def __init__(self, x, y, sample_size: int = SAMPLE_SIZE, verbose: bool = True,
                 sample_weight=None, validation_data=None):
        super().__init__()
        self._data = (x, y, sample_size, sample_weight)
        # What before_training reads of a run's data (scen.scenario.Dataset's fields).
        self._dataset = SimpleNamespace(x=x, y=y, sample_weight=sample_weight,
                                        validation=validation_data)
        self.diagnostics = Diagnostics(*self._data)
        self.verbose = verbose
        self._steps: list[float] = []
        self._scale = 1.0

    def on_train_begin(self, logs=None):
        if self.diagnostics.records or self.diagnostics.status != "running":
            self.diagnostics = Diagnostics(*self._data)  # a second fit: a fresh diagnosis
        errors = [f for f in safely(lambda: self.diagnostics.before_training(
            self.model, self._dataset)) if f.severity == "error"]
        if errors and self.verbose:
            print(f"scen.diagnose: found before training, {len(errors)} error(s):\n"
                  + format_report(errors).split("\n", 1)[1], file=sys.stderr)
        self.diagnostics.on_train_begin(RunInfo(
            scenario="(user model)", variant="", backend=keras.backend.backend(), device="",
            precision="", policy=keras.config.dtype_policy().name, seed=-1,
            epochs=(self.params or {}).get("epochs", 0),
            steps_per_epoch=(self.params or {}).get("steps") or 0, run_dir=""))

    def on_epoch_begin(self, epoch, logs=None):
        self._steps, self._mean, self._epoch = [], 0.0, epoch

    def on_train_batch_begin(self, batch, logs=None):
        scale = getattr(self.model.optimizer, "dynamic_scale", None)
        if scale is not None:
            self._scale = float(to_numpy(scale))

    def on_train_batch_end(self, batch, logs=None):
        # Keras logs the running mean of the epoch's loss; the step's own loss is the change.
        mean = float((logs or {}).get("loss", np.nan))
        k = len(self._steps)
        self._steps.append((k + 1) * mean - k * self._mean)
        self._mean = mean

    def on_epoch_end(self, epoch, logs=None):
        logs = {k: float(v) for k, v in (logs or {}).items()}
        logs.setdefault("learning_rate", float(to_numpy(self.model.optimizer.learning_rate)))
        probe = _Probe(self.model, self.diagnostics.x, self.diagnostics.y, self._scale)
        self.diagnostics.on_epoch_end(epoch, logs, np.asarray(self._steps), probe)

    def on_train_end(self, logs=None):
        self.diagnostics.on_train_end("completed", None)

    def explain(self, error: BaseException, model=None) -> list[Finding]:
        """fit raised: interpret the error, with what preflight finds, and return findings.
        Pass the model if fit raised before training began (Keras checks shapes first)."""
        model = model if model is not None else getattr(self, "_model", None)
        if self.diagnostics.preflight_findings is None and model is not None:
            safely(lambda: self.diagnostics.before_training(model))
        epoch = getattr(self, "_epoch", None)
        if epoch is not None and model is not None:  # the epoch that raised: as far as it got
            logs = {"learning_rate": float(to_numpy(model.optimizer.learning_rate))}
            if self._steps:
                logs["loss"] = self._mean
            probe = _Probe(model, self.diagnostics.x, self.diagnostics.y, self._scale)
            safely(lambda: self.diagnostics.on_partial_epoch(epoch, logs,
                                                             np.asarray(self._steps), probe))
        self.diagnostics.on_train_end("raised", f"{type(error).__name__}: {error_message(error)}")
        return self.findings()

    def findings(self) -> list[Finding]:
        return self.diagnostics.findings()

    def report(self) -> str:
        return self.diagnostics.report()

    def to_json(self, path: str) -> None:
        self.diagnostics.to_json(path)
