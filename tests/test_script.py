"""`scen run|diagnose train.py`: a user's own Keras script, unmodified, under scen."""

import importlib.util
import json
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from scen_test_util import accumulator

from scen.script import ScriptSpec, run_script
from scen.scenario import ScenError

SCRIPTS = Path(__file__).with_name("scripts")
SCEN = [sys.executable, "-m", "scen.cli.main"]


def script(name: str) -> str:
    return str(SCRIPTS / name)


def run(name: str, logdir, *args: str, **kw):
    return run_script(ScriptSpec(script(name), list(args), logdir=str(logdir), verbose=0, **kw))


def scen(*args, cwd=None):
    return subprocess.run([*SCEN, *args], capture_output=True, text=True, timeout=300, cwd=cwd)


def names(findings) -> set[str]:
    return {f["name"] for f in findings}


def test_healthy_script_is_one_run_with_logs_result_and_diagnosis(logdir, capfd):
    import keras

    fit_before, argv_before, path_before = keras.Model.fit, sys.argv[:], sys.path[:]
    result = run("healthy.py", logdir)
    assert "healthy: trained" in capfd.readouterr().out  # the script's output stays visible
    assert result.status == "completed"
    (r,) = result.runs
    assert re.fullmatch(r"\d{8}-\d{6}-fit1-torch-fp32-s0", Path(r.run_dir).name)  # the port
    assert Path(r.run_dir).parent == Path(logdir) / "healthy"
    assert r.status == "completed" and r.epochs_run == 4 and r.history["accuracy"][-1] > 0.9
    assert len(r.step_losses) == 4 * 8  # 160 training samples, batches of 20
    assert not [f for f in r.findings if f["severity"] == "error"]
    saved = json.loads((Path(r.run_dir) / "result.json").read_text())
    assert saved["status"] == "completed" and saved["history"] == r.history
    assert "findings" in json.loads((Path(r.run_dir) / "diagnosis.json").read_text())
    train = accumulator(Path(r.run_dir) / "train")
    assert {"epoch_loss", "epoch_accuracy", "batch_loss"} <= set(train.Tags()["scalars"])
    assert "sequential/dense/kernel/gradient/histogram" in train.Tags()["histograms"]
    assert "epoch_loss" in accumulator(Path(r.run_dir) / "validation").Tags()["scalars"]
    # Nothing of the script's run is left behind in this process.
    assert keras.Model.fit is fit_before and sys.argv == argv_before and sys.path == path_before
    again = run("healthy.py", logdir).runs[0]  # seeded before the script: the same numbers
    assert again.step_losses == r.step_losses and again.run_dir != r.run_dir


def test_one_unit_softmax_is_diagnosed(logdir):
    (r,) = run("one_unit_softmax.py", logdir).runs
    assert r.status == "completed"
    assert "softmax_single_unit" in names(r.findings)


def test_fit_that_raises_is_explained_not_a_traceback(logdir, capfd):
    result = run("bad_labels.py", logdir)
    out = capfd.readouterr().out
    assert "about to fit" in out and "after fit" not in out  # the script stopped at fit
    assert result.status == "raised"
    (r,) = result.runs
    assert r.status == "raised" and "out of bounds" in r.error
    assert "sparse_label_out_of_range" in names(r.findings)
    assert "Traceback" in (Path(r.run_dir) / "error.txt").read_text()
    assert json.loads((Path(r.run_dir) / "result.json").read_text())["status"] == "raised"


def test_two_fits_are_two_runs(logdir):
    result = run("two_fits.py", logdir)
    first, second = result.runs
    assert [Path(r.run_dir).name.split("-")[2] for r in result.runs] == ["fit1", "fit2"]
    assert first.epochs_run == 3 and second.epochs_run == 2
    assert second.history["learning_rate"] == pytest.approx([0.01, 0.01])
    assert second.history["loss"][0] < first.history["loss"][0]  # it went on from fit 1


def test_script_gets_its_argv_main_cwd_and_directory(logdir, tmp_path):
    out = tmp_path / "seen.json"
    (r,) = run("reads_argv.py", logdir, "2", str(out)).runs
    seen = json.loads(out.read_text())
    assert seen["argv"] == [script("reads_argv.py"), "2", str(out)]
    assert seen["name"] == "__main__" and seen["cwd"] == os.getcwd()
    assert seen["path0"] == str(SCRIPTS)
    assert r.epochs_run == 2


