"""A round of programs written apart from the detectors, diagnosed on torch and JAX.

    .venv/bin/python benchmarks/diagnosis_round.py [ROUND_DIR] [--backends auto,keras-jax]
                                                   [--json out.json] [NAME ...]

ROUND_DIR (default: the newest under tests/diagnosis_rounds/) holds Keras programs and a
manifest.json: per file, whether it is healthy, its root cause in words and, for a faulty
one, `expected`: the finding names that say that root cause (`expected_first_pass`, where
kept: the names that existed when the round was first run, which its first figures used). Each program runs under
`scen diagnose PROGRAM --json --backend B` (the port's engine, `auto`, and Keras's own fit on
JAX), one after another. Printed: per program and backend, whether the fault was found (an
expected finding at warning or error level), whether the report's first finding is the root
cause, and any error-level finding on a healthy program; then the totals the README's table
comes from, and the programs where torch and JAX report different kinds.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "equivalence"))

import compare_runs  # noqa: E402

ROUNDS = HERE.parent / "tests" / "diagnosis_rounds"
SCEN = str(Path(sys.executable).with_name("scen"))


def diagnose(program: Path, backend: str, logdir: str) -> dict:
    """scen diagnose's findings of every fit (non-info ones), its exit status and seconds, run
    as the equivalence corpus runs a program (compare_runs.run_one: a fresh working folder,
    KERAS_BACKEND=torch unless set)."""
    r = compare_runs.run_one([SCEN, "diagnose", str(program), "--json", "--backend", backend,
                              "--logdir", logdir], timeout=900)
    try:
        fits = json.loads(r["stdout"])
    except ValueError:
        fits = []
    shown = [f for fit in fits for f in fit.get("findings", []) if f["severity"] != "info"]
    return dict(rc=r["returncode"], shown=shown, seconds=round(r["wall_s"], 1))


def judge(entry: dict, result: dict) -> dict:
    names = [f["name"] for f in result["shown"]]
    causes = sorted({f["name"] for f in result["shown"] if not f.get("cause")})  # root causes
    if entry["healthy"]:
        errors = [f["name"] for f in result["shown"] if f["severity"] == "error"]
        return dict(alarm=errors, names=names, causes=causes)
    expected = set(entry["expected"])
    return dict(hit=bool(expected & set(names)), root=bool(names) and names[0] in expected,
                names=names, causes=causes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("round", nargs="?", default=None)
    parser.add_argument("names", nargs="*")
    parser.add_argument("--backends", default="auto,keras-jax")
    parser.add_argument("--json")
    args = parser.parse_args()
    folder = Path(args.round) if args.round else sorted(p for p in ROUNDS.iterdir()
                                                         if p.is_dir())[-1]
    manifest = json.loads((folder / "manifest.json").read_text())
    backends = args.backends.split(",")
    logdir = tempfile.mkdtemp(prefix="scen-round-")
    rows = []
    for entry in manifest:
        name = Path(entry["file"]).stem
        if args.names and name not in args.names:
            continue
        row = dict(program=name, healthy=entry["healthy"])
        for b in backends:
            result = diagnose(folder / entry["file"], b, logdir)
            row[b] = {**judge(entry, result), "seconds": result["seconds"], "rc": result["rc"]}
        rows.append(row)
        cells = []
        for b in backends:
            j = row[b]
            cells.append(f"{b}: " + (("ALARM " + ",".join(j["alarm"])) if j.get("alarm") else
                                     "ok" if entry["healthy"] else
                                     ("found" if j["hit"] else "MISSED")
                                     + (" first" if j["root"] else " not-first"))
                         + f" {j['names'][:3]}")
        print(f"{name:40s} " + " | ".join(cells), flush=True)
    print()
    faulty = [r for r in rows if not r["healthy"]]
    healthy = [r for r in rows if r["healthy"]]
    for b in backends:
        print(f"{b}: found {sum(r[b]['hit'] for r in faulty)}/{len(faulty)}, first finding the "
              f"root cause {sum(r[b]['root'] for r in faulty)}/{len(faulty)}, healthy with an "
              f"error {sum(bool(r[b]['alarm']) for r in healthy)}/{len(healthy)}")
    if len(backends) == 2:
        a, b = backends
        differ = [r["program"] for r in rows if set(r[a]["names"]) != set(r[b]["names"])]
        roots = [r["program"] for r in rows if r[a]["causes"] != r[b]["causes"]]
        print(f"{a} and {b} report the same kinds on {len(rows) - len(differ)}/{len(rows)}"
              + (f" (differ: {', '.join(differ)})" if differ else "")
              + f", the same root causes on {len(rows) - len(roots)}/{len(rows)}"
              + (f" (differ: {', '.join(roots)})" if roots else ""))
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
