"""Golden runs of a user's own script: its behaviour per backend, pinned in a directory the user
chooses, checked after an upgrade of Keras, torch or a backend.

    scen golden --record train.py --dir my-goldens [-- script args]
    scen golden --check train.py --dir my-goldens

A record runs the script, unmodified, on each Keras backend in a process of its own, every
backend from the first one's initial weights (captured at its first fit and loaded by
structure, as `scen compare train.py` does), and writes one file per fit and backend,
`<dir>/<script name>/fit<N>/<backend>.json`, in scen.golden's format: the fit's per-epoch
history, its diagnosis as symptoms (whether each finding of scen's catalogue shows), and how far
each epoch can be trusted, measured by scen.golden's twins (the run from its initial weights
moved one ulp up and one ulp down, and with the libraries held to AVX2 and SSE4 kernels).
The files are written only once every backend has completed, and replace the script's earlier
record in that directory. The script's arguments are recorded, and a check runs it with them
(arguments given to the check replace them: a way to see what a change would do).

A check runs the script again the same way and compares with scen.golden.differences, the
comparison of the built-in goldens: one line per difference, naming the fit, backend, epoch and
metric.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Callable

from scen import golden as g
from scen.scenario import ScenError
from scen.script import ScriptSpec
from scen.script_compare import COMPARABLE

# By default a script's goldens pin Keras's fit on each installed backend; `--backend torch`
# pins the native port's too (where it takes the script's fits).
KERAS_BACKENDS = ("keras-torch", "keras-jax", "keras-tensorflow")

Progress = Callable[[str], None]


def installed_backends() -> list[str]:
    import importlib.util

    from scen.runner import BACKENDS

    return [b for b in KERAS_BACKENDS if importlib.util.find_spec(BACKENDS[b]) is not None]


def check_script(path: str, logdir: str | None) -> str:
    """ScenError, one line, unless `path` is a Python script that compiles and `logdir` (None:
    a temporary directory, golden's default) is writable; its name (a record's directory under
    --dir)."""
    spec = ScriptSpec(path, logdir=logdir or tempfile.gettempdir())
    spec.check()
    return spec.name


def _specs(path: str, args: list[str], backends: list[str], logdir: str) -> list[ScriptSpec]:
    for b in backends:
        if b not in COMPARABLE:
            raise ScenError(f"unknown backend {b!r}; choose from {', '.join(COMPARABLE)}")
    specs = [ScriptSpec(path, list(args), b, "cpu", "fp32", 0, logdir, verbose=0)
             for b in dict.fromkeys(backends)]
    for spec in specs:
        spec.check()
    return specs


# ---- recording -----------------------------------------------------------------------------

def record(path: str, args: list[str], directory: str, backends: list[str] | None = None,
           logdir: str | None = None, progress: Progress | None = None) -> list[Path]:
    """Record the script's goldens into `directory` (see the module docstring); the files
    written. ScenError, one line, for bad input or a script that fails; KeyboardInterrupt if
    interrupted (then no file was changed). backends None: every Keras backend installed."""
    from scen.runner import check_writable

    say = progress or (lambda text: None)
    name = check_script(path, logdir)
    if not directory.strip():
        raise ScenError("--dir is empty: name the directory for the script's goldens")
    check_writable(directory, "--dir")
    with tempfile.TemporaryDirectory(prefix="scen-golden-") as tmp:
        specs = _specs(path, args, backends or installed_backends(), os.path.abspath(logdir or tmp))
        records, start = {}, None
        for i, spec in enumerate(specs, start=1):
            spec.initial_weights = start
            say(f"[{i}/{len(specs)}] {spec.backend}: recording {name}, and its twins from "
                "every initial weight one ulp up and one ulp down")
            done = run_in_own_process(spec, twins=True)
            start = start or done["start"]
            twins = done["twins"]
            for isa in g.ISA_CAPS:
                say(f"      twin: {isa} kernels")
                twins.append(run_in_own_process(replace(spec, initial_weights=start),
                                                isa=isa)["runs"])
            for n, rec in enumerate(done["runs"]):
                rec.update(script=path, args=list(args),
                           weights_from=specs[0].backend if start else None)
                rec["tolerance"], rec["check_spread"] = g.tolerances(
                    rec, [t[n] if n < len(t) else MISSING for t in twins])
                records[spec.backend, n] = rec
    return write(directory, name, records)


MISSING = {"status": "no such fit", "error": None, "history": {}, "checks": {}}  # a twin's


def symptoms(findings: list[dict]) -> dict:
    """A fit's diagnosis as scen.golden's symptom checks: whether each finding scen knows
    (and any other it made) shows."""
    from scen.diagnose.catalogue import ENTRIES

    shown = {f["name"] for f in findings}
    return {n: {"measured": None, "holds": n in shown}
            for n in sorted({e.name for e in ENTRIES} | shown)}


def write(directory: str, name: str, records: dict) -> list[Path]:
    """The records, each to its file, and the script's files that this record did not write
    (a fit or a backend no longer recorded) removed: all of it or none (scen.golden.commit)."""
    files = g.files_of(directory, records)
    g.recover(directory)
    stale = [p for p in Path(directory, name).glob("fit*/*.json") if p not in files]
    return g.commit(directory, files, stale)


# ---- checking ------------------------------------------------------------------------------

KEYS = {"scenario", "variant", "backend", "status", "error", "history", "checks", "tolerance",
        "check_spread", "args", "weights_from"}  # what a check reads from a script's golden


def load(directory: str, name: str) -> dict[str, list[dict]]:
    """The script's goldens in `directory`: backend -> its fits' records, in order (the backend
    the others started from first). ScenError for a file that is not a script's golden."""
    found: dict[str, dict[int, dict]] = {}
    g.recover(directory)
    for p in sorted(Path(directory, name).glob("fit*/*.json")):
        try:
            rec = json.loads(p.read_text())
            n = int(p.parent.name[len("fit"):])
            lacks = sorted(KEYS - set(rec))
        except (OSError, ValueError, TypeError) as e:
            raise ScenError(f"cannot read {p}: {type(e).__name__}: {e}") from None
        if lacks:
            raise ScenError(f"{p} is not a script's golden file: it has no {', '.join(lacks)}")
        found.setdefault(p.stem, {})[n] = rec
    first = next((fits[min(fits)].get("weights_from") for fits in found.values()), None)
    order = sorted(found, key=lambda b: (b != first, b))
    return {b: [found[b][n] for n in sorted(found[b])] for b in order}


