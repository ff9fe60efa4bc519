"""Golden runs: each scenario's behaviour on each backend, pinned.

A golden file holds the per-epoch metrics of one short seeded run of one scenario variant on one
backend. Re-running it and comparing says whether a change of Keras, torch or scen changed what
a scenario does, and where: scenario, variant, backend, epoch, metric.

    scen golden            # check every case against tests/golden/
    scen golden --update   # re-record them on purpose (review the diff)

All cases of one Keras backend run in one process of their own (`python -m scen.golden`).
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from scen import scenario as scenarios

# Short runs: enough to pin each scenario's behaviour, cheap enough for CI.
SHORT = {
    "toy-blobs": dict(epochs=20),
    "rating": dict(epochs=10),
    "mnist-sigmoid": dict(epochs=2, steps_per_epoch=100),
    "plateau": dict(epochs=2, steps_per_epoch=50),
}
# Keras on torch is deterministic on the CPU: bit for bit. TensorFlow and JAX reduce in
# thread-dependent orders, so allow float32 rounding.
TOLERANCE = {"keras-torch": 0.0, "torch": 0.0, "keras-tensorflow": 1e-5, "keras-jax": 1e-5}
BACKENDS = tuple(TOLERANCE)


def cases(only: str | None = None) -> list[tuple[str, str]]:
    return [(s.name, v.name) for s in scenarios.all_scenarios().values()
            if only in (None, s.name) for v in s.variants]


def path(directory: str | Path, scenario: str, variant: str, backend: str) -> Path:
    return Path(directory) / scenario / variant / f"{backend}.json"


def record(backend: str, todo: list[tuple[str, str]], logdir: str) -> dict:
    """Run the cases here (Keras must be on the backend's Keras backend already)."""
    from scen.runner import RunSpec, run

    out = {}
    for scenario, variant in todo:
        r = run(RunSpec(scenario, variant, backend=backend, seed=0, logdir=logdir, quiet=True,
                        **SHORT[scenario]))
        out[f"{scenario}/{variant}"] = {
            "scenario": scenario, "variant": variant, "backend": backend, "seed": 0,
            "run": SHORT[scenario], "status": r.status, "error": r.error,
            "history": r.history,
            "versions": {k: v for k, v in r.info["versions"].items() if k != "python"},
        }
    return out


def record_backend(backend: str, todo: list[tuple[str, str]], logdir: str) -> dict:
    """Here if this process's Keras can run the backend, else in a process of its own."""
    from scen.runner import BACKENDS as KERAS_BACKENDS
    from scen.runner import _keras_matches

    if _keras_matches(KERAS_BACKENDS[backend], "cpu"):
        return record(backend, todo, logdir)
    return record_in_own_process(backend, todo, logdir)


def record_in_own_process(backend: str, todo: list[tuple[str, str]], logdir: str) -> dict:
    from scen.runner import BACKENDS as KERAS_BACKENDS
    from scen.runner import QUIET_TF, _require

    keras_backend = KERAS_BACKENDS[backend]
    _require(keras_backend)
    env = dict(os.environ, KERAS_BACKEND=keras_backend, **QUIET_TF)
    with tempfile.TemporaryDirectory() as tmp:
        todo_path, out_path = f"{tmp}/todo.json", f"{tmp}/out.json"
        Path(todo_path).write_text(json.dumps([backend, todo, logdir]))
        proc = subprocess.run([sys.executable, "-m", "scen.golden", todo_path, out_path],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
        if proc.returncode != 0:
            last = (proc.stderr.strip().splitlines() or ["no output"])[-1]
            raise scenarios.ScenError(f"the {backend} golden runs failed: {last}")
        return json.loads(Path(out_path).read_text())


def differences(golden: dict, fresh: dict, tolerance: float) -> list[str]:
    """Every way `fresh` departs from `golden`, one line each."""
    where = f"{golden['scenario']} [{golden['variant']}] on {golden['backend']}"
    out = []
    for key in ("status", "error"):
        if golden[key] != fresh[key]:
            out.append(f"{where}: {key} {fresh[key]!r}, golden {golden[key]!r}")
    for metric, values in golden["history"].items():
        new = fresh["history"].get(metric)
        if new is None:
            out.append(f"{where}: metric {metric} is gone")
            continue
        if len(new) != len(values):
            out.append(f"{where}: {metric} has {len(new)} epochs, golden {len(values)}")
        for epoch, (a, b) in enumerate(zip(values, new), start=1):
            if not _close(a, b, tolerance):
                out.append(f"{where}: epoch {epoch} {metric} = {b!r}, golden {a!r}")
                break  # the first epoch that parts says enough for this metric
    for metric in set(fresh["history"]) - set(golden["history"]):
        out.append(f"{where}: new metric {metric}")
    return out


def _close(a: float, b: float, tolerance: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= tolerance * max(1.0, abs(a))


def write(directory: str | Path, records: dict) -> list[Path]:
    written = []
    for rec in records.values():
        p = path(directory, rec["scenario"], rec["variant"], rec["backend"])
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(json.dumps(rec, indent=1) + "\n")
        written.append(p)
    return written


def load(directory: str | Path, scenario: str, variant: str, backend: str) -> dict | None:
    p = path(directory, scenario, variant, backend)
    return json.loads(p.read_text()) if p.exists() else None


def main(todo_path: str, out_path: str) -> None:
    backend, todo, logdir = json.loads(Path(todo_path).read_text())
    Path(out_path).write_text(json.dumps(record(backend, [tuple(c) for c in todo], logdir)))


if __name__ == "__main__":
    main(*sys.argv[1:])
