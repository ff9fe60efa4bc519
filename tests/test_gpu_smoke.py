"""benchmarks/gpu_smoke.py on the CPU, as a test of itself: every engine and precision runs,
the port's first 50 steps match Keras's fit, labels-1-2 does not crash its process, a sweep
runs, and the JSON says so (one scenario: each compiled run costs a first compilation here)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SMOKE = Path(__file__).parents[1] / "benchmarks" / "gpu_smoke.py"


@pytest.mark.slow
def test_the_gpu_smoke_script_runs_on_the_cpu(tmp_path):
    out = tmp_path / "smoke.json"
    done = subprocess.run([sys.executable, str(SMOKE), "--device", "cpu", "--scenarios",
                           "toy-blobs", "--seeds", "8", "--json", str(out)],
                          capture_output=True, text=True, timeout=1500, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    assert report["ok"]
    runs = {(r["scenario"], r["engine"], r["precision"]): r for r in report["runs"]}
    assert len(runs) == 3 * 3
    assert all(r["status"] == "completed" and r["steps_per_s"] > 0 for r in runs.values())
    assert [q["status"] for q in report["parity"]] == ["passes"]
    assert all(q["steps"] >= 10 for q in report["parity"])
    assert not report["labels_1_2"]["crashed"] and report["sweep"]["status"] == "completed"
