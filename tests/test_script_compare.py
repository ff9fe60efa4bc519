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


def compare(name: str, logdir, backends=BACKENDS, args=(), notes=None):
    return compare_script(str(SCRIPTS / name), list(args), backends, logdir=str(logdir),
                          notes=notes)


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
])
def test_refused_with_a_reason(logdir, name, says):
    with pytest.raises(ScenError, match=r"^" + says.replace("(", r"\(").replace(")", r"\)")):
        compare(name, logdir)


def test_a_tf_data_dataset_is_compared_by_its_first_element(logdir):
    """compare looks into a shuffling tf.data.Dataset (its first element, a look that takes
    the same shuffle on both backends): the port and Keras's fit then train alike."""
    pytest.importorskip("tensorflow")
    notes = []
    (c,) = compare("datasets.py", logdir, ["keras-torch", "torch"], ["tfdata"], notes=notes)
    assert c.parted_at == {"keras-torch": None, "torch": None}, c.verdict


def test_generators_and_pydatasets_compare_by_their_first_batch(logdir):
    """The port and Keras's fit take a generator's and a PyDataset's batches alike; the
    data are checked by their first batch, and the note says so."""
    notes = []
    comparisons = compare("streams.py", logdir, ["keras-torch", "torch"], notes=notes)
    assert len(comparisons) == 2
    for c in comparisons:
        assert c.parted_at == {"keras-torch": None, "torch": None}, c.verdict
    assert any("fit 1, 2: data that are not arrays" in n and "first batch" in n for n in notes)


def test_a_script_that_fails_after_its_fits_has_them_compared(logdir, tmp_path):
    script = tmp_path / "then_fails.py"
    script.write_text((SCRIPTS / "two_fits.py").read_text() + "\nraise KeyError('val_acc')\n")
    notes = []
    comparisons = compare_script(str(script), [], ["keras-torch", "torch"], logdir=str(logdir),
                                 notes=notes)
    assert [c.variant for c in comparisons] == ["fit1", "fit2"]
    assert all(c.parted_at == {"keras-torch": None, "torch": None} for c in comparisons)
    assert notes == ["keras-torch: the script exited with status 1 after 2 fit(s) "
                     "(KeyError: 'val_acc')",
                     "torch: the script exited with status 1 after 2 fit(s) (KeyError: 'val_acc')"]
    early = tmp_path / "fails_first.py"
    early.write_text("raise KeyError('no data')\n")
    with pytest.raises(ScenError, match="on keras-torch the script failed before its first fit "
                                        r"\(exit status 1: KeyError: 'no data'\)"):
        compare_script(str(early), [], ["keras-torch", "torch"], logdir=str(logdir))


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
