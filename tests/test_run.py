"""The spine: a run through the library API, its TensorBoard logs, its reproducibility."""

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest
from scen_test_util import accumulator, scalars

from scen.observe import Observer
from scen.runner import RunSpec, run


def test_same_seed_same_metrics_other_seed_other_metrics(logdir):
    a = run(RunSpec("toy-blobs", epochs=4, seed=3, logdir=logdir, verbose=0))
    b = run(RunSpec("toy-blobs", epochs=4, seed=3, logdir=logdir, verbose=0))
    c = run(RunSpec("toy-blobs", epochs=4, seed=4, logdir=logdir, verbose=0))
    assert a.history == b.history and a.step_losses == b.step_losses
    assert a.history["loss"] != c.history["loss"]
    assert a.run_dir != b.run_dir  # never overwrites an earlier run


def test_step_losses_average_to_the_epoch_loss(logdir):
    r = run(RunSpec("toy-blobs", epochs=3, logdir=logdir, verbose=0))
    steps = np.asarray(r.step_losses).reshape(3, 13)  # 400 samples, batch 32
    sizes = np.array([32] * 12 + [16])
    epoch_means = (steps * sizes).sum(axis=1) / sizes.sum()
    np.testing.assert_allclose(epoch_means, r.history["loss"], rtol=1e-5)


def test_tensorboard_logs_curves_histograms_and_metadata(logdir):
    r = run(RunSpec("toy-blobs", epochs=3, logdir=logdir, verbose=0))
    train = accumulator(f"{r.run_dir}/train")
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate", "batch_loss"} <= set(
        train.Tags()["scalars"])
    assert [e.value for e in train.Scalars("epoch_loss")] == pytest.approx(r.history["loss"])
    assert len(train.Scalars("batch_loss")) == 3 * 13
    histograms = set(train.Tags()["histograms"])
    for layer in ("dense", "dense_1"):
        for weight in ("kernel", "bias"):
            assert f"sequential/{layer}/{weight}/histogram" in histograms
            assert f"sequential/{layer}/{weight}/gradient/histogram" in histograms
    root = accumulator(r.run_dir)
    assert "run/text_summary" in root.Tags()["tensors"]
    assert "final/loss" in root.Tags()["scalars"]
    # No validation data, no empty `validation` run in TensorBoard's list (as Keras's callback).
    assert sorted(p.name for p in Path(r.run_dir).iterdir() if p.is_dir()) == ["train"]


def test_gradient_histogram_is_the_last_batch_gradient(logdir):
    """The logged gradient is what Keras applied on the epoch's last step."""
    seen = {}

    class Grab(Observer):
        def on_epoch_end(self, epoch, logs, step_losses, probe):
            seen["grads"] = probe.gradients()

    run(RunSpec("toy-blobs", epochs=1, logdir=logdir, verbose=0), observers=[Grab()])
    grads = seen["grads"]
    assert {k.removeprefix("sequential/") for k in grads} == {
        "dense/kernel", "dense/bias", "dense_1/kernel", "dense_1/bias"}
    assert all(np.all(np.isfinite(g)) and np.any(g != 0) for g in grads.values())


def test_validation_metrics_go_to_the_validation_run(logdir):
    r = run(RunSpec("plateau", epochs=2, logdir=logdir, verbose=0))
    assert "val_loss" in r.history
    assert scalars(f"{r.run_dir}/validation", "epoch_loss") == pytest.approx(r.history["val_loss"])


def test_labels_1_2_raise_on_the_torch_backend_as_observed_behaviour(logdir):
    r = run(RunSpec("toy-blobs", variant="labels-1-2", epochs=2, logdir=logdir, verbose=0))
    assert r.status == "raised"
    assert "all elements of target should be between 0 and 1" in r.error
    assert json.load(open(f"{r.run_dir}/result.json"))["status"] == "raised"
    # The epoch that raised reaches the diagnosis as far as it got, as on Keras's path.
    records = json.load(open(f"{r.run_dir}/diagnosis.json"))["records"]
    assert [(x["epoch"], x["partial"]) for x in records] == [(0, True)]


@pytest.mark.parametrize("precision, policy", [("fp16", "mixed_float16"),
                                               ("bf16", "mixed_bfloat16")])
