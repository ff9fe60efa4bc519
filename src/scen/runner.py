"""Run one scenario variant on one backend and return what happened.

`run(RunSpec(...))` is the library's front door; the CLI is a thin layer over it. (Why ~440
lines: the run's checks, its directory and its process handling - workers, signals, atomic
writes - are one story; each part is a short function.) Keras fixes its
backend at import, so a Keras backend other than the one this process already imported runs in a
subprocess of its own (`python -m scen.worker`), and its result comes back as the same object.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field, replace

from scen import scenario as scenarios
from scen.files import write_atomically
from scen.observe import Observer, Observers, show_own_failures
from scen.scenario import Check, ScenError

# backend name -> the KERAS_BACKEND it needs (the native port builds its model on torch).
# "auto": the native port wherever it takes the model, else Keras's own fit on torch.
BACKENDS = {
    "auto": "torch",
    "keras-torch": "torch",
    "torch": "torch",
    "keras-tensorflow": "tensorflow",
    "keras-jax": "jax",
}
INSTALL_HINT = {
    "tensorflow": 'pip install -c constraints-cpu.txt ".[tensorflow]"',
    "jax": 'pip install -c constraints-cpu.txt ".[jax]"',
}
# TensorFlow's C++ start-up chatter buries the progress bar; Keras imports TF to seed it.
QUIET_TF = {"TF_CPP_MIN_LOG_LEVEL": "3"}
SEMANTICS = ("torch", "jax", "tensorflow")
PRECISIONS = ("fp32", "fp16", "bf16")
DEVICES = ("auto", "cpu", "cuda", "mps")
MAX_SEED = 2**32 - 1  # numpy's RandomState and Keras-on-TensorFlow take seeds in [0, 2**32)
MAX_EPOCHS = 1_000_000  # beyond this a run could not finish in a lifetime of a toy model
MAX_STEPS = 10_000_000


@dataclass
class RunSpec:
    scenario: str
    variant: str = scenarios.AS_POSTED
    backend: str = "auto"
    device: str = "auto"
    precision: str = "fp32"
    epochs: int | None = None  # None: as posted
    steps_per_epoch: int | None = None  # shorter epochs (fit's steps_per_epoch); None: as posted
    seed: int = 0
    logdir: str = "runs"
    verbose: int = 1  # as Keras's fit: 0 silent, 1 progress bars, 2 one line per epoch
    histogram_freq: int | None = None  # epochs between histograms (0: none); None: see tensorboard
    update_freq: int | None = None  # steps per batch_loss point; None: see tensorboard
    shuffle: bool = True  # False: batches in data order, the same on every backend
    semantics: str = "torch"  # the native port's losses: as Keras's torch, jax or tensorflow
    initial_weights: str | None = None  # a run's initial_weights.npz: start every backend alike
    compile: bool | None = None  # the native loop under torch.compile; None: where it pays off

    def check(self) -> scenarios.Scenario:
        """Every bad input becomes one clear ScenError before anything heavy is imported."""
        scenario = scenarios.get(self.scenario)
        scenario.variant(self.variant)
        _one_of("backend", self.backend, list(BACKENDS))
        check_device(self.device)
        _one_of("precision", self.precision, PRECISIONS)
        _one_of("semantics", self.semantics, SEMANTICS)
        native = ("torch", "auto")
        if self.semantics != "torch" and self.backend not in native:
            raise ScenError("--semantics applies to the native backend: add --backend torch")
        if self.compile and self.backend not in native:
            raise ScenError("--compile applies to the native backend: add --backend torch")
        check_verbose(self.verbose)
        if self.histogram_freq is not None and not 0 <= self.histogram_freq <= MAX_EPOCHS:
            raise ScenError(f"--histogram-freq must be 0 (none) or a number of epochs, "
                            f"not {self.histogram_freq}")
        check_count("--update-freq", self.update_freq, MAX_STEPS)
        if self.initial_weights and not os.path.isfile(self.initial_weights):
            raise ScenError(f"no such weights file: {self.initial_weights}")
        check_seed(self.seed)
        check_count("--epochs", self.epochs, MAX_EPOCHS)
        check_count("--steps-per-epoch", self.steps_per_epoch, MAX_STEPS)
        check_writable(self.logdir, "--logdir")
        require_installed(BACKENDS[self.backend])
        return scenario


def check_device(device: str) -> None:
    """auto, cpu, cuda, cuda:N (PyTorch's names for the N-th GPU, N from 0) or mps (Apple's
    GPU): one ScenError for anything else."""
    index = device[5:] if device.startswith("cuda:") else None
    if device not in DEVICES and not (index and index.isdigit()):
        raise ScenError(f"unknown device {device!r}; choose from auto, cpu, cuda, cuda:N (the "
                        "N-th GPU, from 0) or mps")


def is_cuda(device: str) -> bool:
    return device == "cuda" or device.startswith("cuda:")


def is_gpu(device: str) -> bool:
    return is_cuda(device) or device == "mps"


def _one_of(what: str, value: str, choices) -> None:
    if value not in choices:
        raise ScenError(f"unknown {what} {value!r}; choose from {', '.join(choices)}")


def check_verbose(verbose: int) -> None:
    if verbose not in (0, 1, 2):
        raise ScenError(f"--verbose must be 0, 1 or 2 (as Keras's fit), not {verbose}")


def check_seed(seed: int) -> None:
    if not 0 <= seed <= MAX_SEED:
        raise ScenError(f"--seed must be between 0 and {MAX_SEED} (2**32 - 1), not {seed}")


def check_writable(directory: str, option: str) -> None:
    """A directory that exists and is writable, or could be made there (nothing is left)."""
    if not directory.strip():
        raise ScenError(f"{option} is empty: name a directory")
    probe = os.path.abspath(directory)
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    try:  # a permission bit says less than a try (root, /proc, read-only mounts)
        with tempfile.TemporaryFile(dir=probe):
            pass
    except OSError as e:
        raise ScenError(f"{option} {directory!r}: cannot write in {probe} ({e.strerror})") from None


def check_count(option: str, value: int | None, most: int) -> None:
    """None (as posted) or a positive count no larger than `most`."""
    if value is not None and not 0 < value <= most:
        raise ScenError(f"{option} must be between 1 and {most:,}, not {value}")


@dataclass
class RunResult:
    spec: RunSpec
    run_dir: str
    status: str  # completed | interrupted | raised
    error: str | None
    info: dict  # scen.observe.RunInfo as a dict: device and policy as they ran, versions
    history: dict[str, list[float]]  # per-epoch logs, Keras's names (loss, accuracy, val_loss...)
    step_losses: list[float]
    seconds: float
    weight_change: float  # the largest change of any trainable weight from start to end
    checks: list[Check] = field(default_factory=list)
    findings: list[dict] = field(default_factory=list)  # scen.diagnose findings, as dicts
    data_note: str = ""
    engine: str = ""  # which engine trained, and why that one (the native port or Keras's fit)
    skipped: list[str] = field(default_factory=list)  # what scen's observers could not record

    @property
    def epochs_run(self) -> int:
        return len(self.history.get("loss", []))

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=1, default=float)

    @classmethod
    def from_json(cls, text: str) -> RunResult:
        d = json.loads(text)
        d["spec"] = RunSpec(**d["spec"])
        d["checks"] = [Check(**c) for c in d["checks"]]
        return cls(**d)


def run(spec: RunSpec, observers: list[Observer] = ()) -> RunResult:
    """Train one scenario variant; the RunResult is also in <run_dir>/result.json.

    Raises ScenError for bad input (before any directory is made) and for a run that cannot
    start (its directory is removed again). An interrupt (Ctrl-C, SIGTERM through the CLI)
    inside training returns status 'interrupted'; outside it, the run directory is left with a
    readable event file and a result.json that says 'interrupted', and KeyboardInterrupt goes on.
    """
    scenario = spec.check()
    show_own_failures(spec.verbose)
    asked_auto = spec.device == "auto"
    spec.device = resolve_device(spec)
    engine = choose_engine(spec, scenario)
    if asked_auto and is_gpu(spec.device):  # a GPU, and no device asked for: by the work
        spec.device, why = device_by_work(scenario, spec)
        engine += f"; {why}"
    run_dir = new_run_dir(spec)
    try:
        # The native port builds its model with Keras on torch, so it needs that Keras too.
        if not keras_matches(BACKENDS[spec.backend], spec.device):
            if observers:
                raise ScenError(f"{spec.backend} runs in a subprocess here (this process's Keras "
                                "is on another backend): observers cannot follow it there")
            result = _run_in_subprocess(spec, run_dir)
            result.engine = engine + result.engine  # the worker adds only its note
        else:
            result = run_here(spec, scenario, run_dir, observers, engine)
        return result
    except ScenError:
        remove_run_dir(run_dir, spec.logdir)  # the run never started: nothing to keep
        raise
    except KeyboardInterrupt:
        if not os.path.exists(os.path.join(run_dir, "result.json")):
            mark_interrupted(spec, run_dir)
        raise


ENGINES = {
    "torch": "the native PyTorch port (Keras built the model)",
    "keras-torch": "Keras's own fit on torch",
    "keras-tensorflow": "Keras's own fit on TensorFlow",
    "keras-jax": "Keras's own fit on JAX",
}


def choose_engine(spec: RunSpec, scenario) -> str:
    """Resolve backend 'auto' (the native port wherever it takes the model and the run's
    settings, else Keras's fit on torch) in `spec`; return a line saying which engine trains.

    The port's refusal names the layer and its setting; with --compile or --semantics (which
    only the port has) a refusal is an error. Building the model to ask costs ~0.1 s."""
    if spec.backend != "auto":
        return ENGINES[spec.backend]
    spec.backend = "torch"
    if not keras_matches("torch", spec.device):
        return ENGINES["torch"]  # a worker builds it; this process's Keras is another backend
    import keras

    from scen.port import UnsupportedLayerError, translate

    keras.backend.clear_session()
    with keras.device("cpu"):
        model = scenario.build_model(scenario.config_for(spec.variant))
    try:
        translate(model)
    except UnsupportedLayerError as e:
        if spec.compile or spec.semantics != "torch":
            raise ScenError(f"--compile and --semantics need the native port, which cannot take "
                            f"this model: {one_line(str(e))}") from None
        spec.backend = "keras-torch"
        return f"{ENGINES['keras-torch']}: the native port cannot take this model ({one_line(str(e))})"
    finally:
        keras.backend.clear_session()
    return ENGINES["torch"]


def one_line(text) -> str:
    """A message on one line (an error's text may span several)."""
    return " ".join(str(text).split())


def remove_run_dir(run_dir: str, logdir: str) -> None:
    """A run directory that holds nothing worth keeping, and its scenario's and the log
    directory's, where they are left empty (fresh_dir made them)."""
    shutil.rmtree(run_dir, ignore_errors=True)
    for parent in (os.path.dirname(run_dir), logdir):
        try:
            os.rmdir(parent)  # only if empty
        except OSError:
            break


def mark_interrupted(spec: RunSpec, run_dir: str) -> None:
    """An interrupt outside training: say so in result.json and in TensorBoard's text tab."""
    with signals_held():
        from scen.tensorboard import summary_writer_class

        with summary_writer_class()(run_dir) as writer:
            writer.add_text("status", "**interrupted** before training finished", 0)
        result = RunResult(spec=spec, run_dir=run_dir, status="interrupted", error=None, info={},
                           history={}, step_losses=[], seconds=0.0, weight_change=0.0)
        write_atomically(os.path.join(run_dir, "result.json"), result.to_json())


class signals_held:
    """Hold Ctrl-C and SIGTERM for a few lines (the final writes), then deliver them."""

    def __enter__(self):
        self.held = hasattr(signal, "pthread_sigmask")
        if self.held:
            signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})

    def __exit__(self, *exc):
        if self.held:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})


