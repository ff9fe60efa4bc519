"""`Diagnostics`, the observer that ties the rest together: preflight before training
(preflight.py), an `EpochRecord` per epoch (trace.py: logs, step losses, weight and gradient
statistics, activation statistics on a small sample), the detectors when training ends
(detectors.py), and the report (report.py).

It works from scen.observe's events (scen's runner calls them) or from Keras's callback
events (callback.py adapts them). It never raises into the training it watches (`safely`).
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import asdict

from scen.diagnose.activations import ActivationExtractor
from scen.diagnose.backend import to_numpy
from scen.diagnose.catalogue import Finding
from scen.diagnose.detectors import run_detectors
from scen.diagnose.model import SAMPLE_SIZE, has_graph, n_rows, sample
from scen.diagnose.predictions import predict_sample, prediction_stats
from scen.diagnose.data import (check_batches_overlap, check_class_order,
                                check_same_array_twice, check_sample_weights)
from scen.diagnose.preflight import check_monitors, preflight
from scen.diagnose.report import format_report, sorted_findings
from scen.diagnose.trace import (EpochRecord, Facts, Flat, Trace, all_grad_stats, input_shift,
                                 near_copies,
                                 all_weight_stats, facts_for, initial_loss, step_stats,
                                 weight_per_class)
from scen.observe import Observer, RunInfo, error_message

ACTIVATIONS_EVERY_EPOCH_UP_TO = 30  # longer runs record activations (and, on TF/JAX, recompute
# gradients) ~12 times (first, last, every tenth of the run): a forward and backward pass per
# epoch would dominate a run of tiny epochs (measured: 2x the run time on JAX, 400 samples).


def wants_activations(epoch: int, total: int | None) -> bool:
    """Whether epoch (0-based) of `total` records activations (and, on TF/JAX, gradients)."""
    if not total or total <= ACTIVATIONS_EVERY_EPOCH_UP_TO:
        return True
    return epoch in (0, total - 1) or epoch % math.ceil(total / 10) == 0


SKIPPED: list[str] = []  # what safely() skipped, each once: diagnosis.json's "skipped"


def safely(fn, default=None):
    """Diagnostics must never break the training they watch: fn(), or `default` ([] if None)
    where it raises. The failure is scen's, not the user's: it goes into diagnosis.json and
    the "scen.diagnose" logger (shown with --verbose 2), never as a stray line on the
    user's terminal."""
    try:
        return fn()
    except Exception as e:  # pragma: no cover - reported, not raised
        line = f"skipped a check ({type(e).__name__}: {error_message(e)})"
        if line not in SKIPPED:
            SKIPPED.append(line)
            logging.getLogger("scen.diagnose").info(line)  # shown by show_own_failures
        return [] if default is None else default


