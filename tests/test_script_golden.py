"""`scen golden --record|--check train.py --dir DIR`: a user's own script's goldens.

A record pins each fit's per-epoch history on each backend, with scen.golden's twins; a check
runs the script again and compares with scen.golden.differences. Both sides: the same script
passes, the same file with another learning rate (a command-line argument) fails at epoch 1.
"""

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

from scen import golden
from scen.cli import main as cli
from scen.scenario import ScenError
from scen.script_golden import check, load

SCRIPTS = Path(__file__).with_name("scripts")

needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                               reason="jax is not installed")


def scen(capsys, *args):
    code = cli.main(["golden", *args])
    out, err = capsys.readouterr()
    return code, out, err


def test_record_then_check_passes_and_a_changed_learning_rate_fails(tmp_path, capsys):
    script, where = str(SCRIPTS / "learning_rate.py"), str(tmp_path / "my-goldens")
    code, out, err = scen(capsys, "--record", script, "--dir", where, "--backend", "keras-torch",
                          "--", "0.05")
    assert code == 0, err
    assert "twin: avx2 kernels" in err and "twin: sse4 kernels" in err
    rec = json.loads((tmp_path / "my-goldens/learning_rate/fit1/keras-torch.json").read_text())
    assert rec["args"] == ["0.05"] and rec["weights_from"] == "keras-torch"
    assert len(rec["history"]["loss"]) == 3 and len(rec["tolerance"]) == 3
    assert min(t for t in rec["tolerance"] if t is not None) >= golden.VALUE_FLOOR
    assert rec["checks"]["diverging_loss"] == {"measured": None, "holds": False}

    code, out, err = scen(capsys, "--check", script, "--dir", where)  # with the args recorded
    assert code == 0, out + err
    assert out.startswith(f"all 1 golden file(s) of learning_rate (one per fit and backend) "
                          f"match, in {where} ("), out

    code, out, err = scen(capsys, "--check", script, "--dir", where, "--", "0.06")
    assert code == 1, err
    assert "running with the arguments 0.06 (recorded with 0.05)" in err
    lines = out.strip().splitlines()
    assert any(line.startswith("learning_rate [fit1] on keras-torch: epoch 1 loss = ")
               for line in lines), out
    assert any(line.startswith("learning_rate [fit1] on keras-torch: epoch 1 learning_rate = ")
               for line in lines), out


@needs_jax
def test_every_backend_starts_from_the_first_ones_weights(tmp_path, capsys, monkeypatch):
    """keras-torch and keras-jax recorded (the ISA-capped twins left out, for time); a check of
    keras-jax alone runs keras-torch first, for the initial weights its goldens started from."""
    monkeypatch.setattr(golden, "ISA_CAPS", {})
    script, where = str(SCRIPTS / "learning_rate.py"), str(tmp_path / "g")
    code, out, err = scen(capsys, "--record", script, "--dir", where, "--backend", "keras-torch",
                          "--backend", "keras-jax", "--logdir", str(tmp_path / "runs"))
    assert code == 0, err
    goldens = load(where, "learning_rate")
    assert list(goldens) == ["keras-torch", "keras-jax"]
    assert {fits[0]["weights_from"] for fits in goldens.values()} == {"keras-torch"}
    # Each backend's run and its two twins: three starts (one ulp up, one down), each on both.
    starts = {}
    for run in (tmp_path / "runs/learning_rate").iterdir():
        with np.load(run / "initial_weights.npz") as f:
            weights = b"".join(f[k].tobytes() for k in sorted(f.files))
        starts.setdefault(weights, []).append(run.name.split("-fit1-")[1].split("-fp32")[0])
    assert sorted(map(sorted, starts.values())) == [["keras-jax", "keras-torch"]] * 3

    code, out, err = scen(capsys, "--check", script, "--dir", where, "--backend", "keras-jax")
    assert code == 0, out + err
    assert "keras-torch: runs too, the goldens start from its initial weights" in err
    assert "all 2 golden file(s) of learning_rate" in out


