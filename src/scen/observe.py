"""The events of a training run, shared by every backend.

Keras's `fit` reports through callbacks; the native loop reports the same events itself. Both
speak to `Observer`s (the progress bar, the TensorBoard writer, the diagnostics recorder), so an
observer is written once and sees every backend alike.
"""

from __future__ import annotations

import contextlib
import logging
import re
import signal
import sys
import warnings
from dataclasses import asdict, dataclass, field
from typing import Protocol

import numpy as np


@dataclass
class RunInfo:
    scenario: str
    variant: str
    backend: str
    device: str
    precision: str
    policy: str  # the Keras dtype policy (or its native equivalent) that ran
    seed: int
    epochs: int
    steps_per_epoch: int
    run_dir: str
    loss: str = ""  # the compiled loss, by Keras name
    versions: dict = field(default_factory=dict)
    numerics: dict = field(default_factory=dict)  # float32 matmul precision, TF32 (numerics())
    chance: float | None = None  # the majority class's share of the labels, as the
    # diagnosis reads it for the loss (None: not a classification, or labels it cannot take)

    def as_dict(self) -> dict:
        return asdict(self)


class Probe(Protocol):
    """A look inside the model at the end of an epoch."""

    def weights(self) -> dict[str, np.ndarray]:
        """Every trainable weight, by its Keras path (e.g. 'dense/kernel')."""

    def gradients(self) -> dict[str, np.ndarray]:
        """The gradient of the last training batch per weight, unscaled; {} if unknown."""

    def keras_model(self):
        """The Keras model holding the current weights (the native loop copies them back)."""


class Observer:
    """Base class: every hook is optional."""

    def before_training(self, model, data) -> None:
        """The built Keras model (initial weights loaded) and its scen Dataset, before fit."""

    def on_train_begin(self, info: RunInfo) -> None:
        pass

    def on_batch_end(self, batch: int, logs: dict) -> None:
        """Live, within an epoch; `logs` are Keras's running means. Not every backend calls it."""

    def on_epoch_end(self, epoch: int, logs: dict, step_losses: np.ndarray, probe: Probe) -> None:
        """`epoch` counts from 0; `step_losses` is the loss of each step in this epoch."""

    def on_partial_epoch(self, epoch: int, logs: dict, step_losses: np.ndarray,
                         probe: Probe) -> None:
        """The epoch raised before its end: what it got to (the diagnosis looks there for the
        cause: the epoch that went NaN is the one that raised)."""

    def on_train_end(self, status: str, error: str | None) -> None:
        """status: 'completed', 'interrupted' or 'raised' (the backend raised `error`)."""


# An interrupt (Ctrl-C, or SIGTERM where scen's CLI or worker installed the handler) raises
# KeyboardInterrupt wherever Python happens to be, and a few places swallow it (JAX's
# garbage-collector callback, for one). So the handler also leaves a flag, and the observers
# raise the interrupt again at the next batch or epoch end: no interrupt is lost.
_interrupt_pending = False


def _on_interrupt(signum, frame):
    global _interrupt_pending
    _interrupt_pending = True
    if _inside_autograd_tracing() or _inside_import(frame):
        _deliver_again(signum)  # and at the next batch or epoch end, whichever comes first
        return
    raise KeyboardInterrupt


def _inside_import(frame) -> bool:
    """An import is running (Python's importlib frames are on the stack). Keras's callbacks
    package imports JAX where it is installed, and jaxlib's C++ module set-up calls back into
    Python: a KeyboardInterrupt raised in there is a C++ exception that ends the process with
    "terminate called after throwing an instance of 'nanobind::python_error'" (abort, no logs).
    An interrupt that lands in an import waits for it to end (_deliver_again)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def _deliver_again(signum, seconds: float = 0.1) -> None:
    """Send the deferred signal again shortly: the handler raises it the first time it lands
    outside an import or a compilation, so no interrupt waits for a batch end that may never
    come (an interrupt during start-up)."""
    import os
    import threading

    timer = threading.Timer(seconds, os.kill, (os.getpid(), signum))
    timer.daemon = True
    timer.start()


def _inside_autograd_tracing() -> bool:
    """torch.compile traces the backward pass under autograd's anomaly mode
    (torch/_functorch/_aot_autograd/graph_capture_wrappers.py), and an exception raised there
    makes autograd print "Error detected in ... Traceback of forward call that caused the
    error" onto the user's terminal. An interrupt that lands there waits for the compilation
    to end (_deliver_again, or the observers at the next batch or epoch end). scen never
    turns anomaly mode on outside a compilation; a script that does gets its interrupt there
    too."""
    torch = sys.modules.get("torch")
    return torch is not None and torch.is_anomaly_enabled()


def install_interrupt_handlers() -> None:
    """Ctrl-C and SIGTERM both raise KeyboardInterrupt, and are remembered (see above); an
    interrupt swallowed where Python cannot raise it (a gc callback) is not printed as an
    "Exception ignored" traceback, since the flag raises it again."""
    signal.signal(signal.SIGINT, _on_interrupt)
    signal.signal(signal.SIGTERM, _on_interrupt)
    previous = sys.unraisablehook

    def quiet_about_interrupts(unraisable):
        if not issubclass(unraisable.exc_type, KeyboardInterrupt):
            previous(unraisable)

    sys.unraisablehook = quiet_about_interrupts


def die_with_parent(poll_seconds: float = 0.5, grace_seconds: float = 30.0) -> None:
    """For a worker process: when the scen that started it is gone (killed with -9, which no
    handler sees), stop too, as an interrupt would stop it (its logs kept), and for good after
    `grace_seconds`. A daemon thread watches the parent's pid: the worker's own session keeps
    a terminal's Ctrl-C from reaching it, so nothing else would."""
    import os
    import threading
    import time

    parent = os.getppid()

    def watch():
        while os.getppid() == parent:
            time.sleep(poll_seconds)
        os.kill(os.getpid(), signal.SIGTERM)  # install_interrupt_handlers: KeyboardInterrupt
        time.sleep(grace_seconds)
        os._exit(INTERRUPTED_STATUS)

    threading.Thread(target=watch, name="scen-die-with-parent", daemon=True).start()


