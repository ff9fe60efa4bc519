"""Every option of every command, fed wrong values: one line, exit 2, nothing left behind.

The commands and options come from the Typer app itself, so a new option is covered the day it
is added: the test fails until BAD (below) says what a wrong value for it looks like.
"""

import os

import pytest
import typer

from scen.cli import main as cli

# A good invocation of each command; each case changes exactly one thing in it.
BASE = {
    "list": ["list"],
    "show": ["show", "toy-blobs"],
    "run": ["run", "toy-blobs"],
    "diagnose": ["diagnose", "toy-blobs"],
    "compare": ["compare", "toy-blobs", "--backends", "keras-torch,torch"],
    "sweep": ["sweep", "toy-blobs"],
    "golden": ["golden", "--backend", "torch", "--scenario", "toy-blobs"],
}
# Wrong values by kind of parameter...
BAD_INT = ["x", "1.5", "-1", "0", "99999999999999999999"]
BAD_FLOAT = ["x", "nan", "inf", "-1", "0"]
# ... and by name, where the kind says too little ("" and Rich markup for every text).
BAD = {
    "name": ["nope", "[/x]", "", "all "],
    "seed": ["x", "1.5", "-1", "4294967296"],
    "variant": ["nope", "[/x]", ""],
    "backend": ["mxnet", "[/x]", ""],
    "backends": ["keras-torch", "torch,torch", "keras-torch,mxnet", ",", ""],
    "device": ["tpu", ""],
    "precision": ["fp8", ""],
    "semantics": ["numpy", ""],
    "logdir": ["", "/proc/no-such-place"],
    "seeds": ["x", "0-", "5-1", "-3", "0", "١٢", "1,1"],
    "lr": ["x", "-0.1", "0", "nan", ""],
    "executor": ["dask", ""],
    "ray_address": ["127.0.0.1:1"],  # without --executor ray
    "directory": ["", "/proc/no-such-place"],
    "scenario": ["", "nope"],
    "verbose": ["3", "-1", "x"],
    "verify_seeds": ["x", "0", "-1", "99999", "4"],  # 4 is a count, but only for --verify
    "histogram_freq": ["-1", "x", "1.5"],
    "update_freq": ["0", "-1", "x"],
    "metric": ["accuracy"],  # a script's; a scenario's sweep judges accuracy itself
    "threshold": ["x", "nan", "0", "1.5"],
    # A script's arguments take the NAME's place here: a script that is not there, or not one.
    "script_args": ["missing.py", "[/x].py", "notes.txt/"],
    "script": ["missing.py", "[/x].py", "notes.txt/"],  # golden's: a script, or none
    "fail_on": ["fatal", "", "Error"],
}
FLAGS_BAD_WITH = {
    "compile": ["--backend", "keras-torch"],  # --compile is the native port's
    "record": [],  # without a script (--update re-records the built-in goldens)
    "check": ["--update"],
    "as_json": ["--verify"],  # --verify prints its own report
}
IGNORED = {"help", "version", "quiet", "update", "verify"}  # flags with no wrong value


def _cases():
    group = typer.main.get_command(cli.app)
    for name, command in group.commands.items():
        base = BASE[name]
        for param in command.params:
            if param.name in IGNORED:
                continue
            flag = next((o for o in param.opts if o.startswith("--")), None)
            if param.param_type_name == "option" and param.is_flag:
                if param.name in FLAGS_BAD_WITH:
                    yield pytest.param(base + [flag] + FLAGS_BAD_WITH[param.name],
                                       id=f"{name} {flag} {' '.join(FLAGS_BAD_WITH[param.name])}")
                else:
                    yield pytest.param(None, id=f"{name} {flag}: no bad values known")
                continue
            kind = param.bare_type()  # Typer's own name of the type: "int", "float", "str"
            values = BAD.get(param.name) or {"int": BAD_INT, "float": BAD_FLOAT}.get(kind)
            if values is None:
                yield pytest.param(None, id=f"{name} {param.name}: no bad values known")
                continue
            for value in values:
                if param.param_type_name == "argument":  # in NAME's place, or first
                    named = len(base) > 1 and not base[1].startswith("-")
                    args = [base[0], value] + base[2 if named else 1:]
                else:
                    args = _without(base, flag) + [flag, value]
                yield pytest.param(args, id=f"{name} {flag or param.name}={value!r}")


def _without(args: list[str], flag: str) -> list[str]:
    if flag not in args:
        return list(args)
    i = args.index(flag)
    return args[:i] + args[i + 2:]


