"""Bring your own failure: run a user's Keras training script, unmodified, under scen.

    result = run_script(ScriptSpec("train.py", args=["--lr", "0.1"], backend="keras-jax"))

runs the script as `python train.py --lr 0.1` would: as `__main__`, with that sys.argv, in the
current working directory, with the script's own directory first on sys.path, and Keras on the
chosen backend (KERAS_BACKEND is set before the script imports Keras; a backend other than the
one this process's Keras already has runs in a worker process, `python -m scen.worker script`).
Before the script starts, Keras's session is cleared, everything is seeded (scen's
seed_everything: Python, NumPy, torch and Keras) and the dtype policy is set from `precision`.

Every `Model.fit` the script makes is one scen run (scen.intercept): the run directory
`<logdir>/<script name>/<time>-fit<N>-<backend>-<precision>-s<seed>/` with TensorBoard logs,
result.json and diagnosis.json; progress on stderr unless verbose is 0. A fit that raises is recorded
as status "raised" with the diagnosis explaining it, and the exception goes on into the script,
which then stops as it would without scen (unless it catches it).

The script's own output stays on stdout and stderr. Errors that are the user's to fix (no such
file, not Python, the script failing outside fit or exiting non-zero, no fit at all) raise
ScenError with a one-line message; runs made before the failure stay on disk.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import runpy
import sys
import tempfile
import traceback
import warnings
from dataclasses import asdict, dataclass, field, replace

from scen.observe import error_message
from scen.runner import (BACKENDS, PRECISIONS, RunResult, check_device, check_seed, check_verbose,
                         check_writable, keras_matches, python_module, require_installed,
                         resolve_device, run_child, subprocess_env)
from scen.scenario import ScenError

# auto: each fit on the native port where it takes it, else Keras's fit on torch (saying why);
# torch: the native port, an error where it cannot take a fit.
SCRIPT_BACKENDS = ("auto", "torch", "keras-torch", "keras-jax", "keras-tensorflow")


def is_script(name: str) -> bool:
    """Does a `scen run NAME` argument name a script rather than a scenario? It does when it
    ends in .py, is an existing file or is a path (scenario names are none of these): a wrong
    path then reads "no such script", not "unknown scenario"."""
    return name.endswith(".py") or os.path.isfile(name) or "/" in name or os.sep in name


@dataclass
class ScriptSpec:
    path: str  # the script, e.g. "train.py"
    args: list[str] = field(default_factory=list)  # its sys.argv[1:]
    backend: str = "auto"  # one of SCRIPT_BACKENDS
    device: str = "auto"  # auto | cpu | cuda (cuda: the torch backend only)
    precision: str = "fp32"  # fp32 | fp16 | bf16: the dtype policy before the script starts
    seed: int = 0
    logdir: str = "runs"
    verbose: int = 1  # as Keras's fit: 0 no progress, 1 bars, 2 one line per epoch
    compare: bool = False  # every fit: NumPy arrays only, in data order, fingerprinted
    initial_weights: str | None = None  # compare: the first fit starts from these (by structure)
    fix: str = ""  # diagnose --verify: a mechanical fix (scen.script_fix) applied to ...
    fix_fit: int = 0  # ... this fit (1-based; 0: every fit)
    backend_note: str = ""  # why --backend auto became this backend (the script selects it)
    # `scen run|diagnose`: the script's own failure (an exception outside fit, sys.exit(N))
    # ends the result as `python train.py` would end (ScriptResult.exit_code and traceback),
    # rather than as a ScenError (what compare, golden, sweep and --verify stop on).
    as_python: bool = False

    @property
    def name(self) -> str:
        """The script's name without .py: its runs go under <logdir>/<name>/."""
        return os.path.splitext(os.path.basename(self.path))[0]

    def check(self) -> None:
        """Every bad input as one ScenError, before Keras is imported."""
        if not os.path.exists(self.path):
            raise ScenError(f"no such script: {self.path}")
        if not os.path.isfile(self.path):
            raise ScenError(f"{self.path} is not a file: name a Python script such as train.py")
        if not self.path.endswith(".py"):
            raise ScenError(f"{self.path} is not a Python script (.py)")
        for what, value, choices in (("backend", self.backend, SCRIPT_BACKENDS),
                                     ("precision", self.precision, PRECISIONS)):
            if value not in choices:
                raise ScenError(f"unknown {what} {value!r}; choose from {', '.join(choices)}")
        check_device(self.device)
        check_verbose(self.verbose)
        try:
            compile(open(self.path, "rb").read(), self.path, "exec")
        except SyntaxError as e:
            raise ScenError(f"{self.path}, line {e.lineno}: {e.msg}") from None
        except OSError as e:
            raise ScenError(f"cannot read {self.path}: {e.strerror}") from None
        if self.initial_weights and not os.path.isfile(self.initial_weights):
            raise ScenError(f"no such weights file: {self.initial_weights}")
        check_seed(self.seed)
        check_writable(self.logdir, "--logdir")
        require_installed(BACKENDS[self.backend])


