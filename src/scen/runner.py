"""Run one scenario variant on one backend and return what happened.

`run(RunSpec(...))` is the library's front door; the CLI is a thin layer over it. Keras fixes its
backend at import, so a Keras backend other than the one this process already imported runs in a
subprocess of its own (`python -m scen.worker`), and its result comes back as the same object.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import asdict, dataclass, field, replace

from scen import scenario as scenarios
from scen.observe import Observer, Observers
from scen.scenario import Check, ScenError

# backend name -> the KERAS_BACKEND it needs (the native port builds its model on torch).
BACKENDS = {
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
DEVICES = ("auto", "cpu", "cuda")


@dataclass
class RunSpec:
    scenario: str
    variant: str = scenarios.AS_POSTED
    backend: str = "keras-torch"
    device: str = "auto"
    precision: str = "fp32"
    epochs: int | None = None  # None: as posted
    steps_per_epoch: int | None = None  # shorter epochs (fit's steps_per_epoch); None: as posted
    seed: int = 0
    logdir: str = "runs"
    quiet: bool = False
    shuffle: bool = True  # False: batches in data order, the same on every backend
    semantics: str = "torch"  # the native port's losses: as Keras's torch, jax or tensorflow
    initial_weights: str | None = None  # a run's initial_weights.npz: start every backend alike
    compile: bool = False  # the native loop under torch.compile

    def check(self) -> scenarios.Scenario:
        """Every bad input becomes one clear ScenError before anything heavy is imported."""
        scenario = scenarios.get(self.scenario)
        scenario.variant(self.variant)
        _one_of("backend", self.backend, list(BACKENDS))
        _one_of("device", self.device, DEVICES)
        _one_of("precision", self.precision, PRECISIONS)
        _one_of("semantics", self.semantics, SEMANTICS)
        if self.compile and self.backend != "torch":
            raise ScenError("--compile applies to the native backend: add --backend torch")
        if self.initial_weights and not os.path.isfile(self.initial_weights):
            raise ScenError(f"no such weights file: {self.initial_weights}")
        if self.epochs is not None and self.epochs <= 0:
            raise ScenError(f"--epochs must be a positive number of epochs, not {self.epochs}")
        if self.steps_per_epoch is not None and self.steps_per_epoch <= 0:
            raise ScenError(f"--steps-per-epoch must be positive, not {self.steps_per_epoch}")
        return scenario


def _one_of(what: str, value: str, choices) -> None:
    if value not in choices:
        raise ScenError(f"unknown {what} {value!r}; choose from {', '.join(choices)}")


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
    scenario = spec.check()
    spec.device = resolve_device(spec)
    run_dir = new_run_dir(spec)
    # The native port builds its model with Keras on torch, so it needs that Keras too.
    if not _keras_matches(BACKENDS[spec.backend], spec.device):
        if observers:
            raise ScenError(f"{spec.backend} runs in a subprocess here (this process's Keras is "
                            "on another backend): observers cannot follow it there")
        return _run_in_subprocess(spec, run_dir)
    return run_here(spec, scenario, run_dir, observers)


def run_here(spec: RunSpec, scenario, run_dir: str, extra: list[Observer] = ()) -> RunResult:
    from scen.diagnose import Diagnostics
    from scen.progress import ProgressBar
    from scen.tensorboard import TensorBoardLogger

    diagnosis = Diagnostics()  # samples the run's own data before training
    observers = Observers([diagnosis, TensorBoardLogger(run_dir), *extra])
    if not spec.quiet:
        observers.observers.append(ProgressBar())
    backend = "native" if spec.backend == "torch" else "keras_run"
    module = importlib.import_module(f"scen.{backend}")
    with warnings.catch_warnings():
        # Keras repeats some warnings on every call (a softmax over one unit, on torch): once.
        warnings.filterwarnings("once", category=UserWarning)
        outcome = module.run(spec, scenario, run_dir, observers)
    info = outcome.pop("info")
    result = RunResult(spec=spec, run_dir=run_dir, info=info.as_dict(), **outcome)
    if result.history:
        config = scenario.config_for(spec.variant)
        reported = scenario.variant(spec.variant).reported
        checks = scenario.symptom(config, result)
        result.checks = [replace(c, reported=reported.get(c.name, c.reported)) for c in checks]
    result.findings = [f.as_dict() for f in diagnosis.findings()]
    diagnosis.to_json(os.path.join(run_dir, "diagnosis.json"))
    _log_diagnosis(run_dir, diagnosis.report())
    with open(os.path.join(run_dir, "result.json"), "w") as f:
        f.write(result.to_json())
    return result


def _log_diagnosis(run_dir: str, report: str) -> None:
    """The diagnosis as TensorBoard text beside the run's other texts."""
    from scen.tensorboard import summary_writer_class

    with summary_writer_class()(run_dir) as writer:
        writer.add_text("diagnosis", "```\n" + report + "\n```", 0)