def run_here(spec: RunSpec, scenario, run_dir: str, extra: list[Observer] = (),
             engine: str = "") -> RunResult:
    from scen.diagnose import Diagnostics
    from scen.progress import progress
    from scen.tensorboard import TensorBoardLogger

    diagnosis = Diagnostics()  # samples the run's own data before training
    observers = Observers([diagnosis, TensorBoardLogger(run_dir, spec.histogram_freq,
                                                        spec.update_freq), *extra,
                           *progress(spec.verbose)])
    backend = "native" if spec.backend == "torch" else "keras_run"
    module = importlib.import_module(f"scen.{backend}")
    with warnings.catch_warnings():
        # Keras on torch warns of a softmax over one unit at every call; the diagnosis reports
        # it once, with its consequence and fix. Other warnings: once.
        warnings.filterwarnings("once", category=UserWarning)
        warnings.filterwarnings("ignore", message="You are using a softmax over axis")
        outcome = module.run(spec, scenario, run_dir, observers)
    info = outcome.pop("info")
    engine += outcome.pop("engine_note", "")
    result = RunResult(spec=spec, run_dir=run_dir, info=info.as_dict(), engine=engine,
                       skipped=observers.skipped, **outcome)
    if result.history:
        config = scenario.config_for(spec.variant)
        reported = scenario.variant(spec.variant).reported
        checks = scenario.symptom(config, result)
        result.checks = [replace(c, reported=reported.get(c.name, c.reported)) for c in checks]
    record_outcome(result, diagnosis)
    return result


