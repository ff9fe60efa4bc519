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

_KERAS_CACHE = Path.home() / ".keras" / "datasets" / "mnist.npz"


def pytest_collection_modifyitems(config, items):
    """Tests on real MNIST need a local copy (nothing is downloaded during the tests)."""
    local = os.environ.get("SCEN_MNIST")
    if (local and Path(local).is_file()) or _KERAS_CACHE.is_file():
        return
    skip = pytest.mark.skip(reason="no local MNIST: set SCEN_MNIST=/path/to/mnist.npz, or run "
                            "keras.datasets.mnist.load_data() once online")
    for item in items:
        if "mnist" in item.nodeid:
            item.add_marker(skip)


@pytest.fixture
def logdir(tmp_path):
    return str(tmp_path / "runs")


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models on one torch thread: more threads only contend on a shared machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
