"""Progress, as Keras's fit shows it: bars (verbose=1), or one line per epoch (verbose=2)."""

from __future__ import annotations

import sys
import time

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from scen.observe import Observer, RunInfo


def _metrics(logs: dict) -> str:
    return "  ".join(f"{k} {v:.4g}" for k, v in logs.items() if k != "learning_rate")


class ProgressBar(Observer):
    def __init__(self, console: Console | None = None):
        self.console = console or Console(stderr=True)

    def on_train_begin(self, info: RunInfo) -> None:
        self.progress = Progress(
            TextColumn("{task.description:>7}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=self.console,
            transient=False,
            # Rich redraws on a thread of its own, which takes the GIL from the training loop:
            # 4 redraws a second (Rich's default is 10) are as readable and cost less.
            refresh_per_second=4,
        )
        self.progress.start()
        title = f"{info.scenario} \\[{info.variant}] on {info.backend}, {info.device}, {info.policy}"
        self.console.print(title)
        self.epochs = self.progress.add_task("epochs", total=info.epochs, metrics="")
        self.steps = self.progress.add_task("steps", total=info.steps_per_epoch, metrics="")
        self.batches_seen = False

    def on_batch_end(self, batch: int, logs: dict) -> None:
        self.batches_seen = True
        self.progress.update(self.steps, completed=batch + 1, metrics=_metrics(logs))

    def on_epoch_end(self, epoch, logs, step_losses, probe) -> None:
        if self.steps is not None and not self.batches_seen:
            # The native loop reports whole epochs only (one host transfer each): a steps bar
            # would sit at 0 forever.
            self.progress.remove_task(self.steps)
            self.steps = None
        elif self.steps is not None:
            self.progress.update(self.steps, completed=0)
        self.progress.update(self.epochs, completed=epoch + 1, metrics=_metrics(logs))

    def on_train_end(self, status: str, error: str | None) -> None:
        if self.steps is not None:
            self.progress.remove_task(self.steps)
        self.progress.stop()


def progress(verbose: int) -> list[Observer]:
    """The progress observers of Keras's fit(verbose=...): 0 none, 1 bars, 2 one line per epoch.
    Bars only where stderr is a terminal: piped to a file or a CI log a bar cannot be redrawn
    and is squeezed into 80 columns, so each epoch gets its line instead (Keras's Progbar
    prints only each epoch's last state there too)."""
    if verbose == 1 and not sys.stderr.isatty():
        verbose = 2
    return {0: [], 1: [ProgressBar()], 2: [EpochLines()]}[verbose]


class EpochLines(Observer):
    """One line per epoch, as Keras's fit(verbose=2) prints, plus the ETA: the history stays in
    the scrollback and in CI logs. Plain writes (Rich costs ~0.4 ms a line).

        Epoch 3/500 - 13 steps - 0.04 s - 2.9 ms/step - ETA 19s - accuracy 0.5  loss 0.79
    """

    def __init__(self, file=None):
        self.file = file or sys.stderr

    def on_train_begin(self, info: RunInfo) -> None:
        self.info = info
        print(f"{info.scenario} [{info.variant}] on {info.backend}, {info.device}, "
              f"{info.policy}", file=self.file)
        self.started = self.epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs, step_losses, probe) -> None:
        now = time.perf_counter()
        seconds, self.epoch_started = now - self.epoch_started, now
        steps = max(len(step_losses), 1)
        left = (now - self.started) / (epoch + 1) * (self.info.epochs - epoch - 1)
        print(f"Epoch {epoch + 1}/{self.info.epochs} - {len(step_losses)} steps - "
              f"{seconds:.2f} s - {seconds / steps * 1000:.1f} ms/step - "
              f"ETA {duration(left)} - {_metrics(logs)}", file=self.file, flush=True)


def duration(seconds: float) -> str:
    """Keras's style: 42s, 3:07, 1:02:09."""
    s = int(round(seconds))
    if s < 60:
        return f"{s}s"
    h, rest = divmod(s, 3600)
    return f"{h}:{rest // 60:02d}:{rest % 60:02d}" if h else f"{rest // 60}:{rest % 60:02d}"
