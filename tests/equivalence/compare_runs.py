"""Run one corpus program under plain Python and under `scen run`, for equivalence checks.

`run_both(program, scen_cmd, python)` runs the program twice, each time in its own fresh
temporary working directory (programs write checkpoints, CSV logs and saved models relative to
the current directory, so the two runs must not see each other's files):

* once as ``[python, program]`` - what the user gets from ``python train.py``;
* once as ``[*scen_cmd, "run", program, "--verbose", "0"]`` - the same script under scen.

Both get the caller's environment with ``KERAS_BACKEND=torch`` added unless the caller's
environment already sets KERAS_BACKEND (programs that pick their backend themselves, by setting
``os.environ["KERAS_BACKEND"]`` before ``import keras``, still win).

Reading the two stdouts: scen runs the script unmodified, so the script's own stdout comes
first; scen prints its own summary lines (engine, final metrics, diagnosis, log folder) after the
script finishes. So an equivalent run has ``scen_stdout.startswith(python_stdout)`` - see
`script_stdout` - and the tail after it is scen's. scen also writes TensorBoard logs to a
``runs/`` folder in its working directory; `files` lists leave that folder out, so the two lists
are directly comparable.

Only the standard library and numpy are needed (numpy only for `arrays_close`).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROGRAMS = HERE / "programs"

# the folder scen writes its TensorBoard logs to, relative to its working directory
SCEN_LOGDIR = "runs"


def programs() -> list[Path]:
    """The corpus programs, sorted by name."""
    return sorted(PROGRAMS.glob("*.py"))


def program_kinds(program: str | os.PathLike) -> list[str]:
    """The kinds named on a program's ``# kinds: a, b, c`` line."""
    for line in Path(program).read_text().splitlines():
        if line.startswith("# kinds:"):
            return [k.strip() for k in line[len("# kinds:"):].split(",") if k.strip()]
    return []


def _env(extra: dict | None = None) -> dict:
    env = dict(os.environ)
    env.setdefault("KERAS_BACKEND", "torch")
    if extra:
        env.update(extra)
    return env


def _files(root: Path, exclude_top: tuple[str, ...] = ()) -> list[str]:
    """Relative paths (with /) of every file under root, sorted; top-level folders in
    exclude_top are left out."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        if rel_dir == Path("."):
            dirnames[:] = [d for d in dirnames if d not in exclude_top]
        for name in filenames:
            out.append((rel_dir / name).as_posix())
    return sorted(out)


def run_one(cmd: list[str], timeout: float = 300, env: dict | None = None,
            exclude_top: tuple[str, ...] = (), keep_dir: bool = False) -> dict:
    """Run cmd in a fresh temporary working directory and report what happened.

    Returns {"cmd", "returncode" (None if it timed out), "timed_out", "stdout", "stderr",
    "files" (sorted relative paths left in the directory, less exclude_top folders),
    "wall_s", "cwd" (the directory if keep_dir, else None - it is removed)}."""
    cwd = Path(tempfile.mkdtemp(prefix="scen-equiv-"))
    start = time.monotonic()
    timed_out = False
    proc = subprocess.Popen(cmd, cwd=cwd, env=env if env is not None else _env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:  # the whole process group: scen may have started workers
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        stdout, stderr = proc.communicate()
    wall = time.monotonic() - start
    result = {
        "cmd": list(cmd),
        "returncode": None if timed_out else proc.returncode,
        "timed_out": timed_out,
        "stdout": stdout,
        "stderr": stderr,
        "files": _files(cwd, exclude_top),
        "wall_s": round(wall, 3),
        "cwd": str(cwd) if keep_dir else None,
    }
    if not keep_dir:
        shutil.rmtree(cwd, ignore_errors=True)
    return result


def run_both(program: str, scen_cmd: list[str], python: str, timeout: float = 300,
             env: dict | None = None, keep_dirs: bool = False) -> dict:
    """Run `program` as ``python program`` and as ``scen run program --verbose 0``, each in its
    own fresh temporary working directory, and return:

    ``program`` (absolute path), ``python_returncode``, ``scen_returncode`` (None where the run
    passed `timeout` seconds; ``python_timed_out``/``scen_timed_out`` say so),
    ``python_stdout``, ``scen_stdout``, ``python_stderr``, ``scen_stderr``,
    ``python_files``, ``scen_files`` (sorted relative paths left in each working directory, the
    scen run's ``runs/`` folder left out), ``python_wall_s``, ``scen_wall_s``,
    ``python_cmd``, ``scen_cmd`` and, with keep_dirs, ``python_cwd``/``scen_cwd`` (else None).

    env: extra environment variables for both runs (on top of the caller's environment and the
    KERAS_BACKEND=torch default). The scen run's stdout is the script's stdout followed by scen's
    own summary lines (see the module docstring and `script_stdout`)."""
    program = str(Path(program).resolve())
    run_env = _env(env)
    py = run_one([python, program], timeout, run_env, keep_dir=keep_dirs)
    sc = run_one([*scen_cmd, "run", program, "--verbose", "0"], timeout, run_env,
                 exclude_top=(SCEN_LOGDIR,), keep_dir=keep_dirs)
    out = {"program": program}
    for prefix, r in (("python", py), ("scen", sc)):
        out[f"{prefix}_returncode"] = r["returncode"]
        out[f"{prefix}_timed_out"] = r["timed_out"]
        out[f"{prefix}_stdout"] = r["stdout"]
        out[f"{prefix}_stderr"] = r["stderr"]
        out[f"{prefix}_files"] = r["files"]
        out[f"{prefix}_wall_s"] = r["wall_s"]
        out[f"{prefix}_cmd"] = r["cmd"]
        out[f"{prefix}_cwd"] = r["cwd"]
    return out


def script_stdout(result: dict) -> tuple[bool, str]:
    """(whether the scen run's stdout starts with the python run's stdout, scen's own tail).

    With scen the script's stdout comes first and scen's summary follows it; the tail returned is
    what scen added (the whole scen stdout when the prefix does not match)."""
    py, sc = result["python_stdout"], result["scen_stdout"]
    if sc.startswith(py):
        return True, sc[len(py):]
    return False, sc


# Keras's verbose=2 epoch lines carry timings ("8/8 - 1s - 12ms/step - ..."); mask them before
# comparing outputs of a program that prints Keras progress itself.
_KERAS_TIMING = re.compile(r"(\d+/\d+) - \d+(?:\.\d+)?[mu]?s(?: - \d+(?:\.\d+)?[mu]?s/step)?")


def mask_keras_progress(text: str) -> str:
    """text with the timings in Keras's verbose=2/1 epoch lines replaced by '<t>'."""
    return _KERAS_TIMING.sub(r"\1 - <t>", text)


def arrays_close(path_a: str | os.PathLike, path_b: str | os.PathLike, rtol: float = 1e-3,
                 atol: float = 1e-4) -> bool:
    """Whether two .npy files (e.g. saved predictions) hold arrays of one shape, close."""
    import numpy as np

    a, b = np.load(path_a), np.load(path_b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


if __name__ == "__main__":  # python compare_runs.py PROGRAM [SCEN...]: a quick look at one pair
    import json

    prog = sys.argv[1]
    scen = sys.argv[2:] or [str(Path(sys.executable).with_name("scen"))]
    res = run_both(prog, scen, sys.executable)
    same, tail = script_stdout(res)
    print(json.dumps({k: v for k, v in res.items() if not k.endswith("stderr")}, indent=1))
    print("script stdout identical under scen:", same)
