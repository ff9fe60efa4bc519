"""The CLI as a user meets it: fast answers, clear one-line errors, Ctrl-C that keeps the logs."""

import json
import os
import signal
import subprocess
import sys
import time

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
    assert "default: keras-torch" in out and "default: fp32" in out


@pytest.mark.parametrize("args, says", [
    (["run", "toy-blob"], "did you mean 'toy-blobs'"),
    (["run", "toy-blobs", "--variant", "rmsprop-lr-01"], "did you mean 'rmsprop-lr-0.1'"),
    (["run", "toy-blobs", "--device", "tpu"], "unknown device 'tpu'"),
    (["run", "toy-blobs", "--precision", "fp8"], "unknown precision 'fp8'"),
    (["run", "toy-blobs", "--backend", "mxnet"], "unknown backend 'mxnet'"),
    (["run", "toy-blobs", "--epochs", "0"], "--epochs must be a positive"),
    (["run", "toy-blobs", "--logdir", "/proc/no-such-place"], "cannot write the log directory"),
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
    r = scen("run", "toy-blobs", "--device", "cuda", "--epochs", "1")
    assert r.returncode == 2 and "CUDA is not available" in r.stderr
    assert "Traceback" not in r.stderr


def test_ctrl_c_keeps_readable_logs_and_marks_the_run_interrupted(tmp_path):
    proc = subprocess.Popen([*SCEN, "run", "toy-blobs", "--logdir", str(tmp_path), "-q"],
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
    assert 0 < epochs < 500

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
