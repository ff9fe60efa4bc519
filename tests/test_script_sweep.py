"""`scen sweep train.py`: a user's script once per seed, judged on its own metric."""

import json
import sys
from pathlib import Path

import pytest

from scen.scenario import ScenError
from scen.script_sweep import ScriptSweepSpec, judge, run_script_sweep

SCRIPTS = Path(__file__).with_name("scripts")
SCEN = [sys.executable, "-m", "scen.cli.main"]


def test_a_healthy_script_reaches_the_threshold_on_every_seed(tmp_path):
    r = run_script_sweep(ScriptSweepSpec(str(SCRIPTS / "healthy.py"), seeds="3", threshold=0.9,
                                         logdir=str(tmp_path)))
    s = r.summary()
    assert (s["seeds"], s["reached"], s["stuck"], s["failed"]) == (3, 1.0, 0.0, 0)
    losses = {tuple(o.values) for o in r.seeds}
    doc = json.loads((Path(r.run_dir) / "sweep.json").read_text())
    assert doc["status"] == "completed" and len(doc["seeds"]) == 3
    assert len(list(Path(r.run_dir).glob("seed-*/healthy/*/result.json"))) == 3
    assert losses  # each seed's metric per epoch is recorded
    # The scenario sweep's outputs: the table, seeds.csv, sweep.png, an HParams row.
    table = r.format_table().splitlines()
    assert table[0].split() == ["lr", "seeds", "reached", "median", "ep", "p10", "ep", "p90",
                                "ep", "stuck", "status"]
    assert table[1].split()[1:3] == ["3", "100.0%"]
    assert len((Path(r.run_dir) / "seeds.csv").read_text().splitlines()) == 1 + 3
    assert (Path(r.run_dir) / "sweep.png").read_bytes()[:4] == b"\x89PNG"
    from test_sweep import _hparams_view

    hparams, metrics = _hparams_view(str(tmp_path))
    assert {"learning_rate", "metric", "seeds"} <= hparams and "success_rate" in metrics


def test_a_one_unit_softmax_is_stuck_on_every_seed(tmp_path):
    r = run_script_sweep(ScriptSweepSpec(str(SCRIPTS / "one_unit_softmax.py"), seeds="2",
                                         stuck_epochs=3, logdir=str(tmp_path)))
    s = r.summary()
    assert s["reached"] == 0.0 and s["stuck"] == 1.0, r.format_table()


def test_a_metric_the_fit_does_not_log_is_said_per_seed(tmp_path):
    r = run_script_sweep(ScriptSweepSpec(str(SCRIPTS / "healthy.py"), seeds="1", metric="auc",
                                         logdir=str(tmp_path)))
    (o,) = r.seeds
    assert o.status == "failed" and "no fit logged 'auc'" in o.error and "accuracy" in o.error


def test_lower_is_better_for_a_loss_and_stuck_is_no_progress():
    from scen.runner import RunResult, RunSpec
    from scen.script import ScriptResult, ScriptSpec

    def result(values):
        run = RunResult(RunSpec("x"), "", "completed", None, {}, {"val_loss": values}, [], 0, 0)
        return ScriptResult(ScriptSpec("x.py"), "completed", [run])

    spec = ScriptSweepSpec("x.py", metric="val_loss", threshold=0.2, stuck_epochs=3)
    assert judge(spec, 0, result([0.9, 0.5, 0.19]), None).reached == 3
    stuck = judge(spec, 0, result([0.9, 0.89, 0.88, 0.87]), None)
    assert stuck.reached is None and stuck.stuck


@pytest.mark.parametrize("change, says", [
    (dict(metric=" "), "--metric is empty"),
    (dict(threshold=float("nan")), "--threshold must be a number"),
    (dict(path="missing.py"), "no such script"),
    (dict(seeds="0"), "must be positive"),
])
def test_bad_script_sweeps_fail_before_anything_runs(tmp_path, change, says):
    spec = ScriptSweepSpec(**{"path": str(SCRIPTS / "healthy.py"), "logdir": str(tmp_path),
                              **change})
    with pytest.raises(ScenError, match=says):
        run_script_sweep(spec)
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_interrupted_before_any_seed_finished_says_so_not_nan():
    from scen.script_sweep import ScriptSweepResult, ScriptSweepSpec

    result = ScriptSweepResult(ScriptSweepSpec("train.py"), "runs/x", [], "interrupted")
    assert result.format_table() == "accuracy >= 0.95: no seed finished"
