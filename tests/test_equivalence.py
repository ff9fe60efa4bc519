"""The equivalence corpus (tests/equivalence/programs/): each program under `python` and under
`scen run` is the same program - the same exit status, the same output of its own, the same
files - while scen trains its fits on the native port wherever the port takes them.
benchmarks/equivalence.py runs them all side by side with timings and engines."""

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).with_name("equivalence")))

import compare_runs  # noqa: E402

# In the quick run: callbacks, metric objects and a restore of the best weights (each program
# is two whole processes, ~15 s).
QUICK = {"callbacks_early_stopping_restore"}
SCEN = [str(Path(sys.executable).with_name("scen"))]


@pytest.mark.parametrize("program", [
    pytest.param(p, id=p.stem, marks=() if p.stem in QUICK else pytest.mark.slow)
    for p in compare_runs.programs()])
def test_a_program_under_scen_is_the_same_program(program):
    r = compare_runs.run_both(str(program), SCEN, sys.executable)
    assert r["python_returncode"] == r["scen_returncode"], r["scen_stderr"][-2000:]
    same, _ = compare_runs.script_stdout(r)
    assert same, (r["python_stdout"], r["scen_stdout"])
    assert r["python_files"] == r["scen_files"]