@dataclass
class ScriptResult:
    spec: ScriptSpec
    status: str  # completed | raised (a fit raised; its run says why) | interrupted
    runs: list[RunResult]  # one per Model.fit call, in order
    data: list[str] = field(default_factory=list)  # compare: each fit's data, as a sha256
    # The status `python train.py` would exit with (its sys.exit code; 1 for an exception it
    # did not catch), and that exception's traceback as Python prints it, scen's frames left
    # out (spec.as_python; else these failures are ScenErrors).
    exit_code: int = 0
    traceback: str = ""

    def to_json(self) -> str:
        return json.dumps(dict(spec=asdict(self.spec), status=self.status,
                               runs=[json.loads(r.to_json()) for r in self.runs],
                               data=self.data, exit_code=self.exit_code,
                               traceback=self.traceback), indent=1, default=float)

    @classmethod
    def from_json(cls, text: str) -> ScriptResult:
        d = json.loads(text)
        return cls(ScriptSpec(**d["spec"]), d["status"],
                   [RunResult.from_json(json.dumps(r)) for r in d["runs"]], d["data"],
                   d.get("exit_code", 0), d.get("traceback", ""))


def run_script(spec: ScriptSpec) -> ScriptResult:
    """Run the script under scen (see the module docstring); ScenError for the user's errors.
    KeyboardInterrupt inside a fit returns status 'interrupted' with that fit's logs kept."""
    spec.check()
    if spec.backend == "auto":  # the backend `python train.py` would run on, where one is set
        spec.backend, spec.backend_note = selected_backend(spec.path)
    spec.device = resolve_device(spec)
    if keras_matches(BACKENDS[spec.backend], spec.device):
        return run_here(spec)
    return run_in_worker(spec)


def run_here(spec: ScriptSpec) -> ScriptResult:
    """Run the script in this process, whose Keras must be on spec's backend."""
    import keras

    from scen.intercept import FitInterceptor
    from scen.keras_run import device_scope, seed_everything, use_precision
    from scen.observe import show_own_failures
    from scen.script_fix import float32_kept

    show_own_failures(spec.verbose)

    keras.backend.clear_session()  # layer names (and so tags) restart at 'dense'
    seed_everything(keras, spec.seed)
    use_precision(keras, "fp32" if spec.fix == "float32" else spec.precision)
    policy = float32_kept(keras) if spec.fix == "float32" else contextlib.nullcontext()
    fits = FitInterceptor(replace(spec, logdir=os.path.abspath(spec.logdir)), keras)
    import_what_scen_needs()  # before the script's folder can shadow any of it
    status, failure, exit_code, printed = "completed", None, 0, ""
    try:
        with as_main(spec.path, spec.args), warnings.catch_warnings(), fits, \
                device_scope(keras, spec.device), policy:
            # The diagnosis reports a softmax over one unit once, with its fix; Keras-torch
            # would warn at every call.
            warnings.filterwarnings("ignore", message="You are using a softmax over axis")
            # As python 3.9+ runs a script: its __file__ and code paths absolute, argv[0] as typed.
            runpy.run_path(os.path.abspath(spec.path), run_name="__main__")
    except SystemExit as e:
        if e.code not in (None, 0):
            failure = (f"{spec.path} exited with status {e.code}" if isinstance(e.code, int)
                       else f"{spec.path} exited: {e.code}")
            # Python's own exit: an int is the status; anything else is printed, status 1.
            exit_code = e.code if isinstance(e.code, int) else 1
            printed = "" if isinstance(e.code, int) else f"{e.code}\n"
    except KeyboardInterrupt:
        status = "interrupted"
    except ScenError:  # scen refused a fit (compare): its message says why
        raise
    except Exception as e:
        exit_code = 1
        if e is fits.raised:
            status = "raised"
        else:
            failure = f"{spec.path} raised {type(e).__name__}: {error_message(e)}{_where(e, spec)}"
        printed = script_traceback(e, spec)
    finally:
        keras.config.set_floatx("float32")  # a script's floatx must not outlive it
        use_precision(keras, "fp32")
    for r in fits.runs:  # the logdir as the user named it
        r.spec.logdir = spec.logdir
        if not os.path.isabs(spec.logdir):
            r.run_dir = os.path.relpath(r.run_dir)
    if failure and not spec.as_python:
        made = f" ({len(fits.runs)} fit(s) ran first, in {spec.logdir}/{spec.name})" \
            if fits.runs else ""
        raise ScenError(failure + made)
    if not fits.runs and status == "completed" and not failure:
        raise ScenError(f"{spec.path} finished without calling Model.fit: nothing to run")
    return ScriptResult(spec, status, fits.runs, fits.data, exit_code, printed)


