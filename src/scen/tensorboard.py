"""TensorBoard logs for every backend, written with torch's SummaryWriter.

Keras's own `keras.callbacks.TensorBoard` needs TensorFlow; the `tensorboard` package alone can
read what `torch.utils.tensorboard` writes. The layout follows Keras's callback so the view is
the familiar one: `train/` and `validation/` runs whose `epoch_loss` curves overlay in one chart,
`batch_loss` per step, and histograms of every weight and its gradient.
"""

from __future__ import annotations

import math
import os
import sys
import types

import numpy as np

from scen.observe import Observer, Probe, RunInfo

# TensorBoard's own default bucket count; torch's default ("tensorflow", ~1500 buckets) makes
# event files of ~80 kB per epoch for a nine-weight model.
BINS = 30
# With histogram_freq left to scen: about this many histogram epochs per run. A histogram costs
# ~0.3 ms to write, a small model's epoch ~10 ms: one per epoch of every weight and gradient was
# a third of toy-blobs' run time, and TensorBoard's Histograms tab shows at most 500 steps anyway.
HISTOGRAM_EPOCHS = 50


def histogram_cadence(histogram_freq: int | None, epochs: int) -> int:
    """Epochs between histograms: the user's (0: none), or ceil(epochs / HISTOGRAM_EPOCHS)."""
    if histogram_freq is not None:
        return histogram_freq
    return max(1, -(-epochs // HISTOGRAM_EPOCHS))


class TensorBoardLogger(Observer):
    """Keras's TensorBoard layout, written with torch's SummaryWriter.

    histogram_freq: as Keras's callback, the epochs between weight (and here gradient)
    histograms, counted from the first epoch; the last epoch always gets them; 0: none;
    None: histogram_cadence's choice."""

    def __init__(self, run_dir: str, histogram_freq: int | None = None):
        self.run_dir = run_dir
        self.histogram_freq = histogram_freq
        self.step = 0
        self.last_logs: dict = {}

    def on_train_begin(self, info: RunInfo) -> None:
        SummaryWriter = summary_writer_class()

        # flush_secs: an interrupted or killed run keeps all but the last few seconds.
        # max_queue: torch's default of 10 makes every batch_loss wait on the writer thread
        # (measured: 6,500 scalars in 0.20 s with 10, 0.04 s with 10,000).
        def writer(path):
            return SummaryWriter(path, flush_secs=5, max_queue=10_000)

        self.root = writer(self.run_dir)
        self.train = writer(os.path.join(self.run_dir, "train"))
        self.validation = writer(os.path.join(self.run_dir, "validation"))
        self.info = info
        self.cadence = histogram_cadence(self.histogram_freq, info.epochs)
        rows = "\n".join(f"| {k} | {v} |" for k, v in _flat(info.as_dict()).items())
        self.root.add_text("run", "| setting | value |\n|---|---|\n" + rows, 0)

    def on_epoch_end(self, epoch: int, logs: dict, step_losses: np.ndarray, probe: Probe) -> None:
        for loss in step_losses:
            self.train.add_scalar("batch_loss", float(loss), self.step)
            self.step += 1
        for name, value in logs.items():
            if name.startswith("val_"):
                self.validation.add_scalar(f"epoch_{name[4:]}", value, epoch)
            else:
                self.train.add_scalar(f"epoch_{name}", value, epoch)
        self.last_logs = logs
        last = epoch == self.info.epochs - 1
        if not self.cadence or (epoch % self.cadence and not last):
            return
        for path, w in probe.weights().items():
            if np.all(np.isfinite(w)):
                self.train.add_histogram(f"weights/{path}", w, epoch, bins=BINS)
        for path, g in probe.gradients().items():
            if np.all(np.isfinite(g)):
                self.train.add_histogram(f"gradients/{path}", g, epoch, bins=BINS)

    def add_text(self, tag: str, markdown: str) -> None:
        self.root.add_text(tag, markdown, 0)

    def on_train_end(self, status: str, error: str | None) -> None:
        from torch.utils.tensorboard.summary import hparams

        text = f"**{status}**" + (f": `{error}`" if error else "")
        self.root.add_text("status", text, 0)
        # The HParams view: one row per run, its settings beside its final metrics.
        settings = {k: v for k, v in _flat(self.info.as_dict()).items() if k != "run_dir"}
        settings["status"] = status
        finals = {f"final/{k}": float(v) for k, v in self.last_logs.items() if math.isfinite(v)}
        for summary in hparams(settings, finals):
            self.root.file_writer.add_summary(summary)
        for tag, value in finals.items():
            self.root.add_scalar(tag, value, 0)
        for writer in (self.root, self.train, self.validation):
            writer.close()


def summary_writer_class():
    """torch's SummaryWriter, without TensorFlow where the run does not use it.

    TensorBoard imports TensorFlow, when installed, only for tf.io.gfile (~2 s and TF's start-up
    log); its stub does the job. A module named `tensorboard.compat.notf` is TensorBoard's own
    switch for the stub.
    """
    if "tensorflow" not in sys.modules:
        sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v if isinstance(v, (int, float, str, bool)) else str(v)
    return out
