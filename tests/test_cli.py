"""The CLI as a user meets it: fast answers, clear one-line errors, Ctrl-C that keeps the logs."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

SCEN = [sys.executable, "-m", "scen.cli.main"]


def scen(*args, **kw):
    return subprocess.run([*SCEN, *args], capture_output=True, text=True, timeout=300, **kw)


def test_help_list_show_do_not_import_keras_or_torch():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from scen.cli.main import app\n"
        "for args in (['--help'], ['list'], ['show', 'toy-blobs'], ['run', '--help']):\n"
        "    r = CliRunner().invoke(app, args)\n"
        "    assert r.exit_code == 0, (args, r.output)\n"
        "print(sorted(m for m in ('keras', 'torch', 'tensorflow', 'jax') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_list_names_every_scenario_and_variant():
    from scen import scenario

    out = scen("list").stdout
    for s in scenario.all_scenarios().values():
        assert s.name in out
        for v in s.variants:
            assert v.name[:12] in out


def test_show_gives_the_posted_code_and_the_report():
    out = scen("show", "toy-blobs").stdout
    assert "categorical_crossentropy" in out and "epoch 72" in out


def test_run_help_explains_every_option_with_its_default():
    out = scen("run", "--help").stdout
    for option in ("--variant", "--backend", "--device", "--precision", "--epochs", "--seed",
                   "--logdir", "--quiet"):
        assert option in out
    assert "default: auto" in out and "default: fp32" in out


@pytest.mark.parametrize("args, says", [
    (["run", "toy-blob"], "did you mean 'toy-blobs'"),
    (["run", "toy-blobs", "--variant", "rmsprop-lr-01"], "did you mean 'rmsprop-lr-0.1'"),
    (["run", "toy-blobs", "--device", "tpu"], "unknown device 'tpu'"),
    (["run", "toy-blobs", "--device", "cuda:x"], "unknown device 'cuda:x'; choose from auto, "
                                                 "cpu, cuda, cuda:N"),
    (["run", "toy-blobs", "--device", "cuda:7"], "--device cuda:7: "),  # none, or not 8 GPUs
    (["run", "toy-blobs", "--precision", "fp8"], "unknown precision 'fp8'"),
    (["run", "toy-blobs", "--backend", "mxnet"], "unknown backend 'mxnet'"),
    (["run", "toy-blobs", "--epochs", "0"], "--epochs must be between 1 and"),
    (["run", "toy-blobs", "--logdir", "/proc/no-such-place"], "cannot write in /proc"),
    (["show", "platea"], "did you mean 'plateau'"),
])
def test_bad_input_is_one_line_and_exit_2(args, says):
    r = scen(*args)
    assert r.returncode == 2, r.stderr
    assert "Traceback" not in r.stderr + r.stdout
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and says in lines[0], r.stderr


def test_cuda_without_cuda_is_a_clear_error():
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    for name in ("toy-blobs", "all"):  # `run all` too: one line before any run, not 21 rows
        r = scen("run", name, "--device", "cuda", "--epochs", "1")
        assert r.returncode == 2 and "CUDA is not available" in r.stderr
        assert "Traceback" not in r.stderr and "not run" not in r.stdout


def test_ctrl_c_keeps_readable_logs_and_marks_the_run_interrupted(tmp_path):
    proc = subprocess.Popen([*SCEN, "run", "toy-blobs", "--epochs", "20000", "--logdir",
                             str(tmp_path), "-q", "--no-compile"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.glob("toy-blobs/*/train/events.*")):
        time.sleep(0.2)
    time.sleep(3)  # a few epochs in
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in out and "Traceback" not in err
    (run_dir,) = tmp_path.glob("toy-blobs/*")
    result = json.loads((run_dir / "result.json").read_text())
    assert result["status"] == "interrupted"
    epochs = len(result["history"]["loss"])
    assert 0 < epochs < 20000

    from scen_test_util import scalars

    # Ctrl-C can land between the history and the event file's write of the same epoch.
    assert abs(len(scalars(run_dir / "train", "epoch_loss")) - epochs) <= 1


def test_native_backend_from_the_cli_trains_like_keras_on_torch(tmp_path):
    """The CLI process imports Keras itself: the port must still build on Keras-torch, with
    the same initial weights and shuffles as a Keras-torch run of the same seed."""
    for backend in ("torch", "keras-torch"):
        r = scen("run", "toy-blobs", "--backend", backend, "--epochs", "3", "--seed", "2",
                 "--logdir", str(tmp_path / backend), "-q")
        assert r.returncode == 0, r.stderr
    (port,) = (tmp_path / "torch").glob("toy-blobs/*/result.json")
    (reference,) = (tmp_path / "keras-torch").glob("toy-blobs/*/result.json")
    a, b = json.loads(port.read_text()), json.loads(reference.read_text())
    assert a["step_losses"] == pytest.approx(b["step_losses"], abs=1e-6)


def test_a_missing_data_set_copy_is_one_line_saying_how_to_get_it(tmp_path):
    env = dict(os.environ, SCEN_MNIST=str(tmp_path / "missing.npz"))
    r = scen("run", "mnist-sigmoid", "--epochs", "1", "--logdir", str(tmp_path), "-q", env=env)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "SCEN_MNIST" in lines[0]


def test_help_keeps_every_default_text():
    out = scen("run", "--help").stdout
    assert "[default: as posted]" in out and "Epochs to train ." not in out


def test_version():
    r = scen("--version")
    assert r.returncode == 0 and r.stdout.startswith("scen ")


def test_list_gives_one_row_per_variant_and_never_cuts_a_name():
    from scen import scenario

    for columns in ("80", "160"):
        out = scen("list", env=dict(os.environ, COLUMNS=columns)).stdout
        rows = [line.split() for line in out.splitlines() if line.strip()]
        for s in scenario.all_scenarios().values():
            for v in s.variants:
                assert any(row[0] == v.name for row in rows), (columns, v.name)


def test_markup_in_user_text_is_printed_not_interpreted():
    r = scen("run", "[bold]x")  # a scenario name
    assert r.returncode == 2 and "'[bold]x'" in r.stderr and "Traceback" not in r.stderr
    r = scen("run", "[/x]")  # a path: a script's name
    assert r.returncode == 2 and "no such script: [/x]" in r.stderr and "Traceback" not in r.stderr


def _scen_script():
    """The installed console script: its sys.path starts at its own directory, as a user's does."""
    return [str(Path(sys.executable).parent / "scen")]