def test_generator_and_pydataset_train_with_every_batch(logdir):
    gen, pyds = run("streams.py", logdir).runs
    for r in (gen, pyds):
        assert r.status == "completed" and r.epochs_run == 2
        assert len(r.step_losses) == 2 * 3  # the batch sampled for the diagnosis still trained
    assert "generator" in gen.data_note and "Batches" in pyds.data_note


@pytest.mark.parametrize("name, says", [
    ("missing.py", "no such script"),
    ("fails_before_fit.py", "raised KeyError: 'train' (fails_before_fit.py, line 2)"),
    ("exits_3.py", "exited with status 3"),
    ("no_fit.py", "finished without calling Model.fit"),
])
def test_bad_scripts_are_a_scen_error(logdir, name, says):
    with pytest.raises(ScenError, match=re.escape(says)):
        run(name, logdir)


@pytest.mark.parametrize("args, says, printed", [
    (["run", "nope.py"], "no such script: nope.py", ""),
    (["run", "README.md"], "README.md is not a Python script", ""),
    (["run", "tests/nope.txt"], "no such script: tests/nope.txt", ""),
    (["diagnose", "tests/"], "tests/ is not a file", ""),
    (["run", script("healthy.py"), "--epochs", "2"], "--epochs applies to scenarios", ""),
    (["run", script("healthy.py"), "--verbose", "3"], "--verbose must be 0, 1 or 2", ""),
    (["diagnose", "toy-blobs", "extra"], "only a script (train.py) takes arguments", ""),
    (["compare", script("healthy.py"), "--backends", "keras-torch,pytorch"],
     "unknown backend 'pytorch'", ""),
])
def test_cli_bad_input_is_one_line_exit_2_and_the_scripts_output_stays(args, says, printed):
    r = scen(*args, cwd=Path(__file__).parents[1])
    assert r.returncode == 2, r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and says in lines[0] and "Traceback" not in r.stderr
    assert printed in r.stdout


@pytest.mark.parametrize("command", ["run", "diagnose"])
@pytest.mark.parametrize("name, code, printed", [
    ("fails_before_fit.py", 1, "fails_before_fit: loading"),
    ("exits_3.py", 3, "exits_3: giving up"),
])
def test_a_scripts_own_failure_exits_as_python_would(tmp_path, command, name, code, printed):
    """Not scen's bad input (2): the script's own status, or 1 with Python's traceback."""
    r = scen(command, script(name), "--logdir", str(tmp_path))
    py = subprocess.run([sys.executable, script(name)], capture_output=True, text=True,
                        timeout=300, env={**os.environ, "KERAS_BACKEND": "torch"})
    assert r.returncode == py.returncode == code, r.stderr
    assert printed in r.stdout and printed in py.stdout
    if code == 1:
        assert r.stderr.strip().endswith(py.stderr.strip().splitlines()[-1])
        assert "Traceback (most recent call last)" in r.stderr and "runpy" not in r.stderr


def test_fit_at_the_edges_of_its_data_prints_and_exits_as_python(tmp_path):
    """epochs=0, no rows, a validation split that leaves none (or, above 1, Keras's negative
    split point), empty validation arrays; the last fit's error goes uncaught. The script's
    stdout and stderr (warnings once, as Python shows them; the traceback) and its status are
    python's; scen's summaries only follow the script's own output."""
    r = scen("run", script("edges.py"), "-q", "--logdir", str(tmp_path / "runs"), cwd=tmp_path)
    py = subprocess.run([sys.executable, script("edges.py")], capture_output=True, text=True,
                        timeout=300, cwd=tmp_path, env={**os.environ, "KERAS_BACKEND": "torch"})
    assert r.returncode == py.returncode == 1, r.stderr
    assert "weights unchanged: True" in py.stdout and "0 rows -> " in py.stdout
    assert r.stdout.startswith(py.stdout)
    assert r.stderr == py.stderr