INTERRUPTED_STATUS = 130  # what a shell reports for a process stopped by Ctrl-C


def interrupt_pending() -> bool:
    return _interrupt_pending


def _raise_if_interrupted() -> None:
    if _interrupt_pending:
        raise KeyboardInterrupt


class Observers(Observer):
    """Fan one event out to many observers, none of which can stop or change the run: an
    observer that raises (a statistic it cannot compute, a histogram of values numpy cannot
    bin) is skipped for that event, and the first such failure of each observer and event is
    kept in `skipped` ("TensorBoardLogger.on_epoch_end: ValueError: ..."), which goes into the
    run's result.json. Interrupts go on as they are."""

    def __init__(self, observers: list[Observer]):
        self.observers = list(observers)
        self.skipped: list[str] = []
        self._failed: set[str] = set()  # "Observer.event" that failed already

    def _each(self, event: str, *args) -> None:
        for o in self.observers:
            try:
                getattr(o, event)(*args)
            except Exception as e:
                from scen.scenario import ScenError

                if isinstance(e, ScenError):  # scen's own refusal, not a failed statistic
                    raise
                where = f"{type(o).__name__}.{event}"
                if where not in self._failed:  # once: an epoch's failure repeats every epoch
                    self._failed.add(where)
                    self.skipped.append(f"{where}: {type(e).__name__}: {error_message(e)}")
                    LOG.info("skipped %s", self.skipped[-1])

    def before_training(self, model, data):
        self._each("before_training", model, data)

    def on_train_begin(self, info):
        self._each("on_train_begin", info)

    def on_batch_end(self, batch, logs):
        self._each("on_batch_end", batch, logs)
        _raise_if_interrupted()

    def on_epoch_end(self, epoch, logs, step_losses, probe):
        self._each("on_epoch_end", epoch, logs, step_losses, probe)
        _raise_if_interrupted()

    def on_partial_epoch(self, epoch, logs, step_losses, probe):
        self._each("on_partial_epoch", epoch, logs, step_losses, probe)

    def report_partial_epoch(self, epoch: int, read) -> None:
        """Training raised inside `epoch`: on_partial_epoch with how far it got. read() gives
        (learning rate, the epoch's step losses so far, a Probe); the loss logged is their
        mean. Called while an exception unwinds, on a model that may be broken: never raises."""
        try:
            learning_rate, step_losses, probe = read()
            steps = np.asarray(step_losses, dtype=float)
            logs = {"learning_rate": float(learning_rate)}
            if steps.size:
                logs["loss"] = float(np.mean(steps))
            self.on_partial_epoch(epoch, logs, steps, probe)
        except Exception:
            pass

    def on_train_end(self, status, error):
        self._each("on_train_end", status, error)


# scen's own failures (an observer, a check or a report step it skipped) go to this logger:
# into the run's record always, onto stderr only with --verbose 2 (show_own_failures).
LOG = logging.getLogger("scen")


def show_own_failures(verbose: int) -> None:
    """With --verbose 2, print what scen skipped ("scen: skipped ...") on stderr, in this
    process and in a worker alike; below that, never (a run's setting replaces the last
    one's, in a process that makes several runs)."""
    LOG.propagate = False  # the script's own logging setup never prints scen's lines
    for handler in [h for h in LOG.handlers if isinstance(h, _ToStderr)]:
        LOG.removeHandler(handler)
    if verbose >= 2:
        handler = _ToStderr()
        handler.setFormatter(logging.Formatter("scen: %(message)s"))
        LOG.addHandler(handler)
        LOG.setLevel(logging.INFO)


class _ToStderr(logging.StreamHandler):
    """Whatever sys.stderr is when a line is written (a test's capture, a redirect made
    after scen started), not the one there when the handler was made."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):
        pass


@contextlib.contextmanager
def warnings_hidden():
    """Hide the warnings that scen's own look at the model raises (Keras on input structure,
    numpy on a sample), and leave the script's warnings exactly as python shows them.

    warnings.catch_warnings() cannot do that: entering and leaving it bumps the filters'
    version, which clears every module's record of the warnings already shown once, so
    the script's next "default" warning prints again (Python's Lib/warnings.py,
    _filters_mutated). An "ignore" filter put at the head of warnings.filters, and taken out
    after, leaves that record as it was; what is ignored is never recorded."""
    hide = ("ignore", None, Warning, None, 0)
    warnings.filters.insert(0, hide)
    try:
        yield
    finally:
        for i, f in enumerate(warnings.filters):
            if f is hide:
                del warnings.filters[i]
                break


def error_message(e: BaseException) -> str:
    """An error's message on one line: its first line, or, where Keras wraps a layer's error
    ("Exception encountered when calling Embedding.call()."), the wrapped message with the
    layer after it; without the terminal colours Keras adds."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", str(e))
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    wrapper = "Exception encountered when calling "
    if len(lines) > 1 and lines[0].startswith(wrapper):
        return f"{lines[1]} ({lines[0].removeprefix(wrapper).rstrip('.')})"
    return lines[0] if lines else ""
