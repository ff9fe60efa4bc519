"""Data sets that are loaded, not generated. Synthetic data lives with its scenario."""

from __future__ import annotations

import os

import numpy as np

from scen.scenario import ScenError

MNIST_ENV = "SCEN_MNIST"


def load_mnist(path: str | None = None):
    """((x_train, y_train), (x_test, y_test)) as `keras.datasets.mnist.load_data()` returns them.

    A local copy (the argument or $SCEN_MNIST) comes first; otherwise Keras's own loader, which
    reads its cache (~/.keras/datasets/mnist.npz) or downloads.
    """
    path = path or os.environ.get(MNIST_ENV)
    if path:
        if not os.path.isfile(path):
            raise ScenError(f"{MNIST_ENV}={path}: no such file (expected Keras's mnist.npz)")
        with np.load(path) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
    import keras

    try:
        return keras.datasets.mnist.load_data()
    except Exception as e:  # offline: Keras's download fails
        raise ScenError(
            f"MNIST is not available ({type(e).__name__}); this machine cannot download it: "
            f"set {MNIST_ENV}=/path/to/mnist.npz (Keras's file, e.g. ../shared/data/mnist.npz)"
        ) from None
