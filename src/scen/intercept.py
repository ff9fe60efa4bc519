"""Every `Model.fit` a user's script makes, run as scen runs a scenario's fit.

`FitInterceptor` patches `keras.Model.fit` for the duration of a `with` block. Each call gets a
run directory, scen's observers (Diagnostics, TensorBoardLogger, the progress bar) through
scen.keras_run's KerasHooks, initial and final weights, result.json and diagnosis.json, then
goes on to the engine that trains it: the native port (scen.script_native) where it takes the
fit and the backend is auto or torch, else Keras's own fit with the script's arguments, plus
that one callback (and, where TensorFlow is not installed, scen.keras.TensorBoard in place of a
keras.callbacks.TensorBoard, which would fail).

Data: arrays (NumPy, or a backend's tensors) are sampled for the diagnosis as a scenario's are.
Anything else (a generator, a PyDataset, a tf.data.Dataset, a torch DataLoader) gives its first
batch as the sample; a generator's first batch is handed back to fit before the rest, so the
script's training sees every batch it would have seen.
"""

from __future__ import annotations

import functools
import inspect
import os
import time
import traceback
from contextlib import nullcontext

from scen.diagnose import Diagnostics
from scen.fit_data import data_digest, fit_data, fit_weights, load_by_structure
from scen.keras_run import (KerasProbe, cpu_threads_for, hooks_class, largest_change,
                            loss_name, numerics, precision_of, save_weights, start_from,
                            versions)
from scen.observe import LOG, Observers, RunInfo, error_message
from scen.runner import RunResult, RunSpec, new_run_dir, record_outcome
from scen.scenario import Dataset, ScenError
from scen.tensorboard import TensorBoardLogger


class FitInterceptor:
    """`with FitInterceptor(spec, keras) as fits:` every Model.fit inside is one scen run.

    `spec` is a scen.script.ScriptSpec (name, backend, device, precision, seed, logdir, verbose,
    compare, initial_weights). After the block, `fits.runs` holds one RunResult per fit, in
    order, and `fits.raised` the exception a fit raised (it still propagates into the script,
    as it would without scen), or None. With spec.compare, every fit must take NumPy arrays
    (ScenError otherwise), runs in data order, and `fits.data` holds each fit's data_digest.
    """

    def __init__(self, spec, keras):
        self.spec, self.keras = spec, keras
        self.runs: list[RunResult] = []
        self.raised: BaseException | None = None
        self.data: list[str] = []

    def __enter__(self) -> FitInterceptor:
        model_class = self.keras.Model
        self._own = model_class.__dict__.get("fit")  # None: fit is inherited from the trainer
        self.original = model_class.fit
        self.signature = inspect.signature(self.original)

        @functools.wraps(self.original)
        def fit(model, *args, **kwargs):
            return self.fit(model, args, kwargs)

        model_class.fit = fit
        return self

    def __exit__(self, *exc) -> None:
        if self._own is None:
            del self.keras.Model.fit
        else:
            self.keras.Model.fit = self._own

    def fit(self, model, args: tuple, kwargs: dict):
        """One intercepted call: Keras's fit with scen's callback added and verbose=0 (scen's
        progress bar stands in for Keras's), and shuffle=False to compare."""
        bound = self.signature.bind(model, *args, **kwargs)
        bound.apply_defaults()
        a = bound.arguments
        asked_shuffle = bool(a["shuffle"])  # what the diagnosis judges, whatever compare does
        if self.spec.compare:
            a["shuffle"] = False  # each backend would shuffle arrays with its own random numbers
        number = len(self.runs) + 1
        fix = getattr(self.spec, "fix", "")
        if fix and getattr(self.spec, "fix_fit", 0) in (0, number):
            from scen.script_fix import apply_fix

            apply_fix(fix, model, a, self.keras)  # FixNotApplicable (a ScenError) says why not
        prepared = fit_data(a)  # a generator's first batch, taken here, is handed back first
        if self.spec.compare:  # ScenError where no batch can be looked at (tf.data)
            self.data.append(data_digest(a, prepared[1]))
        a["x"] = prepared[0]
        backend, engine = self.engine_for(number, model, a, prepared[1])
        run = FitRun(self.spec, number, model, a, self.keras, backend, engine, prepared)
        run.asked_shuffle = asked_shuffle
        a["x"] = run.x
        a["callbacks"] = [*map(self.runnable, a.get("callbacks") or []), run.hooks]
        a["verbose"] = 0
        try:
            if backend == "torch":  # the native port (scen.script_native)
                from scen.script_native import fit_natively

                history = fit_natively(run, model, a, self.keras)
            else:
                with run.threads():
                    history = self.original(*bound.args, **bound.kwargs)
        except KeyboardInterrupt:
            self.runs.append(run.finish("interrupted"))
            raise
        except ScenError:  # scen's own refusal (compare's weights): not the script's failure
            run.discard()
            raise
        except Exception as e:
            self.runs.append(run.finish("raised", e))
            self.raised = e
            raise
        self.runs.append(run.finish("completed"))
        return history


    def engine_for(self, number: int, model, a: dict, sample: Dataset) -> tuple[str, str]:
        """(backend, engine line) of fit `number`: the native port wherever it takes the fit
        (--backend auto or torch), else Keras's fit on the script's backend, saying why."""
        from scen.runner import ENGINES
        from scen.script_native import refusal

        if self.spec.backend not in ("auto", "torch"):
            note = getattr(self.spec, "backend_note", "")
            return self.spec.backend, ENGINES[self.spec.backend] + (f" ({note})" if note else "")
        why = refusal(model, a, list(a.get("callbacks") or []), self.spec.precision, sample)
        if why is None:
            return "torch", ENGINES["torch"]
        if self.spec.backend == "torch":
            raise ScenError(f"fit {number}: the native port cannot take it: {why}")
        return "keras-torch", f"{ENGINES['keras-torch']}: the native port cannot take fit " \
                              f"{number} ({why})"

    def runnable(self, callback):
        """Keras's own TensorBoard callback needs TensorFlow: where it is not installed, scen's
        drop-in (scen.keras.TensorBoard, same arguments and tags) takes its place."""
        if type(callback) is not self.keras.callbacks.TensorBoard or tensorflow_installed():
            return callback
        from scen.keras import TensorBoard

        c = callback
        return TensorBoard(c.log_dir, c.histogram_freq, c.write_graph, c.write_images,
                           c.write_steps_per_second, c.update_freq, 0, c.embeddings_freq,
                           c.embeddings_metadata)


