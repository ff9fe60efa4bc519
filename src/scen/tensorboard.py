"""TensorBoard logs for every backend, written with torch's SummaryWriter.

Keras's own `keras.callbacks.TensorBoard` needs TensorFlow; the `tensorboard` package alone can
read what `torch.utils.tensorboard` writes. The layout follows Keras's callback so the view is
the familiar one: `train/` and `validation/` runs whose `epoch_loss` curves overlay in one chart,
`batch_loss` per step, and histograms of every weight and its gradient.
"""

from __future__ import annotations

import io
import math
import os
import sys
import time
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
# With update_freq left to scen: about this many batch_loss points per run, each the mean of
# the steps since the last. TensorBoard's Scalars tab keeps 1,000 points a series by default,
# and each event costs Python time (serialisation, framing, the CRC): a point per step made
# TensorBoard a fifth of toy-blobs' training time.
BATCH_POINTS = 1000


def batch_cadence(update_freq: int | None, steps: int) -> int:
    """Steps per batch_loss point: the user's, or ceil(steps / BATCH_POINTS)."""
    if update_freq is not None:
        return update_freq
    return max(1, -(-steps // BATCH_POINTS))


def histogram_cadence(histogram_freq: int | None, epochs: int) -> int:
    """Epochs between histograms: the user's (0: none), or ceil(epochs / HISTOGRAM_EPOCHS)."""
    if histogram_freq is not None:
        return histogram_freq
    return max(1, -(-epochs // HISTOGRAM_EPOCHS))


class TensorBoardLogger(Observer):
    """Keras's TensorBoard layout, written with torch's SummaryWriter.

    histogram_freq: as Keras's callback, the epochs between weight (and here gradient)
    histograms, counted from the first epoch; the last epoch always gets them; 0: none;
    None: histogram_cadence's choice.
    update_freq: as Keras's callback given a number, the steps between `batch_loss` points,
    each the mean loss of those steps (logged at the last one's step); None: batch_cadence's."""

    def __init__(self, run_dir: str, histogram_freq: int | None = None,
                 update_freq: int | None = None):
        self.run_dir = run_dir
        self.histogram_freq, self.update_freq = histogram_freq, update_freq
        self.step = 0
        self.pending: list[float] = []  # step losses since the last batch_loss point
        self.last_logs: dict = {}

    def on_train_begin(self, info: RunInfo) -> None:
        self._buffers, self._writers = [], {}
        self.root = self._writer("")
        self.train = self._writer("train")
        self.info = info
        self.cadence = histogram_cadence(self.histogram_freq, info.epochs)
        self.batch_every = batch_cadence(self.update_freq, info.epochs * info.steps_per_epoch)
        rows = "\n".join(f"| {k} | {v} |" for k, v in _flat(info.as_dict()).items())
        self.root.add_text("run", "| setting | value |\n|---|---|\n" + rows, 0)

    def _writer(self, sub: str):
        """The SummaryWriter of run_dir/sub, made at its first event (as Keras makes its
        validation writer: a run without validation data lists no empty `validation` run)."""
        if sub not in self._writers:
            w = summary_writer_class()(os.path.join(self.run_dir, sub) if sub else self.run_dir)
            buffered = _write_from_this_thread(w)
            if buffered is not None:
                self._buffers.append(buffered)
            self._writers[sub] = w
        return self._writers[sub]

    def _log_epoch(self, epoch: int, logs: dict, step_losses: np.ndarray, probe: Probe) -> None:
        losses = np.asarray(step_losses, dtype=float)
        while len(self.pending) + len(losses) >= self.batch_every:  # the points this epoch ends
            take = self.batch_every - len(self.pending)
            self.pending.extend(losses[:take].tolist())
            self.step += take
            losses = losses[take:]
            self._batch_point()
        self.pending.extend(losses.tolist())
        self.step += len(losses)
        # One event per run directory and epoch, holding every epoch_* value (add_scalar would
        # write one event each: serialising, framing and checksumming each of them).
        train = {f"epoch_{k}": v for k, v in logs.items() if not k.startswith("val_")}
        validation = {f"epoch_{k[4:]}": v for k, v in logs.items() if k.startswith("val_")}
        for sub, values in (("train", train), ("validation", validation)):
            if values:
                self._writer(sub).file_writer.add_summary(scalars_summary(values), epoch)
        self.last_logs = logs
        last = epoch == self.info.epochs - 1
        if not self.cadence or (epoch % self.cadence and not last):
            return
        # Keras's TensorBoard callback's tags (callbacks/tensorboard.py, _log_weights):
        # "<weight.path>/histogram"; Keras logs no gradients, so theirs sit beside them.
        for path, w in probe.weights().items():
            self._histogram(f"{path}/histogram", w, epoch)
        for path, g in probe.gradients().items():
            self._histogram(f"{path}/gradient/histogram", g, epoch)

    def _histogram(self, tag: str, values: np.ndarray, epoch: int) -> None:
        """A histogram of whatever the values are: in float64, where float32 bins of huge
        values (weights grown to 1e13) would not be distinct and numpy refuses "too many bins";
        as one bin where even float64's are not; NaN and infinities left out of the histogram
        (TensorBoard's cannot hold them) and counted beside it as `nonfinite/<tag>`."""
        v = np.asarray(values, dtype=np.float64).reshape(-1)
        finite = np.isfinite(v)
        if not finite.all():
            self.train.file_writer.add_summary(
                scalars_summary({f"nonfinite/{tag}": float(v.size - finite.sum())}), epoch)
            v = v[finite]
        if not v.size:
            return
        try:
            self.train.add_histogram(tag, v, epoch, bins=BINS)
        except ValueError:  # numpy: "Too many bins for data range"
            self.train.add_histogram(tag, v, epoch, bins=1)

    def on_epoch_end(self, epoch: int, logs: dict, step_losses: np.ndarray, probe: Probe) -> None:
        self._log_epoch(epoch, logs, step_losses, probe)
        for buffered in self._buffers:  # a long epoch's events go to disk now, not next epoch
            buffered.flush_if_due()

    def _batch_point(self) -> None:
        # A Summary made here, not add_scalar's (a third of its cost is converting the value).
        self.train.file_writer.add_summary(
            scalars_summary({"batch_loss": sum(self.pending) / len(self.pending)}), self.step - 1)
        self.pending = []

    def add_text(self, tag: str, markdown: str) -> None:
        self.root.add_text(tag, markdown, 0)

    def on_train_end(self, status: str, error: str | None) -> None:
        if self.pending:
            self._batch_point()
        text = f"**{status}**" + (f": `{error}`" if error else "")
        self.root.add_text("status", text, 0)
        # The HParams view: one row per run, its settings beside its final metrics.
        settings = {k: v for k, v in _flat(self.info.as_dict()).items() if k != "run_dir"}
        settings["status"] = status
        finals = {f"final/{k}": float(v) for k, v in self.last_logs.items() if math.isfinite(v)}
        add_hparams(self.root.file_writer, settings, finals)
        for tag, value in finals.items():
            self.root.add_scalar(tag, value, 0)
        for writer in self._writers.values():
            writer.close()


def add_hparams(file_writer, settings: dict, metrics: dict[str, float]) -> None:
    """This run's row in TensorBoard's HParams view: its session's settings (start) and end,
    and no experiment summary. TensorBoard's HParams plugin takes the first experiment
    summary it finds under --logdir as every run's columns (plugins/hparams/backend_context.py,
    _find_experiment_tag), so a run's own would hide a sweep's learning-rate and success
    columns in a shared log folder; without one, it unites every run's settings, and its
    metrics are the scalars under each run (`metrics` must also be written as scalars)."""
    from torch.utils.tensorboard.summary import hparams

    _experiment, session_start, session_end = hparams(settings, metrics)
    file_writer.add_summary(session_start)
    file_writer.add_summary(session_end)


def scalars_summary(values: dict[str, float]):
    """A Summary of several scalars, read by TensorBoard as add_scalar's are (simple_value)."""
    from tensorboard.compat.proto.summary_pb2 import Summary

    return Summary(value=[Summary.Value(tag=k, simple_value=float(v)) for k, v in values.items()])


def summary_writer_class():
    """torch's SummaryWriter, without TensorFlow where the run does not use it.

    TensorBoard imports TensorFlow, when installed, only for tf.io.gfile (~2 s and TF's start-up
    log); its stub does the job. A module named `tensorboard.compat.notf` is TensorBoard's own
    switch for the stub.
    """
    if "tensorflow" not in sys.modules:
        sys.modules.setdefault("tensorboard.compat.notf", types.ModuleType("tensorboard.compat.notf"))
    from torch.utils.tensorboard import SummaryWriter

    _use_c_crc32c()
    return SummaryWriter


FLUSH_SECONDS = 2.0  # a run killed outright loses at most its last two seconds of events


class BufferedRecords:
    """Takes the place of TensorBoard's _AsyncWriter in an event file writer: the records are
    written by the training thread itself, all pending ones in one write, at most
    FLUSH_SECONDS apart, and on every flush and close. _AsyncWriter's thread woke for every
    event and took the GIL from the training loop each time, and without TensorFlow each
    record's write opened and closed the file again (the stub's GFile appends so): measured on
    toy-blobs, 4-5% of the training time for ~1,900 events. file: the event file's GFile; the
    records are framed by TensorBoard's own RecordWriter (length, data, masked CRCs)."""

    def __init__(self, file):
        from tensorboard.summary.writer.record_writer import RecordWriter

        self._file, self._closed = file, False
        self._framed = io.BytesIO()  # the records since the last flush, framed
        self._records = RecordWriter(self._framed)
        self._due = time.monotonic() + FLUSH_SECONDS

    def write(self, data: bytes) -> None:
        if self._closed:
            raise IOError("Writer is closed")
        self._records.write(data)
        self.flush_if_due()

    def flush_if_due(self) -> None:
        if time.monotonic() >= self._due:
            self.flush()

    def flush(self) -> None:
        if self._framed.tell():
            self._file.write(self._framed.getvalue())
            self._framed.seek(0)
            self._framed.truncate()
        self._file.flush()
        self._due = time.monotonic() + FLUSH_SECONDS

    def close(self) -> None:
        if not self._closed:
            self.flush()
            self._closed = True
            self._file.close()


def _write_from_this_thread(writer) -> BufferedRecords | None:
    """Swap a SummaryWriter's _AsyncWriter (and its thread) for BufferedRecords, and return
    them. Where TensorBoard's internals are not as expected, the writer is left as it is
    (slower, as correct) and this returns None."""
    try:
        events = writer.file_writer.event_writer
        threaded = events._async_writer
        file, worker = threaded._writer._writer, threaded._worker
    except AttributeError:
        return None
    threaded.flush()  # the file's header event
    worker.stop()
    events._async_writer = BufferedRecords(file)
    return events._async_writer


def _use_c_crc32c() -> None:
    """Checksum event records with google-crc32c's C code instead of the stub's Python loop.

    Every record TensorBoard writes carries two masked CRC-32C checksums (the TFRecord format);
    without TensorFlow the `tensorboard` package computes them a byte at a time in Python
    (compat/tensorflow_stub/pywrap_tensorflow.py). Measured on toy-blobs, when a writer thread
    still did it: TensorBoard's share of the training time fell from 14% to 7%. The masking is
    the stub's own (same bytes on disk).
    """
    try:
        import google_crc32c
    except ImportError:  # the slow path still writes correct files
        return
    if google_crc32c.implementation != "c":
        return
    from tensorboard.summary.writer import record_writer

    def masked_crc32c(data) -> int:
        x = google_crc32c.value(bytes(data))
        return (((x >> 15) | (x << 17) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF

    record_writer.masked_crc32c = masked_crc32c


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v if isinstance(v, (int, float, str, bool)) else str(v)
    return out
