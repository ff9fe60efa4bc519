"""`scen.keras.TensorBoard`: Keras's TensorBoard callback, tag for tag, without TensorFlow."""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from tensorboard_probe import read, train_and_read

PROBE = str(Path(__file__).with_name("tensorboard_probe.py"))


def probe_in_subprocess(which: str, backend: str, logdir) -> dict:
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    env = dict(os.environ, KERAS_BACKEND=backend, TF_CPP_MIN_LOG_LEVEL="3")
    out = subprocess.run([sys.executable, PROBE, which, str(logdir)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def without_gradients(events: dict) -> dict:
    return {run: {t: s for t, s in tags.items() if not t.endswith("/gradient")}
            for run, tags in events.items()}


@pytest.fixture(scope="module")
def keras_own(tmp_path_factory):
    """What keras.callbacks.TensorBoard writes on the TensorFlow backend: tags and steps."""
    return probe_in_subprocess("keras", "tensorflow", tmp_path_factory.mktemp("keras-tb"))


def test_same_tags_and_steps_as_keras_on_tensorflow_plus_gradients(tmp_path, keras_own):
    ours = train_and_read("scen", str(tmp_path))  # this process: Keras on torch
    assert without_gradients(ours) == keras_own
    weights = [t[: -len("/histogram")] for t in keras_own["train"] if t.endswith("/histogram")]
    assert len(weights) == 4
    for w in weights:  # the gradient of the last batch, beside each weight
        assert ours["train"][f"{w}/gradient"] == [0, 1]


def test_jax_backend_without_tensorflow_writes_the_same_and_recomputes_gradients(tmp_path,
                                                                               keras_own):
    ours = probe_in_subprocess("scen-without-tf", "jax", tmp_path)
    assert without_gradients(ours) == keras_own
    assert ours["train"]["sequential/dense/kernel/gradient"] == [0, 1]


def test_curves_hold_fits_numbers_and_update_freq_thins_batches(tmp_path):
    import keras

    from scen.keras import TensorBoard

    x = np.random.default_rng(0).random((40, 2)).astype("float32")
    y = x @ np.array([[1.0], [-1.0]], dtype="float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    history = model.fit(x, y, batch_size=10, epochs=3, verbose=0,
                        validation_data=(x[:10], y[:10]),
                        callbacks=[TensorBoard(tmp_path, update_freq=3, write_graph=False)])
    events = read(str(tmp_path))
    assert events["train"]["batch_loss"] == [3, 6, 9, 12]  # 4 batches an epoch, 12 in all
    assert events["train"]["epoch_loss"] == [0, 1, 2]  # every epoch, whatever update_freq
    assert "keras" not in events["train"] and not any("histogram" in t for t in events["train"])
    from scen_test_util import scalars

    assert scalars(tmp_path / "train", "epoch_loss") == pytest.approx(history.history["loss"])
    assert scalars(tmp_path / "validation", "epoch_loss") == pytest.approx(
        history.history["val_loss"])
    assert scalars(tmp_path / "train", "epoch_learning_rate") == pytest.approx([0.05] * 3)


@pytest.mark.parametrize("kwargs, says", [(dict(update_freq="often"), "update_freq"),
                                          (dict(profile_batch=(5, 2)), "profile_batch")])
def test_bad_arguments_raise_as_keras_does(kwargs, says):
    from scen.keras import TensorBoard

    with pytest.raises(ValueError, match=says):
        TensorBoard("logs", **kwargs)