def tensorflow_installed() -> bool:
    import importlib.util

    return importlib.util.find_spec("tensorflow") is not None


class FitRun:
    """The scen side of one fit: its run directory, observers and result."""

    def __init__(self, spec, number: int, model, args: dict, keras, backend: str, engine: str,
                 prepared: tuple):
        self.keras, self.model, self.number, self.engine = keras, model, number, engine
        # A script that sets a mixed policy itself runs mixed: the run is named and logged so.
        self.spec = RunSpec(spec.name, f"fit{number}", backend, spec.device,
                            precision_of(model, spec.precision),
                            seed=spec.seed, logdir=spec.logdir, verbose=spec.verbose,
                            shuffle=not spec.compare,
                            initial_weights=spec.initial_weights if number == 1 else None)
        self.run_dir = new_run_dir(self.spec)
        self.x, self.data, self.fit, self.data_note = prepared  # fit_data(args)
        self.callbacks = list(args.get("callbacks") or [])
        self.asked_shuffle = self.fit.shuffle  # the script's own shuffle (compare turns it off)
        self.diagnosis = Diagnostics(self.data.x, self.data.y,
                                     sample_weight=fit_weights(args, self.data.y)) \
            if self.data.y is not None else Diagnostics()
        from scen.progress import progress

        self.observers = Observers([self.diagnosis, TensorBoardLogger(self.run_dir),
                                    *progress(spec.verbose)])
        self.hooks = script_hooks_class(keras)(self, self.observers, model, self.data, self.fit)
        self.info: RunInfo | None = None
        self.initial: dict = {}
        self.started = time.perf_counter()

    def threads(self):
        """One torch thread for a small model on the CPU, as a scenario's fit (keras_run)."""
        if not self.model.built or self.spec.device != "cpu":
            return nullcontext()
        return cpu_threads_for(self.model.count_params(), self.fit.batch_size, self.spec.device)

    def begin(self, params: dict | None) -> None:
        """fit has built the model and is about to train (Keras's on_train_begin)."""
        params = params or {}
        if self.spec.initial_weights:
            load_by_structure(self.model, self.spec.initial_weights)
        start_from(self.model, None, self.run_dir)  # initial_weights.npz: what compare loads
        self.initial = KerasProbe(self.model, self.data, self.fit).weights()
        data = self.data if self.data.y is not None else None
        self._safe(lambda: self.observers.before_training(self.model, data), None)
        self.diagnosis.check_callbacks(self.callbacks)
        self.diagnosis.check_fit(self.asked_shuffle, self.fit.validation_split)
        self.diagnosis.check_batches(self.data.x, self.data.second)
        self.info = RunInfo(
            scenario=self.spec.scenario, variant=self.spec.variant, backend=self.spec.backend,
            device=self.spec.device, precision=self.spec.precision,
            policy=self.keras.config.dtype_policy().name, seed=self.spec.seed,
            epochs=params.get("epochs") or self.fit.epochs,
            steps_per_epoch=params.get("steps") or 0, run_dir=self.run_dir,
            loss=self._safe(lambda: loss_name(self.model), ""), versions=versions(self.keras),
            numerics=numerics(), chance=self.diagnosis.facts.chance_accuracy)
        self.observers.on_train_begin(self.info)
        self.started = time.perf_counter()

    def finish(self, status: str, error: Exception | None = None) -> RunResult:
        """Close the run: observers told, weights and result written; the RunResult."""
        seconds = time.perf_counter() - self.started
        message = None
        if error is not None:
            message = f"{type(error).__name__}: {error_message(error)}"
            with open(os.path.join(self.run_dir, "error.txt"), "w") as f:
                f.write("".join(traceback.format_exception(error)))
            self.hooks.report_partial_epoch()  # the epoch that raised, as far as it got
        if self.info is None:  # fit raised before training began (Keras checks data first)
            self._safe(lambda: self.begin({}), None)
        if self.info is None:  # not even that: a run of nothing, still with its diagnosis
            self.info = RunInfo(self.spec.scenario, self.spec.variant, self.spec.backend,
                                self.spec.device, self.spec.precision, "", self.spec.seed,
                                self.fit.epochs, 0, self.run_dir)
            self.observers.on_train_begin(self.info)
        final = self._safe(lambda: KerasProbe(self.model, self.data, self.fit).weights(), {})
        if final:
            save_weights(self.model.get_weights(), os.path.join(self.run_dir, "final_weights.npz"))
        self.observers.on_train_end(status, message)
        self.hooks.on_train_end()  # Keras skips it when fit raises: undo the loss recording
        result = RunResult(spec=self.spec, run_dir=self.run_dir, status=status, error=message,
                           info=self.info.as_dict(), history=self.hooks.history,
                           step_losses=self.hooks.step_losses, seconds=seconds,
                           weight_change=largest_change(self.initial, final) if final else 0.0,
                           data_note=self.data_note, engine=self.engine,
                           skipped=self.observers.skipped)
        record_outcome(result, self.diagnosis)
        return result

    def _safe(self, fn, default):
        """Reporting never breaks the script's training: fn(), or `default`, with the failure
        noted in the run's record (result.json's "skipped"), not on the user's terminal."""
        try:
            return fn()
        except ScenError:
            raise
        except Exception as e:
            self.observers.skipped.append(f"report: {type(e).__name__}: {error_message(e)}")
            LOG.info("skipped a step of the report (%s)", self.observers.skipped[-1])
            return default

    def discard(self) -> None:
        import shutil

        self.hooks.on_train_end()
        shutil.rmtree(self.run_dir, ignore_errors=True)


@functools.cache
def script_hooks_class(keras):
    """KerasHooks that also start the scen run when Keras's fit starts training."""

    class ScriptHooks(hooks_class(keras)):
        def __init__(self, fit_run: FitRun, observers, model, data, fit):
            super().__init__(observers, model, data, fit)
            self.fit_run = fit_run

        def on_train_begin(self, logs=None):
            self.fit_run.begin(self.params)
            super().on_train_begin(logs)

    return ScriptHooks