@pytest.mark.parametrize("args", list(_cases()))
def test_a_wrong_value_is_one_line_exit_2_and_leaves_nothing(args, tmp_path, monkeypatch, capsys):
    assert args is not None, "a new option: add its wrong values to BAD in this file"
    assert_refused_in_one_line(args, tmp_path, monkeypatch, capsys)


def assert_refused_in_one_line(args, tmp_path, monkeypatch, capsys) -> None:
    """scen ARGS, run in an empty tmp_path: exit 2, one "error: ..." line on stderr, no
    traceback, nothing written."""
    monkeypatch.chdir(tmp_path)
    code = cli.main(args)
    out, err = capsys.readouterr()
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, (code, out, err)
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in out + err
    assert list(tmp_path.iterdir()) == [], "a bad input left something behind"


@pytest.mark.parametrize("args", [
    ["run"],  # a missing argument
    ["run", "toy-blobs", "--no-such-option"],
    ["nope"],  # an unknown command
    ["run", "toy-blobs", "--epochs"],  # an option without its value
])
def test_parse_errors_are_one_line_too(args, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert cli.main(args) == 2
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines


def test_malformed_mnist_files_are_one_line_each(tmp_path, monkeypatch, capsys):
    import numpy as np

    good = {"x_train": np.zeros((4, 28, 28), "uint8"), "y_train": np.arange(4, dtype="uint8"),
            "x_test": np.zeros((2, 28, 28), "uint8"), "y_test": np.arange(2, dtype="uint8")}
    files = {"empty": b"", "random": os.urandom(300)}
    for name, change in {"wrong-keys": {"x_train": None},
                         "objects": {"y_train": np.array([1, "a"], dtype=object)},
                         "labels-99": {"y_train": np.full(4, 99, "uint8")},
                         "wrong-shape": {"x_train": np.zeros((4, 784), "uint8")}}.items():
        arrays = {k: v for k, v in {**good, **change}.items() if v is not None}
        np.savez(tmp_path / f"{name}.npz", **arrays)
    for name, data in files.items():
        (tmp_path / f"{name}.npz").write_bytes(data)
    (tmp_path / "truncated.npz").write_bytes((tmp_path / "labels-99.npz").read_bytes()[:200])
    for path in sorted(tmp_path.glob("*.npz")):
        monkeypatch.setenv("SCEN_MNIST", str(path))
        logdir = tmp_path / "runs"
        assert cli.main(["run", "mnist-sigmoid", "--epochs", "1", "-q", "--logdir",
                         str(logdir)]) == 2, path.name
        lines = [x for x in capsys.readouterr().err.splitlines() if x.strip()]
        assert len(lines) == 1 and "SCEN_MNIST" in lines[0], (path.name, lines)
        assert not logdir.exists(), f"{path.name}: a directory was left: {list(logdir.rglob('*'))}"


# Options that are each fine alone but cannot work together, or not on this machine.
COMBINATIONS = [
    ["run", "all", "--device", "cuda"] if not __import__("torch").cuda.is_available() else
    ["run", "all", "--device", "cuda", "--backend", "keras-jax"],
    ["golden", "--check", "--update", "--scenario", "toy-blobs"],
    ["sweep", "toy-blobs", "--ray-address", "127.0.0.1:1"],
    ["diagnose", "toy-blobs", "--json", "--verify"],
    ["run", "toy-blobs", "--compile", "--backend", "keras-jax"],
]
NOT_INSTALLED = [  # a backend the user names is not skipped quietly: JAX hidden below
    ["run", "toy-blobs", "--backend", "keras-jax"],
    ["diagnose", "toy-blobs", "--backend", "keras-jax"],
    ["compare", "toy-blobs", "--backends", "keras-torch,keras-jax"],
    ["golden", "--backend", "keras-jax", "--scenario", "toy-blobs"],
    ["golden", "--backend", "keras-jax", "--update", "--scenario", "toy-blobs"],
]


@pytest.mark.parametrize("args", COMBINATIONS + NOT_INSTALLED, ids=" ".join)
def test_unusable_combinations_and_uninstalled_backends_are_one_line(args, tmp_path, monkeypatch,
                                                                      capsys):
    import sys

    monkeypatch.setitem(sys.modules, "jax", None)  # find_spec("jax") is None: not installed
    assert_refused_in_one_line(args, tmp_path, monkeypatch, capsys)
