"""`scen compare train.py`: a user's script on several backends, from the same weights."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from scen.scenario import ScenError
from scen.script_compare import compare_script

SCRIPTS = Path(__file__).with_name("scripts")
BACKENDS = ["keras-torch", "keras-jax"]

needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                               reason="jax is not installed")


def compare(name: str, logdir, backends=BACKENDS):
    return compare_script(str(SCRIPTS / name), [], backends, logdir=str(logdir))


@needs_jax
def test_every_backend_starts_from_the_first_ones_weights_and_agrees(logdir):
    first, second = compare("two_fits.py", logdir)
    assert [c.variant for c in (first, second)] == ["fit1", "fit2"]
    torch_run, jax_run = first.runs["keras-torch"], first.runs["keras-jax"]
    with np.load(f"{torch_run.run_dir}/initial_weights.npz") as a, \
            np.load(f"{jax_run.run_dir}/initial_weights.npz") as b:
        assert all(np.array_equal(a[k], b[k]) for k in a.files)
    assert len(torch_run.step_losses) == 3 * 4  # 120 samples, batches of 30, 3 epochs
    for c in (first, second):
        assert c.parted_at == {"keras-torch": None, "keras-jax": None}
        assert any("agree within" in line for line in c.verdict)


@needs_jax
@pytest.mark.parametrize("name, says", [
    ("random_data.py", "the script's data differ across backends"),
    ("backend_model.py", "the models differ: weight 0 (sequential/dense/kernel) is (3, 5)"),
    ("streams.py", "compare needs fit's data as NumPy arrays, and x is a generator"),
])
def test_refused_with_a_reason(logdir, name, says):
    with pytest.raises(ScenError, match=r"^" + says.replace("(", r"\(").replace(")", r"\)")):
        compare(name, logdir)


@pytest.mark.parametrize("backends, says", [
    (["keras-torch", "tf"], "unknown backend 'tf'"),
    (["keras-torch"], "at least two backends"),
    (["keras-torch", "keras-torch"], "names keras-torch twice"),
])
def test_bad_backends(logdir, backends, says):
    with pytest.raises(ScenError, match=says.replace("(", r"\(").replace(")", r"\)")):
        compare("two_fits.py", logdir, backends)


@needs_jax
def test_cli_compare_of_a_script(tmp_path):
    r = subprocess.run([sys.executable, "-m", "scen.cli.main", "compare",
                        str(SCRIPTS / "reads_argv.py"), "--backends", "keras-torch,keras-jax",
                        "--logdir", str(tmp_path), "--", "2", str(tmp_path / "seen.json")],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert "reads_argv [fit1]: same initial weights, batches in data order, 8 steps" in r.stdout
    assert "agree within" in r.stdout