def check(path: str, args: list[str] | None, directory: str, backends: list[str] | None = None,
          logdir: str | None = None, progress: Progress | None = None) -> tuple[list[str], int]:
    """Run the script again as it was recorded and compare (scen.golden.differences): the
    differences, one line each, and how many fits were compared. args None: as recorded.
    backends None: every one recorded (a recorded backend not installed is skipped). ScenError,
    one line, for bad input; a script that fails to run now is a difference."""
    from scen.runner import BACKENDS, require_installed

    say = progress or (lambda text: None)
    name = check_script(path, logdir)
    if not directory.strip():
        raise ScenError("--dir is empty: name the directory of the script's goldens")
    if not os.path.isdir(directory):
        raise ScenError(f"no golden directory at {directory}")
    goldens = load(directory, name)
    if not goldens:
        raise ScenError(f"no goldens for {name} in {directory}: record them with "
                        f"scen golden --record {path} --dir {directory}")
    recorded = next(iter(goldens.values()))[0]
    source = recorded.get("weights_from")
    for b in backends or []:
        if b in COMPARABLE and b not in goldens:
            raise ScenError(f"no golden for {name} on {b} in {directory} (recorded: "
                            f"{', '.join(goldens)})")
        if b in COMPARABLE:
            require_installed(BACKENDS[b])  # named, so not skipped quietly
    chosen = list(dict.fromkeys(backends or goldens))
    if source and source not in chosen:
        say(f"{source}: runs too, the goldens start from its initial weights")
        chosen.insert(0, source)
    import importlib.util

    here = [b for b in chosen if b not in COMPARABLE
            or importlib.util.find_spec(BACKENDS[b]) is not None]
    for b in chosen:
        if b not in here:
            if b == source:
                raise ScenError(f"the goldens of {name} start from {b}'s initial weights, and "
                                f"{b} is not installed")
            say(f"{b}: not installed, skipped")
    if args is None:
        args = recorded["args"]
    elif list(args) != recorded["args"]:
        said = " ".join(recorded["args"]) or "none"
        say(f"running with the arguments {' '.join(args) or 'none'} (recorded with {said})")
    problems, compared, start = [], 0, None
    with tempfile.TemporaryDirectory(prefix="scen-golden-") as tmp:
        specs = _specs(path, args, here, os.path.abspath(logdir or tmp))
        for i, spec in enumerate(specs, start=1):
            say(f"[{i}/{len(specs)}] {spec.backend}: checking {name}")
            spec.initial_weights = start
            try:
                done = run_in_own_process(spec)
            except ScenError as e:
                problems.append(f"{name} on {spec.backend}: {e}")
                if spec.backend == source:
                    break  # the others would start from weights that are not there
                continue
            if spec.backend == source:
                start = done["start"]
            golden, fresh = goldens[spec.backend], done["runs"]
            for n, rec in enumerate(golden):
                if n >= len(fresh):
                    problems.append(f"{name} [fit{n + 1}] on {spec.backend}: the script made "
                                    f"{len(fresh)} fit(s), golden {len(golden)}")
                    break
                problems += g.differences(rec, fresh[n])
                compared += 1
            for n in range(len(golden), len(fresh)):
                problems.append(f"{name} [fit{n + 1}] on {spec.backend}: a new fit, not in the "
                                "goldens")
    return problems, compared


