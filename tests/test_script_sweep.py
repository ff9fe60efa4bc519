"""`scen sweep train.py`: a user's script over many seeds, judged on its own metric: every seed
at once in the batched engine where the port takes the script's first fit, else one process
per seed."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

from scen.scenario import ScenError
from scen.script_sweep import ScriptSweepSpec, judge, run_script_sweep

SCRIPTS = Path(__file__).with_name("scripts")
SCEN = [sys.executable, "-m", "scen.cli.main"]


def test_a_healthy_script_reaches_the_threshold_on_every_seed(tmp_path):
    r = run_script_sweep(ScriptSweepSpec(str(SCRIPTS / "healthy.py"), seeds="3", threshold=0.9,
                                         backend="keras-torch", logdir=str(tmp_path)))
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


# ---- the batched engine: every seed at once, each its own run ------------------------------
def _single(script, seed, tmp_path):
    from scen.script import ScriptSpec, run_script

    (run,) = run_script(ScriptSpec(str(SCRIPTS / script), [], "auto", "cpu", "fp32", seed,
                                   str(tmp_path / f"single-{seed}"), verbose=0)).runs
    return run.history


@pytest.mark.parametrize("script", ["healthy.py", "numpy_seeded_data.py"])
def test_a_script_sweep_trains_every_seed_at_once_each_as_its_own_run(script, tmp_path):
    """healthy.py makes the same data on every seed (its own generator): the preamble runs for
    the first and last seed only. numpy_seeded_data.py draws them from NumPy's global
    generator, which the seed seeds: the preamble runs for every seed. Either way a seed's
    losses are its `scen run --seed s` run's, within 1e-5 (the batched kernels round a few
    values an ulp apart)."""
    r = run_script_sweep(ScriptSweepSpec(str(SCRIPTS / script), seeds="0-2", metric="loss",
                                         threshold=0.0, logdir=str(tmp_path)))
    assert r.engine.startswith("batched: all 3 seeds"), r.engine
    assert [o.status for o in r.seeds] == ["completed"] * 3
    assert len({tuple(o.losses) for o in r.seeds}) == 3  # three seeds, three runs
    for o in r.seeds[::2]:
        single = _single(script, o.seed, tmp_path)
        np.testing.assert_allclose(o.losses, single["loss"], rtol=1e-5)
        np.testing.assert_allclose(o.values, single["loss"], rtol=1e-5)
    assert not list(Path(r.run_dir).glob("seed-*"))  # no process per seed
    assert json.loads((Path(r.run_dir) / "sweep.json").read_text())["engine"] == r.engine


def test_a_script_that_seeds_itself_is_said_to_start_every_seed_alike(tmp_path):
    r = run_script_sweep(ScriptSweepSpec(str(SCRIPTS / "seeds_itself.py"), seeds="2",
                                         logdir=str(tmp_path)))
    assert r.engine.startswith("batched") and "the script seeds itself" in r.engine, r.engine
    assert r.seeds[0].losses == r.seeds[1].losses  # shuffle=False: the same run twice


def test_what_the_batched_engine_cannot_take_runs_one_process_per_seed_and_says_why(tmp_path):
    script = tmp_path / "with_callback.py"
    script.write_text((SCRIPTS / "healthy.py").read_text().replace(
        "validation_split=0.2)", "validation_split=0.2, "
        "callbacks=[keras.callbacks.CSVLogger('log.csv')])"))
    r = run_script_sweep(ScriptSweepSpec(str(script), seeds="1", threshold=0.5,
                                         logdir=str(tmp_path / "runs")))
    assert r.engine.startswith("one process per seed") and "CSVLogger" in r.engine
    assert [o.status for o in r.seeds] == ["completed"]
    assert len(list(Path(r.run_dir).glob("seed-*/*/*/result.json"))) == 1


def test_early_stopping_and_reduce_lr_on_plateau_act_per_seed_as_in_each_run(tmp_path):
    """Keras's EarlyStopping, a copy per seed on that seed's logs, ends each seed's history
    where its own run ends; ReduceLROnPlateau cuts each seed's rate at its run's epochs."""
    script = tmp_path / "stops.py"
    script.write_text((SCRIPTS / "numpy_seeded_data.py").read_text().replace(
        "epochs=3)", "epochs=40, validation_split=0.25, callbacks=["
        "keras.callbacks.ReduceLROnPlateau(factor=0.5, patience=1, min_delta=0.01), "
        "keras.callbacks.EarlyStopping(patience=3, min_delta=0.01)])"))
    r = run_script_sweep(ScriptSweepSpec(str(script), seeds="0-3", metric="val_loss",
                                         threshold=0.0, logdir=str(tmp_path / "runs")))
    assert r.engine.startswith("batched"), r.engine
    lengths = [len(o.values) for o in r.seeds]
    assert len(set(lengths)) > 1 and max(lengths) < 40, lengths  # each stopped, not together
    for o in r.seeds[:2]:
        single = _single(script, o.seed, tmp_path)
        assert len(o.values) == len(single["val_loss"])
        np.testing.assert_allclose(o.values, single["val_loss"], rtol=1e-5)
        assert o.learning_rate == pytest.approx(single["learning_rate"][0])


def test_a_script_that_fails_before_its_fit_is_run_for_one_seed_only(tmp_path):
    """Every seed would fail alike, each after a whole process of imports: the first seed's
    process shows the failure, and the engine line says the rest were not run."""
    r = run_script_sweep(ScriptSweepSpec(str(SCRIPTS / "fails_before_fit.py"), seeds="0-3",
                                         logdir=str(tmp_path)))
    assert [o.seed for o in r.seeds] == [0] and r.seeds[0].status == "failed"
    assert "KeyError" in r.seeds[0].error
    assert "before its first fit" in r.engine and "3 seed(s) were not run" in r.engine