def record_outcome(result: RunResult, diagnosis) -> None:
    """The run's findings into `result`, then diagnosis.json, the diagnosis as TensorBoard
    text and result.json in result.run_dir; an interrupt waits until all are written."""
    result.findings = [f.as_dict() for f in diagnosis.findings()]
    with signals_held():  # result.json says what happened, whole, or is not there yet
        diagnosis.to_json(os.path.join(result.run_dir, "diagnosis.json"))
        _log_diagnosis(result.run_dir, diagnosis.report())
        write_atomically(os.path.join(result.run_dir, "result.json"), result.to_json())


def _log_diagnosis(run_dir: str, report: str) -> None:
    """The diagnosis as TensorBoard text beside the run's other texts."""
    from scen.tensorboard import summary_writer_class

    with summary_writer_class()(run_dir) as writer:
        writer.add_text("diagnosis", "```\n" + report + "\n```", 0)


def resolve_device(spec: RunSpec) -> str:
    """'auto' becomes the device Keras's torch backend picks by itself (keras/src/backend/
    torch/core.py: $KERAS_TORCH_DEVICE, else mps, else cuda, else cpu); asking for a GPU
    where there is none is an error, never a silent fall back to the CPU."""
    if BACKENDS[spec.backend] != "torch":
        if is_gpu(spec.device):
            raise ScenError(f"--device {spec.device} is supported on the torch backends, not "
                            f"{spec.backend}")
        return "cpu"
    import torch

    if spec.device == "auto" and os.environ.get("KERAS_TORCH_DEVICE"):
        check_device(os.environ["KERAS_TORCH_DEVICE"])  # a name scen does not know: one line
        spec = replace(spec, device=os.environ["KERAS_TORCH_DEVICE"])
    if is_cuda(spec.device) and not torch.cuda.is_available():
        why = "this torch is a CPU build" if torch.version.cuda is None else "no GPU is visible"
        raise ScenError(
            f"--device {spec.device}: CUDA is not available ({why}, torch {torch.__version__}); "
            "use --device cpu, or install a CUDA build of torch (see docs/backends.md)"
        )
    if spec.device.startswith("cuda:") and int(spec.device[5:]) >= torch.cuda.device_count():
        raise ScenError(f"--device {spec.device}: this machine has {torch.cuda.device_count()} "
                        f"GPU(s), cuda:0 to cuda:{torch.cuda.device_count() - 1}")
    mps = torch.backends.mps.is_available()
    if spec.device == "mps" and not mps:
        raise ScenError("--device mps: Apple's Metal GPU (MPS) is not available here "
                        f"(torch {torch.__version__}); use --device cpu")
    if spec.device == "auto":
        return "mps" if mps else "cuda" if torch.cuda.is_available() else "cpu"
    return spec.device


