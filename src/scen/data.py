"""Data sets that are loaded, not generated. Synthetic data lives with its scenario."""

from __future__ import annotations

import contextlib
import io
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
        return _checked_mnist(path)
    import keras

    try:
        with contextlib.redirect_stdout(io.StringIO()):  # Keras's "Downloading data from ..."
            return keras.datasets.mnist.load_data()
    except Exception as e:  # offline: Keras's download fails
        why = " ".join(f"{type(e).__name__}: {e}".split())[:100]
        raise ScenError(
            f"MNIST is not available: Keras's download failed ({why}); set "
            f"{MNIST_ENV}=/path/to/mnist.npz (Keras's file, e.g. ../shared/data/mnist.npz)"
        ) from None


def _checked_mnist(path: str):
    """Keras's mnist.npz, or a ScenError saying what is wrong with the file."""
    def bad(why: str) -> ScenError:
        return ScenError(f"{MNIST_ENV}={path} is not Keras's mnist.npz: {why}")

    try:
        with np.load(path, allow_pickle=False) as f:
            missing = {"x_train", "y_train", "x_test", "y_test"} - set(f.files)
            if missing:
                raise bad(f"no {', '.join(sorted(missing))} in it")
            arrays = {k: f[k] for k in ("x_train", "y_train", "x_test", "y_test")}
    except ScenError:
        raise
    except Exception as e:  # empty, truncated, not a zip, object arrays (pickles refused)
        raise bad(f"{type(e).__name__}: {' '.join(str(e).split())[:120]}") from None
    for part in ("train", "test"):
        x, y = arrays[f"x_{part}"], arrays[f"y_{part}"]
        if x.ndim != 3 or x.shape[1:] != (28, 28) or y.shape != (len(x),):
            raise bad(f"x_{part} {x.shape} and y_{part} {y.shape}; expected (n, 28, 28) and (n,)")
        if not (np.issubdtype(x.dtype, np.number) and np.issubdtype(y.dtype, np.integer)):
            raise bad(f"x_{part} is {x.dtype} and y_{part} is {y.dtype}; expected numbers and "
                      "integer labels")
        if len(y) and (y.min() < 0 or y.max() > 9):
            raise bad(f"y_{part} holds labels {y.min()}..{y.max()}; expected digits 0..9")
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])