def resolve_device(spec: RunSpec) -> str:
    """'auto' becomes cuda or cpu; asking for cuda where there is none is an error, never a
    silent fall back to the CPU."""
    if BACKENDS[spec.backend] != "torch":
        if spec.device == "cuda":
            raise ScenError(f"--device cuda is supported on the torch backends, not {spec.backend}")
        return "cpu"
    import torch

    if spec.device == "cuda" and not torch.cuda.is_available():
        why = "this torch is a CPU build" if torch.version.cuda is None else "no GPU is visible"
        raise ScenError(
            f"--device cuda: CUDA is not available ({why}, torch {torch.__version__}); "
            "use --device cpu, or install a CUDA build of torch (see the README)"
        )
    if spec.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return spec.device


def new_run_dir(spec: RunSpec) -> str:
    """runs/<scenario>/<time>-<variant>-<backend>-s<seed>, never reusing an existing one."""
    return fresh_dir(spec.logdir, spec.scenario, f"{spec.variant}-{spec.backend}-s{spec.seed}")


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


def _keras_matches(backend: str, device: str) -> bool:
    """Can this process run Keras on `backend`? Yes if Keras is not imported yet (we choose its
    backend now) or was imported with this one."""
    if "keras" not in sys.modules:
        _require(backend)
        os.environ.update(KERAS_BACKEND=backend, **QUIET_TF)
        if backend != "torch":
            os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # TF/JAX: CPU only for now
        return True
    import keras

    return keras.backend.backend() == backend


def _require(backend: str) -> None:
    import importlib.util

    if importlib.util.find_spec(backend) is None:
        raise ScenError(f"the {backend} backend is not installed: {INSTALL_HINT[backend]}")


def _run_in_subprocess(spec: RunSpec, run_dir: str) -> RunResult:
    backend = BACKENDS[spec.backend]
    _require(backend)
    env = dict(os.environ, KERAS_BACKEND=backend, **QUIET_TF)
    if backend != "torch":
        env["CUDA_VISIBLE_DEVICES"] = ""
    with tempfile.TemporaryDirectory() as tmp:
        spec_path, result_path = os.path.join(tmp, "spec.json"), os.path.join(tmp, "result.json")
        with open(spec_path, "w") as f:
            json.dump(asdict(spec), f)
        cmd = [sys.executable, "-m", "scen.worker", spec_path, run_dir, result_path]
        try:
            proc = subprocess.run(cmd, env=env, stdout=sys.stderr, stderr=subprocess.PIPE, text=True)
        except KeyboardInterrupt:
            proc = None  # the worker saw the same Ctrl-C and writes its interrupted result
        if not os.path.exists(result_path):
            tail = (proc.stderr.strip().splitlines() or ["no output"])[-1] if proc else "interrupted"
            raise ScenError(f"the {spec.backend} worker failed: {tail}")
        with open(result_path) as f:
            return RunResult.from_json(f.read())