CUDA_WORTH = 1e7  # multiply-adds per training step under which `--device auto` keeps the CPU:
# a step is ~60-100 small kernel launches of ~5-10 us each on a GPU (issue 23), ~0.5 ms, in
# which a CPU core does ~1e7 multiply-adds; a 2-unit network's step is a few thousand.


def work_per_step(model, batch_size: int) -> float:
    """Multiply-adds of one training step, roughly: each weight kernel's size times the
    positions it is applied at (a convolution's output positions, a recurrent layer's steps),
    times the batch, times 3 (the forward pass and the two products of the backward pass)."""
    total = 0.0
    for layer in model._flatten_layers(include_self=False):
        kernels = [w for w in layer.trainable_weights if len(w.shape) >= 2]
        if not kernels:
            continue
        try:
            shape = list(layer.output.shape)
        except (AttributeError, ValueError):
            shape = []
        positions = float(math.prod(d or 1 for d in shape[1:-1])) if len(shape) > 2 else 1.0
        total += positions * sum(float(math.prod(w.shape)) for w in kernels)
    return 3.0 * total * batch_size


def device_by_work(scenario, spec: RunSpec) -> tuple[str, str]:
    """`--device auto` on a machine with a GPU: (the device, a line saying why) by the model's
    work per step (work_per_step against CUDA_WORTH)."""
    import keras

    config = scenario.config_for(spec.variant)
    keras.backend.clear_session()
    try:
        with keras.device("cpu"):
            work = work_per_step(scenario.build_model(config), scenario.fit(config).batch_size)
    finally:
        keras.backend.clear_session()
    if work < CUDA_WORTH:
        return "cpu", (f"device auto: cpu, as {work:.2g} multiply-adds a step cost less than a "
                       "GPU's kernel launches")
    return spec.device, f"device auto: {spec.device}, for {work:.2g} multiply-adds a step"