def test_a_new_record_replaces_the_scripts_old_one(tmp_path, monkeypatch):
    monkeypatch.setattr(golden, "ISA_CAPS", {})
    script, where = str(SCRIPTS / "learning_rate.py"), tmp_path / "g"
    from scen.script_golden import record

    (where / "other/fit1").mkdir(parents=True)
    (where / "other/fit1/keras-torch.json").write_text("{}")  # another script's: kept
    record(script, ["0.05", "2"], str(where), ["keras-torch"])
    assert sorted(p.relative_to(where).as_posix() for p in where.rglob("*.json")) == [
        "learning_rate/fit1/keras-torch.json", "learning_rate/fit2/keras-torch.json",
        "other/fit1/keras-torch.json"]
    record(script, ["0.05"], str(where), ["keras-torch"])
    assert sorted(p.relative_to(where).as_posix() for p in where.rglob("*.json")) == [
        "learning_rate/fit1/keras-torch.json", "other/fit1/keras-torch.json"]
    assert not (where / "learning_rate/fit2").exists()
    assert check(script, ["0.05", "2"], str(where)) == (
        ["learning_rate [fit2] on keras-torch: a new fit, not in the goldens"], 1)
    other = tmp_path / "other.py"
    other.write_text((SCRIPTS / "learning_rate.py").read_text())
    with pytest.raises(ScenError, match="other/fit1/keras-torch.json is not a script's golden"):
        check(str(other), None, str(where))


@pytest.mark.parametrize("args, says", [
    (["--record"], "--record needs a script"),
    (["--record", "{script}"], "--dir: name the directory of learning_rate's goldens"),
    (["--check", "{script}", "--dir", "{tmp}/nowhere"], "no golden directory at"),
    (["--check", "{script}", "--dir", "{tmp}"], "no goldens for learning_rate in"),
    (["--check", "{tmp}/train.py", "--dir", "{tmp}"], "no such script:"),
    (["--check", "toy-blobs", "--dir", "{tmp}"], "toy-blobs is a scenario"),
    (["--record", "{script}", "--check", "--dir", "{tmp}"], "--record or --check: choose one"),
    (["--record", "{script}", "--update", "--dir", "{tmp}"], "--update re-records the built-in"),
    (["--record", "{script}", "--dir", "{tmp}", "--backend", "pytorch"],
     "unknown backend 'pytorch'"),
    (["--check", "--update"], "--check or --update: choose one"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, args, says):
    args = [a.format(script=SCRIPTS / "learning_rate.py", tmp=tmp_path) for a in args]
    code, out, err = scen(capsys, *args)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (out, err)
    assert len(lines) == 1 and lines[0].startswith(f"error: {says}"), err
    assert list(tmp_path.iterdir()) == []


def test_a_read_only_working_directory_stops_only_what_writes_there(tmp_path, monkeypatch):
    """golden's logs go to a temporary directory (or --logdir), so a working directory that
    cannot be written in is no reason to refuse it; `scen run`, whose logs go to ./runs, is."""
    import errno
    import tempfile

    from scen import runner
    from scen.script import ScriptSpec
    from scen.script_golden import check_script

    here = tmp_path / "read-only"
    here.mkdir()
    monkeypatch.chdir(here)
    real = tempfile.TemporaryFile

    def temporary_file(*args, dir=None, **kw):
        if dir is not None and Path(dir).resolve() == here.resolve():
            raise OSError(errno.EROFS, "Read-only file system")
        return real(*args, dir=dir, **kw)

    monkeypatch.setattr(runner.tempfile, "TemporaryFile", temporary_file)
    script = str(SCRIPTS / "learning_rate.py")
    assert check_script(script, None) == check_script(script, str(tmp_path / "logs"))
    with pytest.raises(ScenError, match="--logdir 'runs': cannot write"):
        ScriptSpec(script).check()
