"""`--device auto` on a machine with a GPU chooses by the model's work per step (issue 23): a
network of a few units trains faster on the CPU than through ~60-100 tiny kernel launches a
step. runner.run asks device_by_work only where a GPU is there; the choice itself needs none.
(Patching torch.cuda.is_available would not do: Keras's torch backend caches the device it
sees, and later tests in the process would ask CUDA for its generator.)"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import pytest  # noqa: E402

from scen import runner  # noqa: E402
from scen import scenario as scenarios  # noqa: E402


def test_a_tiny_network_stays_on_the_cpu_and_says_why():
    spec = runner.RunSpec("toy-blobs", device="cuda")
    device, why = runner.device_by_work(scenarios.get("toy-blobs"), spec)
    assert device == "cpu" and "multiply-adds a step" in why and "kernel launches" in why


def test_the_work_counts_a_convolutions_positions():
    import keras

    keras.backend.clear_session()
    dense = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10)])
    conv = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Conv2D(8, 3)])
    assert runner.work_per_step(dense, 32) == 3 * 64 * 10 * 32
    assert runner.work_per_step(conv, 32) == 3 * (26 * 26) * (3 * 3 * 8) * 32


def test_a_model_with_real_work_goes_to_the_gpu(monkeypatch):
    monkeypatch.setattr(runner, "CUDA_WORTH", 10.0)  # any model is "big" against this
    spec = runner.RunSpec("toy-blobs", device="cuda")
    device, why = runner.device_by_work(scenarios.get("toy-blobs"), spec)
    assert device == "cuda" and why.startswith("device auto: cuda")


def test_auto_picks_the_device_keras_picks_by_itself(monkeypatch):
    """keras/src/backend/torch/core.py: $KERAS_TORCH_DEVICE, else Apple's GPU, else CUDA."""
    import torch

    spec = runner.RunSpec("toy-blobs", device="auto")
    monkeypatch.delenv("KERAS_TORCH_DEVICE", raising=False)
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: True)
    assert runner.resolve_device(spec) == "mps"
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    assert runner.resolve_device(spec) == ("cuda" if torch.cuda.is_available() else "cpu")
    monkeypatch.setenv("KERAS_TORCH_DEVICE", "cpu")
    assert runner.resolve_device(spec) == "cpu"
    monkeypatch.setenv("KERAS_TORCH_DEVICE", "tpu")
    with pytest.raises(scenarios.ScenError, match="unknown device 'tpu'"):
        runner.resolve_device(spec)


def test_mps_is_a_device_and_its_absence_one_line(monkeypatch):
    import torch

    runner.check_device("mps")
    monkeypatch.setattr(torch.backends.mps, "is_available", lambda: False)
    with pytest.raises(scenarios.ScenError, match="--device mps: Apple's Metal GPU"):
        runner.resolve_device(runner.RunSpec("toy-blobs", device="mps"))
    with pytest.raises(scenarios.ScenError, match="supported on the torch backends"):
        runner.resolve_device(runner.RunSpec("toy-blobs", backend="keras-jax", device="mps"))


def test_keras_fit_on_a_gpu_starts_from_the_weights_the_port_draws_on_the_cpu():
    """Keras's initialisers on CUDA draw from CUDA's generator; keras_run draws on the CPU,
    as scen.native does, and leaves a fresh session for the model it trains."""
    import keras
    import numpy as np

    from scen import keras_run

    s = scenarios.get("toy-blobs")
    config = s.config_for("as-posted")
    keras.backend.clear_session()
    keras_run.seed_everything(keras, 3)
    with keras.device("cpu"):
        expected = s.build_model(config).get_weights()
    keras.backend.clear_session()
    keras_run.seed_everything(keras, 3)
    spec = runner.RunSpec("toy-blobs", backend="keras-torch", device="cuda", seed=3,
                          precision="bf16")
    try:
        drawn = keras_run.drawn_on_the_cpu(keras, s, config, spec)
        assert keras.config.dtype_policy().name == "mixed_bfloat16"
        assert s.build_model(config).layers[0].name == "dense"  # TensorBoard's tags as ever
    finally:
        keras.config.set_dtype_policy("float32")
    assert len(drawn) == len(expected) and all(np.array_equal(a, b)
                                               for a, b in zip(drawn, expected))
