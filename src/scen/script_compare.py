"""`scen compare train.py --backends keras-torch,keras-jax`: a user's script on several backends.

Each backend runs the script in a worker process of its own (scen.script.run_in_worker). The
first backend's first fit records its initial weights; every other backend loads them into its
own model by structure (model.get_weights() order, shapes checked) at its first fit, and every
fit takes its batches in data order. The data must be the same on every backend (a fingerprint
of each fit's arrays, or of the first batch of a generator, PyDataset or DataLoader, is
compared): data made with a backend's random ops differ, and comparing would then measure the
data, not the backend. A script that fails after its fits has them compared, and its exit
noted. The table and the verdict are scen.compare's, one per fit.
"""

from __future__ import annotations

import math
import os
from typing import Callable

from scen.compare import Comparison, measure
from scen.scenario import ScenError
from scen.script import ScriptResult, ScriptSpec, run_in_worker

# What a script compares on, the first named the reference: Keras's fit on each backend, and
# the native port (torch), which joins where it takes the script's fits.
COMPARABLE = ("keras-torch", "torch", "keras-jax", "keras-tensorflow")


def compare_script(path: str, args: list[str], backends: list[str] | None, seed: int = 0,
                   logdir: str = "runs", tolerance: float = 1e-4,
                   progress: Callable[[int, int, str], None] | None = None,
                   notes: list[str] | None = None) -> list[Comparison]:
    """One Comparison per fit the script makes (runs keyed by backend, the first the
    reference). ScenError, one line, for bad input, for models or data that differ across
    backends, and for data that are not NumPy arrays. `progress(i, total, backend)` is called
    as each backend starts. backends None: every backend installed (COMPARABLE). The native
    port is left out, with the reason appended to `notes`, where it cannot take a fit."""
    if backends is None:
        import importlib.util

        from scen.runner import BACKENDS

        backends = [b for b in COMPARABLE if importlib.util.find_spec(BACKENDS[b]) is not None]
    check_script_backends(backends)
    if not (math.isfinite(tolerance) and tolerance > 0):
        raise ScenError(f"--tolerance must be a positive relative difference, not {tolerance}")
    # as_python: a script that fails after its fits (a KeyError in its plotting) still has
    # fits to compare; its exit is noted.
    specs = [ScriptSpec(path, list(args), b, "cpu", "fp32", seed, logdir, verbose=0,
                        compare=True, as_python=True) for b in backends]
    for spec in specs:
        spec.check()
    results: dict[str, ScriptResult] = {}
    stopped = False
    try:  # Ctrl-C at any moment (in a backend, or between two) ends with the runs so far
        for i, spec in enumerate(specs, start=1):
            if progress:
                progress(i, len(specs), spec.backend)
            result = run_backend(spec, results, notes)
            if result is not None and result.status == "interrupted":
                stopped = True
                break
    except KeyboardInterrupt:
        stopped = True
    if stopped and len(results) < 2:
        raise KeyboardInterrupt  # nothing to compare yet
    looked = [n + 1 for n, d in enumerate(next(iter(results.values())).data)
              if d.startswith("first batch:")]
    if looked and notes is not None:
        notes.append(f"fit {', '.join(map(str, looked))}: data that are not arrays (a generator, "
                     "a PyDataset, a DataLoader) are checked to be the same on every backend by "
                     "their first batch only")
    if len(results) < 2:
        raise ScenError("fewer than two backends ran the script: nothing to compare"
                        + (f" ({notes[-1]})" if notes else ""))
    fits = min(len(r.runs) for r in results.values())
    comparisons = [comparison(os.path.splitext(os.path.basename(path))[0], n, results, tolerance)
                   for n in range(fits)]
    for c in comparisons:
        c.interrupted = c.interrupted or stopped
    return comparisons


def run_backend(spec: ScriptSpec, results: dict[str, ScriptResult],
                notes: list[str] | None) -> ScriptResult | None:
    """One backend's run of the script, from the first backend's initial weights, added to
    `results` (None: the native port could not take a fit, and is left out with a note).
    ScenError where it failed before its first fit or got other data than the first."""
    if results:
        first = next(iter(results.values())).runs[0]
        spec.initial_weights = os.path.join(first.run_dir, "initial_weights.npz")
    try:
        results[spec.backend] = result = run_in_worker(spec)
    except ScenError as e:
        if spec.backend != "torch" or "native port cannot take" not in str(e):
            raise
        if notes is not None:
            notes.append(f"torch (the native port) left out: {e}")
        return None
    if result.exit_code:
        last = (result.traceback.strip().splitlines() or ["?"])[-1]
        if not result.runs:
            raise ScenError(f"on {spec.backend} the script failed before its first fit "
                            f"(exit status {result.exit_code}: {last})")
        if notes is not None:
            notes.append(f"{spec.backend}: the script exited with status "
                         f"{result.exit_code} after {len(result.runs)} fit(s) ({last})")
    reference = next(iter(results.values()))
    differ = [n + 1 for n, (a, b) in enumerate(zip(reference.data, result.data)) if a != b]
    if differ:
        raise ScenError(f"the script's data differ across backends ({spec.backend}'s fit "
                        f"{differ[0]} got other arrays than {reference.spec.backend}'s): "
                        "made with a backend's random ops? Make them with NumPy to compare")
    return result


def check_script_backends(backends: list[str]) -> None:
    """At least two of COMPARABLE, none twice."""
    if len(backends) < 2 or not all(backends):
        raise ScenError("--backends needs at least two backends, comma-separated")
    for b in backends:
        if b not in COMPARABLE:
            raise ScenError(f"unknown backend {b!r}; choose from {', '.join(COMPARABLE)}")
    twice = sorted({b for b in backends if backends.count(b) > 1})
    if twice:
        raise ScenError(f"--backends names {', '.join(twice)} twice")


def comparison(name: str, n: int, results: dict[str, ScriptResult],
               tolerance: float) -> Comparison:
    """scen.compare's Comparison of fit n (from 0) across the backends' results."""
    runs = {b: r.runs[n] for b, r in results.items()}
    return measure(Comparison(name, f"fit{n + 1}", runs, tolerance,
                              interrupted=any(r.status == "interrupted" for r in runs.values())))