def test_mixed_precision_policies(logdir, precision, policy):
    seen = {}

    class Grab(Observer):
        def on_epoch_end(self, epoch, logs, step_losses, probe):
            seen["grads"] = probe.gradients()

    r = run(RunSpec("toy-blobs", variant="adam-lr-0.1", backend="keras-torch", epochs=2,
                    precision=precision, logdir=logdir, verbose=0), observers=[Grab()])
    assert r.status == "completed" and r.info["policy"] == policy
    # Unscaled: a loss scale of 2**15 would leave gradients far above 1 here.
    assert max(np.abs(g).max() for g in seen["grads"].values()) < 10
    import keras

    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored


# The port's mixed precision against Keras's policies, from the same weights and batches: every
# layer's output and bias in the compute dtype, and Keras's loss scale, make bf16 and most fp16
# runs step-for-step equal. fp16 on plateau parts by ~2e-6 at the second step and drifts to
# ~1e-3 by step 50 (measured 2026-12-07): autocast's float16 backward through the ReLUs.
MIXED_TOLERANCE = {"bf16": 1e-5, "fp16": 5e-3}


@pytest.mark.parametrize("scenario", ["toy-blobs", "plateau"])
@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_the_port_trains_mixed_precision_as_keras_policies_do(logdir, scenario, precision):
    from scen.compare import first_parting

    common = dict(scenario=scenario, epochs=4, steps_per_epoch=13, logdir=logdir, verbose=0,
                  shuffle=False, precision=precision)
    keras_fit = run(RunSpec(backend="keras-torch", **common))
    port = run(RunSpec(backend="torch", **common,
                       initial_weights=f"{keras_fit.run_dir}/initial_weights.npz"))
    assert port.engine.startswith("the native PyTorch port")
    assert port.info["policy"].startswith("autocast")
    assert len(port.step_losses) == len(keras_fit.step_losses) >= 50
    same, largest = first_parting(keras_fit.step_losses, port.step_losses, 1e-5)
    assert same >= 1, "the first step's loss is the same forward pass: it must agree"
    assert largest <= MIXED_TOLERANCE[precision]


def test_interrupt_inside_training_keeps_the_logs(logdir):
    class CtrlC(Observer):
        def on_epoch_end(self, epoch, logs, step_losses, probe):
            if epoch == 2:
                raise KeyboardInterrupt

    r = run(RunSpec("toy-blobs", epochs=50, logdir=logdir, verbose=0), observers=[CtrlC()])
    assert r.status == "interrupted"
    assert len(scalars(f"{r.run_dir}/train", "epoch_loss")) == 3


def test_a_run_killed_outright_keeps_its_events_but_the_last_seconds(logdir, monkeypatch):
    """Events are written by the training thread itself, FLUSH_SECONDS apart: what a run has
    logged is on disk by then, before the run ends (SIGKILL leaves no on_train_end)."""
    from scen import tensorboard

    seen = []

    class Kill(Observer):  # reads the event file mid-run, as TensorBoard would
        def on_epoch_end(self, epoch, logs, step_losses, probe):
            seen.append(len(scalars(f"{self.info.run_dir}/train", "epoch_loss")))

        def on_train_begin(self, info):
            self.info = info

    monkeypatch.setattr(tensorboard, "FLUSH_SECONDS", 0.0)  # due at every write
    run(RunSpec("toy-blobs", epochs=4, logdir=logdir, verbose=0), observers=[Kill()])
    assert seen == [1, 2, 3, 4]  # TensorBoardLogger observes before the observers given
    seen.clear()
    monkeypatch.setattr(tensorboard, "FLUSH_SECONDS", 3600.0)  # never due during the run
    r = run(RunSpec("toy-blobs", epochs=4, logdir=logdir, verbose=0), observers=[Kill()])
    assert seen == [0, 0, 0, 0]
    assert len(scalars(f"{r.run_dir}/train", "epoch_loss")) == 4  # written when it ended


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_tensorboard_server_serves_the_run(logdir):
    r = run(RunSpec("toy-blobs", epochs=2, logdir=logdir, verbose=0))
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "tensorboard.main", "--logdir", logdir, "--host", "127.0.0.1",
         "--port", str(port), "--load_fast", "false"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        run_name = f"{r.run_dir.split(logdir)[1].strip('/')}/train"
        deadline = time.time() + 60
        scalars_tags = histogram_tags = {}
        while time.time() < deadline:
            try:
                base = f"http://127.0.0.1:{port}/data/plugin"
                scalars_tags = json.load(urllib.request.urlopen(f"{base}/scalars/tags", timeout=5))
                histogram_tags = json.load(
                    urllib.request.urlopen(f"{base}/histograms/tags", timeout=5))
                if run_name in scalars_tags and run_name in histogram_tags:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert "epoch_loss" in scalars_tags[run_name]
        assert "sequential/dense/kernel/gradient/histogram" in histogram_tags[run_name]
        assert "sequential/dense_1/bias/histogram" in histogram_tags[run_name]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_the_native_port_is_the_default_engine_and_says_so(logdir):
    r = run(RunSpec("toy-blobs", epochs=2, logdir=logdir, verbose=0))
    assert r.spec.backend == "torch" and "native PyTorch port" in r.engine