def test_cli_run_and_diagnose_a_script(tmp_path):
    r = scen("run", script("two_fits.py"), "-q", "--logdir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    assert "two_fits [fit1] on torch" in r.stdout and "two_fits [fit2]" in r.stdout
    d = scen("diagnose", script("bad_labels.py"), "--logdir", str(tmp_path))
    assert d.returncode == 1, d.stderr  # the script stopped on fit's exception, as python's 1
    assert "bad_labels: about to fit" in d.stdout and "Traceback" not in d.stdout
    assert d.stderr.rstrip().splitlines()[-1].startswith("RuntimeError: index 4 is")  # python's
    # The native port's gather raises where Keras-on-torch's one_hot raises IndexError.
    assert "raised RuntimeError: index 4 is" in d.stdout and "sparse_label_out_of_range" in d.stdout
    assert "evidence:" in d.stdout


def test_jax_backend_runs_in_a_worker_of_its_own(logdir, tmp_path, capfd):
    if importlib.util.find_spec("jax") is None:
        pytest.skip("jax is not installed")
    out = tmp_path / "seen.json"
    result = run("reads_argv.py", logdir, "2", str(out), backend="keras-jax")
    assert "keras-jax" in Path(result.runs[0].run_dir).name
    assert result.runs[0].info["backend"] == "keras-jax" and result.runs[0].epochs_run == 2
    assert json.loads(out.read_text())["argv"][1:] == ["2", str(out)]
    (r,) = run("one_unit_softmax.py", logdir, backend="keras-jax").runs
    assert "softmax_single_unit" in names(r.findings)


def test_keras_tensorboard_callback_works_without_tensorflow(logdir, tmp_path, monkeypatch):
    import scen.intercept

    monkeypatch.setattr(scen.intercept, "tensorflow_installed", lambda: False)
    (r,) = run("keras_tensorboard.py", logdir, str(tmp_path / "tb")).runs
    assert r.status == "completed"
    train = accumulator(tmp_path / "tb" / "train")
    assert "epoch_loss" in train.Tags()["scalars"]
    assert "sequential/dense/kernel/histogram" in train.Tags()["histograms"]


def test_a_script_in_float16_that_goes_nan_is_blamed_on_float16_not_the_labels(logdir):
    """The script's own keras.config.set_floatx("float16") holds under scen, as under python;
    the epoch that raised is recorded, and the report leads with the cause."""
    import keras

    result = run("float16_nan.py", logdir)
    (r,) = result.runs
    assert r.status == "raised" and "input should be between 0 and 1" in r.error
    found = [f for f in r.findings if f["severity"] != "info"]
    assert found[0]["name"] == "float16_throughout", [f["name"] for f in found]
    assert "labels_out_of_range" not in names(found)
    assert any(f["name"] == "nonfinite_values" and f.get("epoch") == 1 for f in found)
    assert keras.config.floatx() == "float32"  # the script's floatx did not outlive it


def test_cli_diagnose_verify_on_a_script_without_a_mechanical_fix(tmp_path):
    d = scen("diagnose", script("bad_labels.py"), "--verify", "--seeds", "4", "--logdir",
             str(tmp_path))
    assert d.returncode == 1, d.stderr  # the script stopped on fit's exception
    assert ("fit1 sparse_label_out_of_range: no mechanical fix to verify (its fix is a "
            "judgement, not a setting)") in d.stdout
    assert not list(tmp_path.glob("bad_labels/*-verify-*"))  # nothing reran


@pytest.mark.slow
def test_cli_diagnose_verify_proves_a_scripts_fix_in_worker_processes(tmp_path):
    path = tmp_path / "lowlr.py"
    path.write_text(script_text := (
        "import numpy as np\nimport keras\n"
        "rng = np.random.default_rng(0)\n"
        "x = rng.normal(size=(400, 4)).astype('float32')\n"
        "y = (x[:, 0] + x[:, 1] > 0).astype('float32')[:, None]\n"
        "model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation='relu'),\n"
        "                          keras.layers.Dense(1, activation='sigmoid')])\n"
        "model.compile(optimizer=keras.optimizers.SGD(learning_rate=1e-4),\n"
        "              loss='binary_crossentropy', metrics=['accuracy'])\n"
        "model.fit(x, y, epochs=15, batch_size=32, verbose=0)\n"))
    d = scen("diagnose", str(path), "--verify", "--seeds", "8", "--logdir", str(tmp_path / "r"))
    assert d.returncode == 0, d.stderr
    assert "about " in d.stderr and "8 seeds x 2 sides" in d.stderr  # the estimate, first
    line = next(x for x in d.stdout.splitlines() if x.startswith("fit1 learning_rate_too_low"))
    # judged by the symptom (accuracy at chance): a lucky start may escape before the fix
    before = int(line.split("failed ")[1].split("/")[0])
    assert before >= 6 and "0/8 after" in line and "final accuracy" in line, line
    assert "worker processes at a time]: verified" in line, line
    assert path.read_text() == script_text  # the fix never touched the script
    (where,) = (tmp_path / "r" / "lowlr").glob("*-verify-learning_rate_too_low")
    assert {p.name for p in where.iterdir() if p.is_dir()} == {
        f"{side}-seed{s}" for side in ("before", "after") for s in range(8)}


def test_a_scripts_fits_print_keras_style_epoch_lines(logdir, capsys):
    """--verbose 2 on a script, as on a scenario: one line per epoch of each fit, no bar."""
    (r,) = run_script(ScriptSpec(script("healthy.py"), logdir=str(logdir), verbose=2)).runs
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("Epoch ")]
    assert len(lines) == r.epochs_run > 1
    assert lines[-1].startswith(f"Epoch {r.epochs_run}/{r.epochs_run} - ") and "ms/step" in lines[0]