def _wait_for(pattern_dir, pattern, count=1, seconds=120):
    deadline = time.time() + seconds
    while time.time() < deadline and len(list(pattern_dir.glob(pattern))) < count:
        time.sleep(0.2)


def _stopped_in_training(tmp_path, *args, sig=signal.SIGINT):
    """`scen ARGS --logdir TMP_PATH` on toy-blobs, stopped by `sig` 2 s after its first event
    file appeared: (exit status, stdout, stderr)."""
    proc = subprocess.Popen([*_scen_script(), *args, "--logdir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(tmp_path, "toy-blobs/*/train/events.*")
    time.sleep(2)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, out, err


def test_sigterm_is_handled_like_ctrl_c(tmp_path):
    code, _, err = _stopped_in_training(tmp_path, "run", "toy-blobs", "--epochs", "20000", "-q",
                                        "--no-compile", sig=signal.SIGTERM)
    assert code == 130, err
    (run_dir,) = tmp_path.glob("toy-blobs/*")
    assert json.loads((run_dir / "result.json").read_text())["status"] == "interrupted"


@pytest.mark.parametrize("delay", [0.0, 0.5, 1.5])
def test_an_interrupt_at_any_moment_leaves_no_run_or_a_readable_one(tmp_path, delay):
    """Ctrl-C during start-up, the first epochs or anywhere between: the run directory either
    does not exist or holds an event file and a result.json that says what happened."""
    proc = subprocess.Popen([*_scen_script(), "run", "rating", "--logdir", str(tmp_path), "-q"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(delay + 2.0)  # start-up (imports) takes a few seconds
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert "Traceback" not in err, err
    for run_dir in tmp_path.glob("rating/*"):
        result = json.loads((run_dir / "result.json").read_text())
        assert result["status"] in ("interrupted", "completed")
        assert list(run_dir.glob("events.*")), "no readable event file"
    # 130: scen stopped; -2: the signal came during start-up imports or the interpreter's exit,
    # and Python ended by SIGINT itself (a shell shows both as 130); 0: the run had finished.
    assert proc.returncode in (0, 130, -signal.SIGINT)


def test_ctrl_c_in_compare_prints_the_table_so_far_and_says_so(tmp_path):
    code, out, err = _stopped_in_training(tmp_path, "compare", "toy-blobs", "--epochs", "20000",
                                          "--backends", "torch,keras-torch")
    assert code == 130, err
    assert "interrupted" in out and "Traceback" not in err
    assert f"interrupted after 1 of 2 backends; logs kept under {tmp_path}/toy-blobs" in err


def test_ctrl_c_in_run_all_stops_and_prints_the_table_so_far(tmp_path):
    proc = subprocess.Popen([*_scen_script(), "run", "all", "--backend", "torch",
                             "--logdir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(tmp_path, "*/*/result.json", count=1)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in out and "Traceback" not in err
    runs = list(tmp_path.glob("*/*"))
    assert len(runs) < 21  # it stopped


def test_workers_import_installed_code_not_the_current_directory(tmp_path):
    """A keras.py in the user's directory must not replace Keras in a backend's worker."""
    pytest.importorskip("jax")
    (tmp_path / "keras.py").write_text("raise SystemExit('the wrong keras was imported')\n")
    r = subprocess.run([*_scen_script(), "run", "rating", "--backend", "keras-jax", "--epochs",
                        "1", "-q", "--logdir", str(tmp_path / "runs")],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "wrong keras" not in r.stderr


@pytest.mark.slow
def test_diagnose_verify_proves_the_learning_rate_fix_over_seeds(tmp_path):
    r = scen("diagnose", "toy-blobs", "--epochs", "40", "--verify", "--seeds", "8",
             "--verbose", "0", "--logdir", str(tmp_path))
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("slow_start: learning rate"))
    assert line.endswith(": verified"), line


def test_verify_seeds_are_checked_before_anything_runs(tmp_path):
    r = scen("diagnose", "toy-blobs", "--verify", "--seeds", "0", "--logdir", str(tmp_path))
    assert r.returncode == 2 and "--seeds must be between 1 and" in r.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.slow
def test_run_all_goes_on_past_a_scenario_whose_data_is_missing(tmp_path):
    env = dict(os.environ, SCEN_MNIST=str(tmp_path / "missing.npz"))
    r = scen("run", "all", "--epochs", "1", "--verbose", "0", "--logdir", str(tmp_path / "runs"),
             env=env)
    assert r.returncode == 0, r.stderr
    rows = [line for line in r.stdout.splitlines() if line.startswith("│ ")]
    assert any("mnist-sigmoid" in x and "not run" in x for x in rows), r.stdout
    assert any("toy-blobs" in x and ("reproduced" in x or "too short" in x) for x in rows)


def test_cuda_n_names_one_of_the_gpus_there_are(monkeypatch):
    import torch

    from scen.runner import RunSpec, resolve_device
    from scen.scenario import ScenError

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device(RunSpec("toy-blobs", device="cuda:1")) == "cuda:1"
    with pytest.raises(ScenError, match=r"--device cuda:2: this machine has 2 GPU\(s\), cuda:0 "
                                        "to cuda:1"):
        resolve_device(RunSpec("toy-blobs", device="cuda:2"))
    with pytest.raises(ScenError, match="--device cuda:0 is supported on the torch backends"):
        resolve_device(RunSpec("toy-blobs", backend="keras-jax", device="cuda:0"))


def _finished(spec):
    """A RunResult as a run that completed one epoch would return, without training."""
    from scen.runner import RunResult

    return RunResult(spec, "unused", "completed", None, {}, {"loss": [1.0]}, [1.0], 0.1, 0.0)


@pytest.mark.parametrize("moment", ["inside the second run", "after a run, before its row"])
def test_ctrl_c_at_any_moment_of_run_all_prints_the_table_so_far(monkeypatch, capsys, tmp_path,
                                                                moment):
    """A signal lands anywhere in the loop, not only inside training: between two runs it
    once escaped with no table (CI saw `interrupted` missing from stdout)."""
    import typer

    import cli.main as cli_main
    import scen.runner
    from scen.runner import RunSpec

    runs = []

    def run(spec):
        runs.append(spec.scenario + "/" + spec.variant)
        if moment == "inside the second run" and len(runs) == 2:
            raise KeyboardInterrupt
        return _finished(spec)

    def measured_text(result):  # runs while the first run's row is being made
        if moment == "after a run, before its row":
            raise KeyboardInterrupt
        return ""

    monkeypatch.setattr(scen.runner, "run", run)
    monkeypatch.setattr(cli_main, "measured_text", measured_text)
    with pytest.raises(typer.Exit) as stopped:
        try:
            cli_main.run_all(RunSpec(scenario="toy-blobs", backend="torch", logdir=str(tmp_path)))
        except KeyboardInterrupt:  # would stop pytest itself
            pytest.fail("the interrupt escaped run all, with no table")
    assert stopped.value.exit_code == 130
    out = capsys.readouterr().out
    stopped_in = runs[-1].split("/")[0]
    assert out.count("interrupted") == 1 and stopped_in in out.split("interrupted")[0]
    shown = out.count("epochs)")  # a completed run's row names its epochs
    assert shown == (1 if moment == "inside the second run" else 0)


def test_ctrl_c_between_two_backends_of_compare_keeps_the_first(monkeypatch, tmp_path):
    import scen.compare

    def progress(i, total, label):
        if i == 2:
            raise KeyboardInterrupt

    monkeypatch.setattr(scen.compare, "run", _finished)
    try:
        c = scen.compare.compare("toy-blobs", "as-posted", ["torch", "keras-torch"],
                                 logdir=str(tmp_path), progress=progress)
    except KeyboardInterrupt:  # would stop pytest itself
        pytest.fail("the interrupt escaped compare, losing the first backend's run")
    assert c.interrupted and list(c.runs) == ["torch"]
    with pytest.raises(KeyboardInterrupt):  # before any backend ran: nothing to compare
        scen.compare.compare("toy-blobs", "as-posted", ["torch", "keras-torch"],
                             logdir=str(tmp_path), progress=lambda *a: progress(2, 2, ""))