def test_a_model_the_port_cannot_take_falls_back_to_keras_with_the_reason(logdir, monkeypatch):
    from scen import port

    def refuse(model):
        raise port.UnsupportedLayerError("layer 'dense' (Dense): made up for this test")

    monkeypatch.setattr(port, "translate", refuse)
    r = run(RunSpec("toy-blobs", epochs=2, logdir=logdir, verbose=0))
    assert r.spec.backend == "keras-torch" and r.status == "completed"
    assert "cannot take this model" in r.engine and "made up for this test" in r.engine


def test_histograms_at_the_cadence_asked(logdir):
    from scen_test_util import accumulator

    r = run(RunSpec("toy-blobs", epochs=7, histogram_freq=3, logdir=logdir, verbose=0))
    acc = accumulator(f"{r.run_dir}/train")
    tag = next(t for t in acc.Tags()["histograms"] if not t.endswith("/gradient/histogram"))
    assert [e.step for e in acc.Histograms(tag)] == [0, 3, 6]
    r = run(RunSpec("toy-blobs", epochs=3, histogram_freq=0, logdir=logdir, verbose=0))
    assert accumulator(f"{r.run_dir}/train").Tags()["histograms"] == []


def test_keras_style_epoch_lines(logdir, capsys):
    run(RunSpec("toy-blobs", epochs=3, logdir=logdir, verbose=2))
    lines = [x for x in capsys.readouterr().err.splitlines() if x.startswith("Epoch ")]
    assert len(lines) == 3 and lines[-1].startswith("Epoch 3/3 - 13 steps")
    assert "ms/step" in lines[0] and "ETA" in lines[0] and "loss" in lines[0]


def test_progress_bars_only_on_a_terminal(monkeypatch):
    """verbose=1 draws bars on a terminal; piped (a file, a CI log) each epoch gets its line."""
    from scen.progress import EpochLines, ProgressBar, progress

    monkeypatch.setattr(sys.stderr, "isatty", lambda: False, raising=False)
    assert [type(o) for o in progress(1)] == [EpochLines]
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    assert [type(o) for o in progress(1)] == [ProgressBar]
    assert [type(o) for o in progress(2)] == [EpochLines] and progress(0) == []


def test_event_records_carry_the_checksums_tensorboard_computes(logdir):
    """The C CRC-32C (scen.tensorboard) writes the bytes TensorBoard's own Python one would:
    every record's header and data checksums, recomputed with the stub's function, match."""
    import glob
    import struct

    from tensorboard.compat.tensorflow_stub.pywrap_tensorflow import masked_crc32c

    from scen.tensorboard import summary_writer_class

    summary_writer_class()  # installs the C checksum
    from tensorboard.summary.writer import record_writer

    assert record_writer.masked_crc32c is not masked_crc32c
    r = run(RunSpec("toy-blobs", epochs=2, logdir=logdir, verbose=0))
    records = 0
    for path in glob.glob(f"{r.run_dir}/**/events.out.tfevents.*", recursive=True):
        data = open(path, "rb").read()
        at = 0
        while at < len(data):
            header = data[at:at + 8]
            (length,) = struct.unpack("<Q", header)
            (header_crc,) = struct.unpack("<I", data[at + 8:at + 12])
            body = data[at + 12:at + 12 + length]
            (body_crc,) = struct.unpack("<I", data[at + 12 + length:at + 16 + length])
            assert header_crc == masked_crc32c(header) and body_crc == masked_crc32c(body)
            at += 16 + length
            records += 1
    assert records > 20