def test_a_script_that_sets_a_mixed_policy_itself_is_a_mixed_run(logdir):
    """keras.mixed_precision.set_global_policy in the script: the run is named and recorded
    bf16 (not the CLI's fp32), and Keras's fit trains it (the port takes float32 only)."""
    import keras

    (r,) = run("mixed_policy.py", logdir).runs
    assert r.status == "completed"
    assert "-keras-torch-bf16-s0" in os.path.basename(r.run_dir)
    assert json.load(open(os.path.join(r.run_dir, "result.json")))["info"]["precision"] == "bf16"
    assert keras.config.dtype_policy().name == "float32"  # the policy did not outlive it


MONITORED = '''
import numpy as np
import keras

rng = np.random.default_rng(4)
x = rng.normal(size=(400, 3)).astype("float32")
y = (x[:, 0] - x[:, 2] > 0).astype("float32")
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
model.fit(x, y, epochs=12, validation_split=0.25, verbose=0, callbacks=[{callback}])
'''


@pytest.mark.parametrize("callback, fires", [
    ("keras.callbacks.EarlyStopping(monitor='val_accuracy', mode='min', patience=2)", True),
    ("keras.callbacks.ReduceLROnPlateau(monitor='val_loss', mode='max', patience=2)", True),
    ("keras.callbacks.EarlyStopping(monitor='val_accuracy', mode='max', patience=2)", False),
])
def test_a_callback_that_watches_its_metric_the_wrong_way_round(logdir, tmp_path, callback,
                                                               fires):
    path = tmp_path / "monitored.py"
    path.write_text(MONITORED.format(callback=callback))
    (r,) = run_script(ScriptSpec(str(path), logdir=str(logdir), verbose=0)).runs
    hit = [f for f in r.findings if f["name"] == "monitor_mode_reversed"]
    assert bool(hit) == fires, names(r.findings)
    if fires:
        assert r.findings[0]["name"] == "monitor_mode_reversed"
        assert "mode='max'" in hit[0]["fix"] or "mode='min'" in hit[0]["fix"]