# ---- the runs, in a process of their own -----------------------------------------------------

def run_in_own_process(spec: ScriptSpec, twins: bool = False, isa: str | None = None) -> dict:
    """The script's run on spec's backend, in a process of its own (the libraries held to the
    instruction set `isa`, a key of scen.golden.ISA_CAPS): {"runs": each fit's record, "start":
    the initial weights of its first fit (a file), "twins": with `twins`, the fits' records
    from those weights moved one ulp up, then one ulp down}. The script's output is dropped."""
    from scen.runner import BACKENDS, python_module, run_child, subprocess_env

    env = g.capped(subprocess_env(BACKENDS[spec.backend]), isa)
    with tempfile.TemporaryDirectory() as tmp:
        job, out = os.path.join(tmp, "job.json"), os.path.join(tmp, "out.json")
        Path(job).write_text(json.dumps(dict(spec=asdict(spec), twins=twins)))
        proc = run_child(python_module("scen.script_golden", job, out), env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        if proc.returncode == 130:
            raise KeyboardInterrupt
        if not os.path.exists(out):
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise ScenError(f"the {spec.backend} run of {spec.path} ended with status "
                            f"{proc.returncode}: {last}")
        answer = json.loads(Path(out).read_text())
    if "error" in answer:
        raise ScenError(answer["error"])
    return answer


def run_here(spec: ScriptSpec, twins: bool) -> dict:
    """run_in_own_process's body, in the process whose Keras is on spec's backend."""
    from scen.script import run_here as run_script_here

    def records(s: ScriptSpec) -> list[dict]:
        result = run_script_here(s)
        if result.status == "interrupted":
            raise KeyboardInterrupt
        return [{"scenario": s.name, "variant": f"fit{n}", "backend": s.backend,
                 "seed": s.seed, "status": r.status, "error": r.error, "history": r.history,
                 "checks": symptoms(r.findings),
                 "versions": {k: v for k, v in r.info["versions"].items() if k != "python"},
                 "start": os.path.join(r.run_dir, "initial_weights.npz")}
                for n, r in enumerate(result.runs, start=1)]

    runs = records(spec)
    start = spec.initial_weights or runs[0]["start"]
    for r in runs:
        del r["start"]
    start = os.path.abspath(start) if os.path.exists(start) else None  # fit raised at once
    moved = []
    with tempfile.TemporaryDirectory() as tmp:
        for direction in (1, -1) if twins and start else ():
            weights = g.moved_by_one_ulp(start, os.path.join(tmp, f"{direction}.npz"), direction)
            moved.append(records(replace(spec, initial_weights=weights)))
            for r in moved[-1]:
                del r["start"]
    return {"runs": runs, "start": start, "twins": moved}


def main(job_path: str, out_path: str) -> int:
    """`python -m scen.script_golden JOB OUT`: exit 0, 2 with {"error": ...} for the user's
    errors, 130 when interrupted."""
    from scen.observe import die_with_parent, install_interrupt_handlers

    install_interrupt_handlers()
    die_with_parent()  # a kill -9 of scen must not leave this worker running
    job = json.loads(Path(job_path).read_text())
    try:
        answer, code = run_here(ScriptSpec(**job["spec"]), job["twins"]), 0
    except ScenError as e:
        answer, code = {"error": str(e)}, 2
    except KeyboardInterrupt:
        return 130
    Path(out_path).write_text(json.dumps(answer))
    return code


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