def test_an_observer_that_fails_never_stops_the_run_and_is_noted_once(tmp_path, capfd):
    """Weights grown to 1e13 (numpy's float32 bins are no longer distinct) and NaNs: the
    histograms record what they are; an observer that raises is skipped, noted once."""
    from scen.observe import LOG, Observers, RunInfo, show_own_failures
    from scen.tensorboard import TensorBoardLogger

    class Broken(Observer):
        def on_epoch_end(self, epoch, logs, step_losses, probe):
            raise ValueError("Too many bins for data range")

    class Probe:
        def weights(self):
            return {"dense/kernel": np.float32(1e13) + np.arange(6, dtype="float32"),
                    "dense/bias": np.array([1.0, np.nan, np.inf], dtype="float32")}

        def gradients(self):
            return {}

    show_own_failures(1)  # what the CLI does at --verbose 1: nothing of scen's on stderr
    observers = Observers([Broken(), TensorBoardLogger(str(tmp_path), histogram_freq=1)])
    observers.on_train_begin(RunInfo("s", "v", "torch", "cpu", "fp32", "float32", 0, 2, 1,
                                     str(tmp_path)))
    for epoch in range(2):
        observers.on_epoch_end(epoch, {"loss": 1.0}, np.ones(1), Probe())
    observers.on_train_end("completed", None)
    assert observers.skipped == ["Broken.on_epoch_end: ValueError: Too many bins for data range"]
    assert capfd.readouterr().err == ""
    show_own_failures(2)  # --verbose 2 shows what scen skipped, once
    again = Observers([Broken()])
    for epoch in range(2):
        again.on_epoch_end(epoch, {}, np.ones(1), Probe())
    assert capfd.readouterr().err.splitlines() == [
        "scen: skipped Broken.on_epoch_end: ValueError: Too many bins for data range"]
    show_own_failures(1)
    acc = accumulator(tmp_path / "train")
    assert "dense/kernel/histogram" in acc.Tags()["histograms"]
    assert [e.value for e in acc.Scalars("nonfinite/dense/bias/histogram")] == [2.0, 2.0]


def test_a_write_interrupted_midway_leaves_the_old_file_and_no_temporary(tmp_path):
    """What users rely on (result.json, diagnosis.json, weights, sweep files) is written
    with scen.files.write_atomically: an interrupt inside the write changes nothing."""
    from scen.files import write_atomically

    path = tmp_path / "histories.npz"
    write_atomically(str(path), lambda f: np.savez(f, a=np.arange(3)))

    def interrupted(f):
        np.savez(f, a=np.arange(1000))
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_atomically(str(path), interrupted)
    assert [p.name for p in tmp_path.iterdir()] == ["histories.npz"]
    with np.load(path) as old:
        assert old["a"].tolist() == [0, 1, 2]
    write_atomically(str(path), "text")
    assert path.read_text() == "text"


def test_an_interrupt_inside_an_import_waits_for_the_import_to_end(tmp_path, monkeypatch):
    """Keras imports JAX, whose C++ set-up calls back into Python: a KeyboardInterrupt raised
    there aborts the process ('terminate called ... nanobind::python_error'). The handler
    lets the import finish and sends the signal again; outside an import it raises."""
    import importlib
    import signal
    import sys

    from scen import observe

    again = []
    monkeypatch.setattr(observe, "_deliver_again", lambda signum, seconds=0.1: again.append(signum))
    monkeypatch.setattr(observe, "_interrupt_pending", False)
    (tmp_path / "slow_to_import.py").write_text(
        "import signal, sys\nfrom scen import observe\n"
        "observe._on_interrupt(signal.SIGINT, sys._getframe())\nREACHED_THE_END = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("slow_to_import")
    assert module.REACHED_THE_END and again == [signal.SIGINT] and observe.interrupt_pending()
    with pytest.raises(KeyboardInterrupt):
        observe._on_interrupt(signal.SIGINT, sys._getframe())
