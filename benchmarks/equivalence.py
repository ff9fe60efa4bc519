"""The equivalence corpus, every program under `python` and under `scen run`, side by side.

    .venv/bin/python benchmarks/equivalence.py [--json out.json] [--compare] [NAME ...]

For each program in tests/equivalence/programs/ (or those named): whether the two runs agree
(exit status, the script's own stdout, the files it leaves), which engine trained each fit
(the native port, or Keras's fit with the reason), and the wall seconds of each whole process,
measured one after the other on this machine. The last lines: the share of fits the port
trained, programs that differ, and the median wall ratio python / scen over the programs whose
fits all ran on the port (the README's numbers come from here).

--compare runs `scen compare PROGRAM --backends keras-torch,torch` on each instead: whether it
ran, and whether the port and Keras's fit agree at every step (or why it did not run).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "equivalence"))

import compare_runs  # noqa: E402

ENGINE = re.compile(r"^engine: (.*)$", re.M)


def engines(scen_stdout: str) -> list[str]:
    """Each fit's engine line from scen's summary: 'port', or Keras's fit with its reason."""
    return ["port" if e.startswith("the native PyTorch port") else e
            for e in ENGINE.findall(scen_stdout)]


def judge(result: dict) -> dict:
    same_output, _ = compare_runs.script_stdout(result)
    fits = engines(result["scen_stdout"])
    return {
        "program": Path(result["program"]).stem,
        "same_status": result["python_returncode"] == result["scen_returncode"],
        "same_output": same_output,
        "same_files": result["python_files"] == result["scen_files"],
        "status": result["python_returncode"],
        "fits": len(fits),
        "on_port": sum(f == "port" for f in fits),
        "fallbacks": [f for f in fits if f != "port"],
        "python_s": result["python_wall_s"],
        "scen_s": result["scen_wall_s"],
    }


def compare_all(scen: list[str], names: list[str]) -> int:
    """`scen compare` on keras-torch and the port, per program: agree, parts, or refused."""
    counts = {"agree": 0, "parts": 0, "refused": 0}
    for program in compare_runs.programs():
        if names and program.stem not in names:
            continue
        r = compare_runs.run_one([*scen, "compare", str(program.resolve()), "--backends",
                                  "keras-torch,torch"], timeout=600)
        text = r["stdout"] + r["stderr"]
        if r["returncode"] != 0:
            kind, why = "refused", (r["stderr"].strip().splitlines() or ["?"])[-1]
        elif text.count(" agree within ") == text.count("same initial weights"):
            kind, why = "agree", ""  # every fit's verdict: the two agree at every step
        else:
            kind, why = "parts", (r["stdout"].strip().splitlines() or ["?"])[-1]
        counts[kind] += 1
        print(f"{program.stem:45s} {kind:8s} {r['wall_s']:6.1f} s  {why}", flush=True)
    total = sum(counts.values())
    print(f"\nscen compare ran on {counts['agree'] + counts['parts']}/{total}; the port and "
          f"Keras's fit agree at every step on {counts['agree']}, part on {counts['parts']}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--json")
    parser.add_argument("--compare", action="store_true")
    args = parser.parse_args()
    python = sys.executable
    scen = [str(Path(python).with_name("scen"))]
    if args.compare:
        return compare_all(scen, args.names)
    rows = []
    for program in compare_runs.programs():
        if args.names and program.stem not in args.names:
            continue
        row = judge(compare_runs.run_both(str(program), scen, python))
        rows.append(row)
        same = row["same_status"] and row["same_output"] and row["same_files"]
        print(f"{row['program']:45s} {'same' if same else 'DIFFERS':8s} "
              f"port {row['on_port']}/{row['fits']}  python {row['python_s']:6.1f} s  "
              f"scen {row['scen_s']:6.1f} s  ratio {row['python_s'] / row['scen_s']:.2f}",
              flush=True)
        for reason in row["fallbacks"]:
            print(f"    {reason}")
    fits = sum(r["fits"] for r in rows)
    on_port = sum(r["on_port"] for r in rows)
    differ = [r["program"] for r in rows
              if not (r["same_status"] and r["same_output"] and r["same_files"])]
    ported = [r["python_s"] / r["scen_s"] for r in rows if r["fits"] and r["on_port"] == r["fits"]]
    print(f"\nfits on the port: {on_port}/{fits} ({on_port / max(fits, 1):.0%})")
    print(f"programs that differ under scen: {len(differ)}/{len(rows)} {differ or ''}")
    if ported:
        print(f"median wall ratio python/scen where every fit ran on the port: "
              f"{statistics.median(ported):.2f} ({len(ported)} programs)")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
