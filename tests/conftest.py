"""The test process runs Keras on its torch backend; other backends run in subprocesses."""

import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # identical numbers on every machine

ROOT = Path(__file__).resolve().parents[1]
_shared_mnist = ROOT.parent / "shared" / "data" / "mnist.npz"
if _shared_mnist.exists():
    os.environ.setdefault("SCEN_MNIST", str(_shared_mnist))

import pytest  # noqa: E402


@pytest.fixture
def logdir(tmp_path):
    return str(tmp_path / "runs")
