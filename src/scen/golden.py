"""Golden runs: each scenario's behaviour on each backend, pinned, portable across machines.

A golden file holds one short seeded run of one scenario variant on one backend: its per-epoch
metrics, its symptom checks, and how far each epoch can be trusted to the last bit. Re-running
it and comparing says whether a change of Keras, torch or scen changed what a scenario does, and
where: scenario, variant, backend, epoch, metric. (Why ~460 lines: recording, the twins and
the comparison share one file format, and read best as one story.)

    scen golden            # check every case against the project's tests/golden/
    scen golden --update   # re-record them on purpose (review the diff)

Another CPU rounds differently (torch, oneDNN and XLA pick kernels by the vector instructions
the CPU has, and AVX2 and AVX-512 kernels sum in other orders), and a saturated run amplifies
the last bit until two machines disagree in the first digit. So a golden run is recorded with
*twins*: the same run started from every initial weight moved one ulp up, and one ulp down, and
the same run with the libraries held to AVX2 and to SSE4 kernels (another machine, here). Their
spread from the run, per epoch, measures how well-conditioned the run is by then, and the
comparison follows it:

- while the twins stay within CHAOTIC of the run, every metric is pinned to a relative tolerance
  of max(VALUE_FLOOR, TWIN_FACTOR x their spread);
- from the first epoch where they part further, the run is chaotic: values are no longer pinned,
  but the scenario's symptom checks are: whether each symptom shows must match, and each check's
  number must stay within a factor of two (CHECK_MARGIN, plus twice the twins' spread of it).

A real change (a learning rate, a loss formula, a backend that stops computing cross-entropy
from logits) moves the early, pinned epochs far beyond rounding, or flips a symptom.
tests/test_golden.py proves both sides: a run on "another machine" (AVX2 kernels, and a start
moved by one ulp in random directions, a draw no twin made) passes every golden file, and a
changed hyper-parameter fails the right case.

All cases of one Keras backend run in one process of their own (`python -m scen.golden`).
A user's own script is pinned and checked the same way by scen.script_golden.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from scen import scenario as scenarios

# Short runs: enough to pin each scenario's behaviour, cheap enough for CI.
SHORT = {
    "toy-blobs": dict(epochs=20),
    "rating": dict(epochs=10),
    "mnist-sigmoid": dict(epochs=2, steps_per_epoch=100),
    "plateau": dict(epochs=2, steps_per_epoch=50),
}
BACKENDS = ("keras-torch", "torch", "keras-tensorflow", "keras-jax")

# The comparison's numbers (see the module docstring).
VALUE_FLOOR = 1e-5  # relative; ~80 float32 ulps. Seen between AVX2 and AVX-512 kernels on the
                    # same libraries: 3e-9 on torch (issue 9), so a well-conditioned epoch has
                    # 3,000x room, and a changed hyper-parameter moves epoch 1 by far more.
TWIN_FACTOR = 100   # a CPU's rounding enters every step, a twin's start only the first: allow
                    # far more than the twins show.
CHAOTIC = 1e-4      # twins this far apart (relative): the last bit now decides the first digits.
                    # Seen: JAX's saturated MNIST parts by 5e-4 on SSE4 kernels here, and by 35%
                    # on an AVX2 machine (issue 9): past this point no tolerance is safe.
CHECK_MARGIN = 0.5  # a symptom's number may move by half the larger of the two (a factor of 2):
                    # chaos moves numbers, a changed behaviour flips the symptom itself.

# Another machine, here: each library held to an older instruction set (read at start-up, so a
# capped run is a process of its own). Names: torch's ATEN_CPU_CAPABILITY, oneDNN's
# ONEDNN_MAX_CPU_ISA (TensorFlow's and torch's oneDNN kernels), XLA's --xla_cpu_max_isa (JAX).
ISA_CAPS = {
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2",
             "XLA_FLAGS": "--xla_cpu_max_isa=AVX2"},
    "sse4": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "SSE41",
             "XLA_FLAGS": "--xla_cpu_max_isa=SSE4_2"},
}

_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def default_directory(for_update: bool = False) -> Path:
    """Where the project's golden files are: $SCEN_GOLDEN, else the checkout's tests/golden (an
    editable install finds it beside the source), else the copy installed with the package
    (pyproject's package data), which is for checking only: an update needs a checkout.
    Raises ScenError naming where it looked."""
    import importlib.util

    candidates = [Path(os.environ["SCEN_GOLDEN"])] if os.environ.get("SCEN_GOLDEN") else []
    candidates.append(Path(__file__).resolve().parents[2] / "tests" / "golden")
    installed = importlib.util.find_spec("scen.goldens")
    if not for_update and installed and installed.submodule_search_locations:
        candidates += [Path(p) for p in installed.submodule_search_locations]
    for c in candidates:
        if c.is_dir():
            return c
    raise scenarios.ScenError(
        "no golden directory: looked in " + ", ".join(str(c) for c in candidates)
        + "; pass --dir (a checkout's tests/golden) or set SCEN_GOLDEN")


def cases(only: str | None = None) -> list[tuple[str, str]]:
    return [(s.name, v.name) for s in scenarios.all_scenarios().values()
            if only in (None, s.name) for v in s.variants]


def path(directory: str | Path, scenario: str, variant: str, backend: str) -> Path:
    return Path(directory) / scenario / variant / f"{backend}.json"


def record(backend: str, todo: list[tuple[str, str]], logdir: str,
           starts: dict[str, str] | None = None) -> dict:
    """Run the cases here (Keras must be on the backend's Keras backend already).

    starts: "scenario/variant" -> an initial-weights file to start that case from.
    Raises KeyboardInterrupt if a run was interrupted: a golden record is a completed run."""
    from scen.runner import RunSpec, run

    out = {}
    for scenario, variant in todo:
        key = f"{scenario}/{variant}"
        # On the CPU on every machine: a golden is the CPU's behaviour (a GPU's rounding,
        # TF32 and kernels differ), whatever --device a user's runs take.
        r = run(RunSpec(scenario, variant, backend=backend, device="cpu", seed=0,
                        logdir=logdir, verbose=0, initial_weights=(starts or {}).get(key),
                        **SHORT[scenario]))
        if r.status == "interrupted":
            raise KeyboardInterrupt
        out[key] = {
            "scenario": scenario, "variant": variant, "backend": backend, "seed": 0,
            "run": SHORT[scenario], "status": r.status, "error": r.error,
            "history": r.history,
            "checks": {c.name: {"measured": c.measured, "holds": c.holds} for c in r.checks},
            "versions": {k: v for k, v in r.info["versions"].items() if k != "python"},
            "initial_weights_file": f"{r.run_dir}/initial_weights.npz",  # not written
        }
    return out


def record_backend(backend: str, todo: list[tuple[str, str]], logdir: str,
                   starts: dict[str, str] | None = None, isa: str | None = None) -> dict:
    """Here if this process's Keras can run the backend, else in a process of its own.

    isa: a key of ISA_CAPS to hold the libraries to older kernels (always a process of its own).
    """
    from scen.runner import BACKENDS as KERAS_BACKENDS
    from scen.runner import keras_matches

    if isa is None and keras_matches(KERAS_BACKENDS[backend], "cpu"):
        return record(backend, todo, logdir, starts)
    return record_in_own_process(backend, todo, logdir, starts, isa)


def capped(env: dict, isa: str | None) -> dict:
    """`env` with the libraries held to the instruction set `isa` (a key of ISA_CAPS; None:
    as it is). XLA_FLAGS already set are kept."""
    for name, value in ISA_CAPS.get(isa, {}).items():
        env[name] = f"{env[name]} {value}" if name == "XLA_FLAGS" and env.get(name) else value
    return env


def record_in_own_process(backend: str, todo: list[tuple[str, str]], logdir: str,
                          starts: dict[str, str] | None = None, isa: str | None = None) -> dict:
    from scen.runner import BACKENDS as KERAS_BACKENDS
    from scen.runner import python_module, require_installed, run_child, subprocess_env

    keras_backend = KERAS_BACKENDS[backend]
    require_installed(keras_backend)
    env = capped(subprocess_env(keras_backend), isa)
    with tempfile.TemporaryDirectory() as tmp:
        todo_path, out_path = f"{tmp}/todo.json", f"{tmp}/out.json"
        Path(todo_path).write_text(json.dumps([backend, todo, logdir, starts]))
        proc = run_child(python_module("scen.golden", todo_path, out_path), env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if proc.returncode == 130:
            raise KeyboardInterrupt
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise scenarios.ScenError(f"the {backend} golden runs failed: {last}")
        return json.loads(Path(out_path).read_text())


# ---- recording: the run and its twins ------------------------------------------------------

def moved_by_one_ulp(weights_file: str, out: str, direction: int | None = None,
                     seed: int = 0) -> str:
    """Every nonzero initial weight moved to the next float of its dtype: up (direction 1), down
    (-1), or each way at random (None, from `seed`). Returns `out`."""
    rng = np.random.default_rng(seed)
    with np.load(weights_file) as f:
        moved = {}
        for k in sorted(f.files):
            w = f[k]
            if not np.issubdtype(w.dtype, np.floating):
                moved[k] = w
                continue
            signs = (np.full(w.shape, direction) if direction is not None
                     else rng.choice([-1, 1], size=w.shape))
            toward = np.where(signs > 0, np.inf, -np.inf).astype(w.dtype)  # in w's own dtype
            m = np.nextafter(w, toward)
            # An exact zero (a bias) is zero on every machine, and its neighbour is subnormal,
            # which TensorFlow and XLA flush to zero at the first op: keep zeros.
            moved[k] = np.where(np.abs(m) < np.finfo(w.dtype).tiny, w, m)
    np.savez(out, **moved)
    return out


def moved_starts(records: dict, directory: str, direction: int | None = None,
                 seed: int = 0) -> dict[str, str]:
    """For each recorded case, its initial weights moved by one ulp, as a `starts` mapping."""
    starts = {}
    for key, rec in records.items():
        name = key.replace("/", "__")
        starts[key] = moved_by_one_ulp(rec["initial_weights_file"],
                                       os.path.join(directory, f"{name}.npz"), direction, seed)
    return starts


def record_with_twins(backend: str, todo: list[tuple[str, str]], logdir: str,
                      progress=None) -> dict:
    """The golden records: each run, and the tolerances its twins allow (see the module
    docstring). progress(text) is told which twin runs."""
    runs = record_backend(backend, todo, logdir)
    twins = []
    with tempfile.TemporaryDirectory() as tmp:
        for direction in (1, -1):
            if progress:
                progress(f"twin: every initial weight one ulp {'up' if direction > 0 else 'down'}")
            twins.append(record_backend(backend, todo, logdir,
                                        moved_starts(runs, tmp, direction)))
        for isa in ISA_CAPS:
            if progress:
                progress(f"twin: {isa} kernels")
            twins.append(record_backend(backend, todo, logdir, isa=isa))
    for key, rec in runs.items():
        rec["tolerance"], rec["check_spread"] = tolerances(rec, [t[key] for t in twins])
    return runs


def relative(a, b) -> float:
    if a is None or b is None or isinstance(a, bool) or isinstance(b, bool):
        return 0.0 if a == b else math.inf
    if math.isnan(a) or math.isnan(b):
        return 0.0 if math.isnan(a) and math.isnan(b) else math.inf
    return abs(a - b) / max(1.0, abs(a))


def tolerances(run: dict, twins: list[dict]) -> tuple[list[float | None], dict[str, float]]:
    """Per epoch, the relative tolerance of every metric (None: chaotic from here on); per
    symptom check, how far the twins' numbers moved."""
    epochs = max((len(v) for v in run["history"].values()), default=0)
    per_epoch, chaotic = [], any(t["status"] != run["status"] for t in twins)
    for e in range(epochs):
        spread = 0.0
        for twin in twins:
            for metric, values in run["history"].items():
                theirs = twin["history"].get(metric, [])
                if e < len(values):
                    spread = max(spread, relative(values[e], theirs[e] if e < len(theirs) else None))
        chaotic = chaotic or spread > CHAOTIC
        per_epoch.append(None if chaotic else max(VALUE_FLOOR, TWIN_FACTOR * spread))
    check_spread = {}
    for name, check in run["checks"].items():
        if any(t["checks"].get(name, {}).get("holds") != check["holds"] for t in twins):
            check["holds"] = None  # a twin flips it: whether it shows is not this run's to pin
        moved = [_numbers_apart(check["measured"], t["checks"].get(name, {}).get("measured"))
                 for t in twins]
        check_spread[name] = max(moved, default=0.0)
    return per_epoch, check_spread


def _numbers_apart(a, b) -> float:
    """The largest absolute difference between the numbers in two measured values (numbers or
    texts with numbers in them); inf if they differ otherwise."""
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return abs(a - b) if not (math.isnan(a) or math.isnan(b)) else (
            0.0 if math.isnan(a) and math.isnan(b) else math.inf)
    if isinstance(a, str) and isinstance(b, str):
        if _NUMBER.sub("#", a) != _NUMBER.sub("#", b):
            return math.inf
        pairs = zip(_NUMBER.findall(a), _NUMBER.findall(b))
        return max((abs(float(x) - float(y)) for x, y in pairs), default=0.0)
    return 0.0 if a == b else math.inf


# ---- checking ------------------------------------------------------------------------------

def differences(golden: dict, fresh: dict) -> list[str]:
    """Every way `fresh` departs from `golden`, one line each."""
    where = f"{golden['scenario']} [{golden['variant']}] on {golden['backend']}"
    out = []
    for key in ("status", "error"):
        if golden[key] != fresh[key]:
            out.append(f"{where}: {key} {fresh[key]!r}, golden {golden[key]!r}")
    tolerance = golden["tolerance"]
    for metric, values in golden["history"].items():
        new = fresh["history"].get(metric)
        if new is None:
            out.append(f"{where}: metric {metric} is gone")
            continue
        if len(new) != len(values):
            out.append(f"{where}: {metric} has {len(new)} epochs, golden {len(values)}")
        for epoch, (a, b) in enumerate(zip(values, new), start=1):
            allowed = tolerance[epoch - 1] if epoch <= len(tolerance) else None
            if allowed is None:
                break  # chaotic from here on: the symptom checks speak for it
            if relative(a, b) > allowed:
                out.append(f"{where}: epoch {epoch} {metric} = {b!r}, golden {a!r} "
                           f"(relative difference {relative(a, b):.2g} > {allowed:.2g})")
                break  # the first epoch that parts says enough for this metric
    for metric in set(fresh["history"]) - set(golden["history"]):
        out.append(f"{where}: new metric {metric}")
    for name, check in golden["checks"].items():
        new = fresh["checks"].get(name)
        if new is None:
            out.append(f"{where}: check {name!r} is gone")
            continue
        if check["holds"] is not None and new["holds"] != check["holds"]:
            out.append(f"{where}: symptom {name!r} shows: {new['holds']}, golden {check['holds']}")
            continue
        a, b = check["measured"], new["measured"]
        allowed = (CHECK_MARGIN * max(_scale(a), _scale(b))
                   + 2 * golden["check_spread"].get(name, 0.0))
        if _numbers_apart(a, b) > allowed:
            out.append(f"{where}: {name} = {b!r}, golden {a!r} (allowed +-{allowed:.3g})")
    return out


def _scale(measured) -> float:
    numbers = ([measured] if isinstance(measured, (int, float)) and not isinstance(measured, bool)
               else [float(x) for x in _NUMBER.findall(str(measured))])
    return max([0.0] + [abs(x) for x in numbers if math.isfinite(x)])


# ---- files ---------------------------------------------------------------------------------

def write(directory: str | Path, records: dict) -> list[Path]:
    """Each record to its file, all of them or none (commit); a symptom the file it replaces
    left unpinned stays unpinned (keep_unpinned)."""
    for rec in records.values():
        keep_unpinned(load(directory, rec["scenario"], rec["variant"], rec["backend"]), rec)
    return commit(directory, files_of(directory, records))


def keep_unpinned(old: dict | None, new: dict) -> None:
    """Leave unpinned in `new` each symptom that `old`, the golden file it replaces, left
    unpinned because it flips. Twins recorded on one machine cannot show every CPU's kernels:
    TensorFlow's softmax over one unit is exactly 1.0 on some CPUs and 0.99999994 on an AMD
    EPYC, where Adam turns the 7e-9 gradients into whole steps and the rating weights move.
    Such a finding, once made (by hand, from CI's machine), must survive the next update."""
    if old is None:
        return
    for name, check in new["checks"].items():
        was = old["checks"].get(name)
        if was and was["holds"] is None and check["holds"] is not None:
            check["holds"] = None
            new["check_spread"][name] = max(new["check_spread"].get(name, 0.0),
                                            old["check_spread"].get(name, 0.0))


def files_of(directory: str | Path, records: dict) -> dict[Path, str]:
    """{path: text} of each record's golden file (its run's weights file left out)."""
    files = {}
    for rec in records.values():
        kept = {k: v for k, v in rec.items() if k != "initial_weights_file"}
        files[path(directory, rec["scenario"], rec["variant"], rec["backend"])] = \
            json.dumps(kept, indent=1) + "\n"
    return files


# A golden set is written all or nothing, kill -9 included. Every new file is first written
# beside its old one (<name>.new); then a journal naming every replacement and removal is
# renamed into place, the commit point; then the files are renamed over the old ones and the
# journal removed, with Ctrl-C and SIGTERM held. Whatever stops the process, the next reader
# or writer of the directory (recover) finds either staged files and no journal (the old set
# stands: they are removed) or the journal (the new set: its renames are finished).
JOURNAL = ".scen-golden-commit.json"
STAGED = ".new"


def commit(directory: str | Path, files: dict, remove: list | tuple = ()) -> list[Path]:
    """Replace `files` ({path: text}, paths under `directory`) and delete `remove`, all or
    nothing (see above); the paths written."""
    from scen.files import write_atomically
    from scen.runner import signals_held

    directory = Path(directory)
    recover(directory)
    staged = []
    try:
        for p, text in files.items():
            p = Path(p)
            p.parent.mkdir(parents=True, exist_ok=True)
            s = p.with_name(p.name + STAGED)
            s.write_text(text)
            staged.append([str(s), str(p)])
    except BaseException:  # interrupted, or a disk error, before the commit point: the old set
        for s, _ in staged:
            Path(s).unlink(missing_ok=True)
        raise
    plan = {"replace": staged, "remove": [str(p) for p in remove]}
    with signals_held():
        write_atomically(str(directory / JOURNAL), json.dumps(plan))  # the commit point
        _apply(directory, plan)
    return [Path(p) for _, p in staged]


def _apply(directory: Path, plan: dict) -> None:
    for s, p in plan["replace"]:
        if os.path.exists(s):
            os.replace(s, p)
    for p in plan["remove"]:
        Path(p).unlink(missing_ok=True)
        try:
            Path(p).parent.rmdir()  # a fit's folder left empty
        except OSError:
            pass
    (directory / JOURNAL).unlink(missing_ok=True)


def recover(directory: str | Path) -> None:
    """Finish a commit that a killed process left after its commit point, or undo one it
    left before (its staged files removed): the directory then holds a whole set."""
    directory = Path(directory)
    journal = directory / JOURNAL
    if journal.exists():
        try:
            plan = json.loads(journal.read_text())
        except ValueError:  # not ours, or torn: write_atomically never leaves one torn
            plan = None
        if plan is not None:
            from scen.runner import signals_held

            with signals_held():
                _apply(directory, plan)
    if directory.is_dir():
        for s in directory.rglob("*.json" + STAGED):
            s.unlink(missing_ok=True)


def load(directory: str | Path, scenario: str, variant: str, backend: str) -> dict | None:
    recover(directory)
    p = path(directory, scenario, variant, backend)
    return json.loads(p.read_text()) if p.exists() else None


def main(todo_path: str, out_path: str) -> None:
    from scen.observe import die_with_parent, install_interrupt_handlers

    install_interrupt_handlers()
    die_with_parent()  # a kill -9 of scen must not leave this worker running
    backend, todo, logdir, starts = json.loads(Path(todo_path).read_text())
    try:
        records = record(backend, [tuple(c) for c in todo], logdir, starts)
    except KeyboardInterrupt:
        sys.exit(130)
    Path(out_path).write_text(json.dumps(records))


if __name__ == "__main__":
    main(*sys.argv[1:])