@contextlib.contextmanager
def as_main(path: str, args: list[str]):
    """The script's surroundings as `python path args` gives them: its sys.argv, and its own
    folder first on sys.path; restored after it, with the working directory (a chdir in the
    script must neither move scen's logs nor outlive the script)."""
    cwd, argv, syspath = os.getcwd(), sys.argv, sys.path[:]
    sys.argv = [path, *args]
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        yield
    finally:
        sys.argv, sys.path[:] = argv, syspath
        os.chdir(cwd)


def import_what_scen_needs() -> None:
    """Import now what scen imports only once a fit starts, so that a module in the script's
    folder (a `tensorboard.py`, a `rich.py`), first on sys.path for the script's own imports,
    is never taken for one of scen's: the port, Keras's side of the fit, the progress bars,
    the diagnosis and TensorBoard's writer."""
    import importlib

    from scen.tensorboard import summary_writer_class

    for name in ("diagnose", "fit_data", "keras_fit", "native", "progress", "script_fix",
                 "script_native", "sweep.script_program"):
        importlib.import_module(f"scen.{name}")

    summary_writer_class()


def script_traceback(e: BaseException, spec: ScriptSpec) -> str:
    """The traceback `python train.py` prints for an exception the script did not catch:
    from the script's first frame on (scen's and runpy's frames before it left out)."""
    script = os.path.abspath(spec.path)
    tb = e.__traceback__
    while tb is not None and os.path.abspath(tb.tb_frame.f_code.co_filename) != script:
        tb = tb.tb_next
    shown = traceback.TracebackException(type(e), e, tb or e.__traceback__)
    # scen's own frames (the intercepted fit) are not in `python train.py`'s traceback
    ours = os.path.dirname(os.path.abspath(__file__)) + os.sep
    shown.stack = traceback.StackSummary.from_list(
        [f for f in shown.stack if not os.path.abspath(f.filename).startswith(ours)])
    return "".join(shown.format())


def run_in_worker(spec: ScriptSpec) -> ScriptResult:
    """Run the script in a worker process whose Keras is on spec's backend. The script's output
    goes to this process's stdout and stderr, as it would in this process."""
    backend = BACKENDS[spec.backend]
    with tempfile.TemporaryDirectory() as tmp:
        spec_path, result_path = os.path.join(tmp, "spec.json"), os.path.join(tmp, "result.json")
        with open(spec_path, "w") as f:
            json.dump(asdict(spec), f)
        proc = run_child(python_module("scen.worker", "script", spec_path, result_path),
                         subprocess_env(backend), stderr=None)
        if not os.path.exists(result_path):
            raise ScenError(f"the {spec.backend} worker ended with status {proc.returncode} "
                            "before writing its result")
        with open(result_path) as f:
            text = f.read()
    answer = json.loads(text)
    if "error" in answer:
        raise ScenError(answer["error"])
    return ScriptResult.from_json(text)


