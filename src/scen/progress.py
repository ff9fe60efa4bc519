"""A progress display: one bar over the epochs, one over the steps of the current epoch."""

from __future__ import annotations

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