def test_a_module_beside_the_script_does_not_replace_one_of_scens(tmp_path):
    """The script's folder is first on sys.path for the script's own imports only: scen's
    TensorBoard writer is TensorBoard's, not a tensorboard.py beside train.py."""
    (tmp_path / "tensorboard.py").write_text("raise SystemExit('the wrong tensorboard')\n")
    (tmp_path / "helper.py").write_text("VALUE = 41\n")
    (tmp_path / "train.py").write_text(
        "import helper\n" + (SCRIPTS / "healthy.py").read_text() + "\nprint(helper.VALUE + 1)\n")
    console_script = str(Path(sys.executable).with_name("scen"))  # not -m: cwd not on sys.path
    r = subprocess.run([console_script, "run", str(tmp_path / "train.py"), "-q", "--logdir",
                        str(tmp_path / "runs")], capture_output=True, text=True, timeout=300,
                       cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "wrong tensorboard" not in r.stdout + r.stderr and "42" in r.stdout
    assert list(tmp_path.glob("runs/train/*/events.*"))


def test_diagnose_json_and_fail_on_make_a_ci_gate(tmp_path):
    """--json: the findings on stdout as JSON (the script's own output on stderr); --fail-on
    error|warning: exit 1 where a finding reaches it, 0 where none does."""
    import json

    bad = scen("diagnose", script("one_unit_softmax.py"), "--json", "--fail-on", "error",
               "--logdir", str(tmp_path))
    assert bad.returncode == 1, bad.stderr
    (fit,) = json.loads(bad.stdout)
    assert fit["findings"][0]["name"] == "softmax_single_unit"
    assert fit["findings"][0]["severity"] == "error" and fit["backend"] == "torch"
    good = scen("diagnose", script("healthy.py"), "--json", "--fail-on", "error", "--logdir",
                str(tmp_path))
    assert good.returncode == 0, good.stderr
    assert json.loads(good.stdout)[0]["status"] == "completed"
    assert "healthy: trained" in good.stderr  # the script's own print, out of the JSON's way
    wrong = scen("diagnose", script("healthy.py"), "--fail-on", "fatal")
    assert wrong.returncode == 2 and "--fail-on must be error or warning" in wrong.stderr


OWN_TRAIN_STEP = '''
import numpy as np
import keras
import torch

class Mine(keras.Model):
    """A train_step of its own that neither calls compute_loss nor updates the loss tracker."""
    def train_step(self, data):
        x, y = data
        y_pred = self(x, training=True)
        loss = keras.ops.mean(keras.ops.square(y_pred - y))
        self.zero_grad()
        loss.backward()
        self.optimizer.apply([v.value.grad for v in self.trainable_weights], self.trainable_weights)
        return {"loss": loss}

rng = np.random.default_rng(0)
x = rng.normal(size=(128, 3)).astype("float32")
y = x.sum(1, keepdims=True)
inputs = keras.Input((3,))
model = Mine(inputs, keras.layers.Dense(1)(inputs))
model.compile("adam")
h = model.fit(x, y, epochs=3, batch_size=32, verbose=0)
print("losses fall", h.history["loss"][-1] < h.history["loss"][0])
'''


def test_a_train_step_of_its_own_leaves_a_gap_in_scens_record_not_a_nan(tmp_path, logdir):
    """Keras's loss tracker never moves: the per-step loss is what the step logged, and no
    NaN of scen's own becomes a finding against the script."""
    path = tmp_path / "own_step.py"
    path.write_text(OWN_TRAIN_STEP)
    (run,) = run_script(ScriptSpec(str(path), logdir=str(logdir), verbose=0)).runs
    assert run.status == "completed" and "train_step" in run.engine
    assert len(run.step_losses) == 12 and all(math.isfinite(v) for v in run.step_losses)
    assert not [f for f in run.findings if f["name"] == "nonfinite_values"], run.findings


COPIED_VALIDATION = '''
import sys
import numpy as np
import keras

rng = np.random.default_rng(31)
x = rng.normal(size=(300, 12)).astype("float32")
y = (x[:, 0] - x[:, 2] + rng.normal(0, 1, 300) > 0).astype("float32")

def jitter(a, b):
    return (np.concatenate([a + rng.normal(0, 0.005, a.shape) for _ in range(4)]).astype("float32"),
            np.concatenate([b] * 4))

if sys.argv[1] == "augmented-then-split":
    xa, ya = jitter(x, y)
    p = rng.permutation(len(xa))
    x_tr, y_tr, x_val, y_val = xa[p][:960], ya[p][:960], xa[p][960:], ya[p][960:]
else:
    (x_tr, y_tr), x_val, y_val = jitter(x[:240], y[:240]), x[240:], y[240:]
model = keras.Sequential([keras.Input((12,)), keras.layers.Dense(64, activation="relu"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
model.fit(x_tr, y_tr, epochs=4, batch_size=32, verbose=0, validation_data=(x_val, y_val))
'''


@pytest.mark.parametrize("split", ["augmented-then-split", "split-then-augmented"])
def test_validation_rows_copied_from_training_are_said_to_measure_memory(tmp_path, logdir,
                                                                         split):
    """Jittered copies of every row made before the split put a copy of each validation row
    in training; made after it (the control), validation is honest."""
    path = tmp_path / "copies.py"
    path.write_text(COPIED_VALIDATION)
    (run,) = run_script(ScriptSpec(str(path), [split], logdir=str(logdir), verbose=0)).runs
    leak = [f for f in run.findings if f["name"] == "validation_copies_training"]
    assert bool(leak) == (split == "augmented-then-split"), run.findings