def worker_main(spec_path: str, result_path: str) -> int:
    """The worker's body (`python -m scen.worker script`): the result, or {"error": ...}, in result_path.
    Exit status 0, 2 for a user's error, 130 for an interrupt outside any fit."""
    from scen.observe import die_with_parent, install_interrupt_handlers

    install_interrupt_handlers()
    die_with_parent()  # a kill -9 of scen must not leave this worker running
    with open(spec_path) as f:
        spec = ScriptSpec(**json.load(f))
    try:
        text, code = run_here(spec).to_json(), 0
    except ScenError as e:
        text, code = json.dumps({"error": str(e)}), 2
    except KeyboardInterrupt:
        return 130
    with open(result_path, "w") as f:
        f.write(text)
    return code


# KERAS_BACKEND's values -> scen's backend for them (torch: the native port where it takes a
# fit, as --backend auto gives).
KERAS_BACKEND_CHOICES = {"torch": "auto", "tensorflow": "keras-tensorflow", "jax": "keras-jax"}


def selected_backend(path: str, environ=None) -> tuple[str, str]:
    """(backend, why) for --backend auto: the one the script selects itself before importing
    Keras (`os.environ["KERAS_BACKEND"] = "jax"`, as keras-io's Keras 3 examples do), else the
    one the environment's KERAS_BACKEND selects, else "auto" (the native port; plain Keras
    would fall back to its keras.json, TensorFlow by default). ScenError for a backend scen
    does not run. The script's line is read, not run: a value it computes is not seen."""
    environ = os.environ if environ is None else environ
    chosen, where = script_sets_backend(path, environ.get("KERAS_BACKEND"))
    if chosen is None:
        chosen, where = environ.get("KERAS_BACKEND"), "the environment's KERAS_BACKEND"
    if not chosen:
        return "auto", ""
    if chosen not in KERAS_BACKEND_CHOICES:
        raise ScenError(f"{where} selects Keras's {chosen!r} backend; scen runs Keras on "
                        f"{', '.join(KERAS_BACKEND_CHOICES)} (or pass --backend)")
    return KERAS_BACKEND_CHOICES[chosen], f"{where} selects {chosen}"


def script_sets_backend(path: str, from_environment: str | None) -> tuple[str | None, str]:
    """The KERAS_BACKEND a script sets at its top level with a literal, and where: an
    assignment to os.environ["KERAS_BACKEND"], os.environ.update(...) with it, or
    os.environ.setdefault(...), which the environment's own value overrides."""
    try:
        tree = ast.parse(open(path, "rb").read(), path)
    except (OSError, SyntaxError, ValueError):
        return None, ""
    name = os.path.basename(path)
    found = None
    for node in tree.body:
        line = f"{name}, line {getattr(node, 'lineno', '?')},"
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if _is_environ_key(target) and _literal(node.value):
                    found = (_literal(node.value), line)
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
            call = node.value
            func = call.func
            if not (isinstance(func, ast.Attribute) and _is_environ(func.value)):
                continue
            if func.attr == "setdefault" and len(call.args) == 2 and \
                    _literal(call.args[0]) == "KERAS_BACKEND" and _literal(call.args[1]):
                if not from_environment:
                    found = (_literal(call.args[1]), line)
            elif func.attr == "update":
                for kw in call.keywords:
                    if kw.arg == "KERAS_BACKEND" and _literal(kw.value):
                        found = (_literal(kw.value), line)
                for arg in call.args:
                    if isinstance(arg, ast.Dict):
                        for k, v in zip(arg.keys, arg.values):
                            if k is not None and _literal(k) == "KERAS_BACKEND" and _literal(v):
                                found = (_literal(v), line)
    return found if found else (None, "")


def _is_environ(node) -> bool:
    """os.environ, or environ imported from os."""
    return (isinstance(node, ast.Attribute) and node.attr == "environ") or \
        (isinstance(node, ast.Name) and node.id == "environ")


def _is_environ_key(node) -> bool:
    return isinstance(node, ast.Subscript) and _is_environ(node.value) and \
        _literal(node.slice) == "KERAS_BACKEND"


def _literal(node) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _where(e: BaseException, spec: ScriptSpec) -> str:
    """' (train.py, line 12)': the script's own line nearest to where it failed."""
    script = os.path.abspath(spec.path)
    lines = [f.lineno for f in traceback.extract_tb(e.__traceback__)
             if os.path.abspath(f.filename) == script]
    return f" ({os.path.basename(script)}, line {lines[-1]})" if lines else ""


__all__ = ["SCRIPT_BACKENDS", "ScriptResult", "ScriptSpec", "is_script", "run_here",
           "run_in_worker", "run_script", "worker_main"]