def new_run_dir(spec: RunSpec) -> str:
    """runs/<scenario>/<time>-<variant>-<backend>-<precision>-s<seed>, never reusing one."""
    name = f"{spec.variant}-{spec.backend}-{spec.precision}-s{spec.seed}"
    return fresh_dir(spec.logdir, spec.scenario, name)


def fresh_dir(logdir: str, scenario: str, name: str) -> str:
    """<logdir>/<scenario>/<time>-<name>, with a numbered suffix rather than overwriting."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    base = os.path.join(logdir, scenario, f"{stamp}-{name}")
    try:
        os.makedirs(os.path.dirname(base), exist_ok=True)
        for n in range(1000):
            path = base if n == 0 else f"{base}.{n}"
            try:
                os.mkdir(path)
                return path
            except FileExistsError:
                continue
    except OSError as e:
        raise ScenError(f"cannot write the log directory {logdir!r}: {e.strerror}") from None
    raise ScenError(f"too many runs named {base!r}")


def keras_matches(backend: str, device: str) -> bool:
    """Can this process run Keras on `backend`? Yes if Keras is not imported yet (we choose its
    backend now) or was imported with this one."""
    if "keras" not in sys.modules:
        require_installed(backend)
        os.environ.update(KERAS_BACKEND=backend, **QUIET_TF)
        if backend != "torch":
            os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # TF/JAX: CPU only for now
        return True
    import keras

    return keras.backend.backend() == backend


def require_installed(backend: str) -> None:
    """ScenError with the install command unless the Keras backend's package is installed."""
    import importlib.util

    if importlib.util.find_spec(backend) is None:
        raise ScenError(f"the {backend} backend is not installed: {INSTALL_HINT[backend]}")


def subprocess_env(backend: str) -> dict:
    """The environment of a worker that runs Keras on `backend`."""
    env = dict(os.environ, KERAS_BACKEND=backend, **QUIET_TF)
    if backend != "torch":
        env["CUDA_VISIBLE_DEVICES"] = ""
    return env


# A worker imports only installed code: without -P (-I before Python 3.11) `python -m` and
# `python -c` put the current directory first on sys.path, and a keras.py there would be Keras.
SAFE_PATH = "-P" if sys.version_info >= (3, 11) else "-I"


def python_module(module: str, *args: str) -> list[str]:
    """`python -m module args`, importing only installed code (SAFE_PATH)."""
    return [sys.executable, SAFE_PATH, "-m", module, *args]


def run_child(cmd: list[str], env: dict, stdout=None, stderr=None,
              grace_seconds: float = 30.0) -> subprocess.CompletedProcess:
    """Run a worker process to its end, and never leave it behind.

    The worker gets a session of its own, so a terminal's Ctrl-C reaches only scen; scen passes
    an interrupt (Ctrl-C or SIGTERM) on to it once as SIGINT, gives it `grace_seconds` to write
    what it has (an interrupted run's logs), kills it after that, and raises KeyboardInterrupt.
    stderr is captured as text when `stderr` is subprocess.PIPE.
    """
    proc = subprocess.Popen(cmd, env=env, stdout=stdout, stderr=stderr, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate()
    except KeyboardInterrupt:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=grace_seconds)
        except BaseException:  # a second interrupt, or the grace is over
            proc.kill()
            proc.wait()
        raise
    return subprocess.CompletedProcess(cmd, proc.returncode, out, err)


def _run_in_subprocess(spec: RunSpec, run_dir: str) -> RunResult:
    backend = BACKENDS[spec.backend]
    require_installed(backend)
    with tempfile.TemporaryDirectory() as tmp:
        spec_path, result_path = os.path.join(tmp, "spec.json"), os.path.join(tmp, "result.json")
        with open(spec_path, "w") as f:
            json.dump(asdict(spec), f)
        cmd = python_module("scen.worker", spec_path, run_dir, result_path)
        try:
            proc = run_child(cmd, subprocess_env(backend), stdout=sys.stderr,
                             stderr=subprocess.PIPE)
        except KeyboardInterrupt:
            if os.path.exists(result_path):  # the worker finished its interrupted run
                with open(result_path) as f:
                    return RunResult.from_json(f.read())
            raise
        if not os.path.exists(result_path):
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            if proc.returncode == 2 and tail.startswith("error: "):
                raise ScenError(tail[len("error: "):])
            raise ScenError(f"the {spec.backend} worker failed: {tail}")
        with open(result_path) as f:
            return RunResult.from_json(f.read())