class Diagnostics(Observer):
    """Records a run epoch by epoch, then runs the detectors over the trace."""

    def __init__(self, x_sample=None, y_sample=None, sample_size: int = SAMPLE_SIZE,
                 sample_weight=None):
        """Without a sample, the run's own training data is sampled in before_training.
        sample_weight: (rows,) the weights fit trains with (its sample_weight, or class_weight
        per row), aligned with x_sample: the loss before training is then weighted as the
        epochs' losses are, so that the two compare."""
        self.sample_size = sample_size
        self._take_sample(x_sample, y_sample, sample_weight)
        self.info: RunInfo | None = None
        self.model = None
        self.facts = Facts()
        self.records: list[EpochRecord] = []
        self.preflight_findings: list[Finding] | None = None
        self.run_findings: list[Finding] = []
        self.status, self.error = "running", None
        self._previous: Flat | None = None  # the weights at the last epoch's end
        self._extractor = None
        self._finished = False

    # -- events --

    def _take_sample(self, x, y, sample_weight=None) -> None:
        try:
            self.x, self.y = sample(x, y, self.sample_size) if y is not None else (None, None)
        except (IndexError, ValueError, TypeError):  # x and y of different lengths, ragged:
            self.x = self.y = None  # Keras's fit says what is wrong with them
        if self.x is not None and n_rows(self.x) == 0:  # empty arrays: nothing to look at
            self.x = self.y = None
        self._weights = (sample(sample_weight, None, self.sample_size)[0]
                         if sample_weight is not None and y is not None else None)
        self._all_weights = sample_weight if y is not None else None
        self._labels = y  # class shares and the constant-prediction loss use them all
        self._inputs = x  # and the token ids an Embedding takes

    def before_training(self, model, data=None) -> list[Finding]:
        """Preflight on the untrained model, and remember its weights to measure change.
        `data` (a scen Dataset) supplies the sample when none was given."""
        if self.y is None and data is not None:
            self._take_sample(data.x, data.y, data.sample_weight)
        self._attach(model)
        validation = getattr(data, "validation", None)
        if validation is not None and self.x is not None:  # validation_data=(x_val, y_val)
            self.facts.validation_shift = safely(lambda: input_shift(self.x, validation[0]),
                                                 None)
            self.facts.validation_copies = safely(
                lambda: near_copies(self._inputs, validation[0]), None)
        self.preflight_findings = preflight(model, self.x, self.y, labels=self._labels,
                                            inputs=self._inputs)
        self._add(lambda: check_sample_weights(self._all_weights))
        try:  # labels the loss cannot take raise here: preflight has said why
            self.facts.initial_loss = initial_loss(model, self.x, self.y, self._weights)
        except Exception:
            self.facts.initial_loss = None
        self._previous = Flat({v.path: to_numpy(v) for v in model.trainable_weights})
        return self.preflight_findings

    def check_callbacks(self, callbacks) -> None:
        """The fit's own callbacks, where the caller sees them (a script's fit): preflight's
        check that each monitors its metric the right way round."""
        self._add(lambda: check_monitors(callbacks))

    def check_batches(self, first, second) -> None:
        """A dataset's batches 0 and 1 (scen.fit_data.first_batch, second_batch), where the
        caller has both: batches that repeat each other's rows."""
        if first is not None and second is not None:
            self._add(lambda: check_batches_overlap(first, second))

    def _add(self, check) -> None:
        """A check's findings (none where it fails: safely) joined to the preflight's. Only
        where it found something: None says the preflight has not run yet (on_epoch_end then
        runs it), which an empty list would hide."""
        found = safely(check)
        if found:
            self.preflight_findings = (self.preflight_findings or []) + found

    def check_fit(self, shuffle: bool, validation_split: float = 0.0) -> None:
        """fit's own settings, where the caller sees them: rows sorted by class that fit does
        not shuffle, inputs fed the same array twice, and - for a validation_split, whose
        rows are the last ones of x - validation rows copied in the training rows."""
        self._add(lambda: check_class_order(self._labels, shuffle, validation_split))
        self._add(lambda: check_same_array_twice(self._inputs))
        if validation_split and self.facts.validation_copies is None:
            cut = int(n_rows(self._inputs) * (1.0 - validation_split))
            self.facts.validation_copies = safely(
                lambda: near_copies(self._inputs[:cut], self._inputs[cut:]), None)

    def on_train_begin(self, info: RunInfo) -> None:
        self.info = info

    def on_epoch_end(self, epoch, logs, step_losses, probe) -> None:
        if self.model is None:
            self._attach(probe.keras_model())
        if self.preflight_findings is None:  # lazily: the weights have trained for one epoch
            self.preflight_findings = safely(lambda: preflight(
                self.model, self.x, self.y, when="after epoch 1", labels=self._labels,
                inputs=self._inputs))
        total = self.info.epochs if self.info else None
        sampled = wants_activations(epoch, total)
        weights = probe.weights()
        # torch leaves the last step's gradients on the weights (free to read); TF and JAX
        # recompute them, eagerly, so only on the sampled epochs.
        grads = probe.gradients() if sampled or self.facts.backend == "torch" else {}
        weight_stats, self._previous = all_weight_stats(weights, self._previous)
        record = EpochRecord(
            epoch=epoch, logs={k: float(v) for k, v in logs.items()},
            steps=step_stats(step_losses), weights=weight_stats, grads=all_grad_stats(grads))
        if sampled:
            self.model = probe.keras_model()  # the native port copies its weights in here
            record.activations = self._activations()
            record.outputs = self._outputs()
        self.records.append(record)

    def on_partial_epoch(self, epoch, logs, step_losses, probe) -> None:
        """The epoch raised before it ended: record it as far as it got (its weights, and
        what the model now predicts), so that the detectors see the epoch that went wrong."""
        if self.records and self.records[-1].epoch >= epoch:
            return
        self.on_epoch_end(epoch, logs, step_losses, probe)
        self.records[-1].partial = True
        if self.records[-1].outputs is None:
            self.records[-1].outputs = self._outputs()

    def on_train_end(self, status: str, error: str | None) -> None:
        self.status, self.error = status, error
        if self.records and self.records[-1].activations is None and self.model is not None:
            self.records[-1].activations = self._activations()  # stopped early: see the end
            self.records[-1].outputs = self._outputs()
        self.run_findings = run_detectors(self.trace(), self.preflight_findings or [])
        self._finished = True

    # -- results --

    def trace(self) -> Trace:
        return Trace(self.facts, self.records, self.status, self.error,
                     self.info.epochs if self.info else None)

    def findings(self) -> list[Finding]:
        if not self._finished and self.records:
            self.run_findings = run_detectors(self.trace(), self.preflight_findings or [])
        return sorted_findings((self.preflight_findings or []) + self.run_findings)

    def report(self) -> str:
        return format_report(self.findings(), len(self.records))

    def to_json(self, path: str) -> None:
        from scen.files import write_atomically

        write_atomically(path, json.dumps(
            dict(findings=[x.as_dict() for x in self.findings()], facts=asdict(self.facts),
                 status=self.status, error=self.error,
                 records=[asdict(r) for r in self.records], skipped=SKIPPED),
            indent=1, default=float))

    # -- helpers --

    def _attach(self, model) -> None:
        self.model = model
        self.facts = safely(lambda: facts_for(model, self._labels, self.x), Facts())
        if self._weights is not None and self.y is not None:  # fit weighs samples unevenly
            self.facts.class_weights = weight_per_class(self.y, self._weights)

    def _outputs(self) -> dict | None:
        """prediction_stats of the model on the sample (single-output models)."""
        outputs = getattr(self.model, "outputs", None) or ()
        if self.model is None or self.x is None or len(outputs) > 1:
            return None  # several outputs: the prediction checks read one
        return safely(lambda: prediction_stats(predict_sample(self.model, self.x), self.y,
                                               self.facts), None)

    def _activations(self) -> dict | None:
        if self._extractor is None:
            if not has_graph(self.model, self.x):
                return None
            self._extractor = safely(lambda: ActivationExtractor(self.model), False)
        return safely(lambda: self._extractor(self.x), None) if self._extractor else None
