"""What a configuration's seeds add up to: success share, epochs to the threshold, stuck share.

Definitions (from each seed's per-epoch training accuracy, as Keras logs it):
* epochs to threshold: the first (1-based) epoch whose accuracy is >= `threshold` (default
  0.95); `success_share` is the share of seeds that reach it within the epochs run.
* median / p10 / p90 epochs: percentiles (numpy's linear interpolation) over *all* seeds, a seed
  that never reaches the threshold counting as later than the last epoch; a percentile that
  falls on such seeds is None (shown as ">E").
* stuck at chance: accuracy <= chance + `stuck_margin` (default 0.05) for at least
  `stuck_epochs` (default 10) epochs from the first, where chance is the majority-class share
  of that seed's training labels (0.5 for toy-blobs, so: accuracy <= 0.55 for 10+ epochs).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from scen.scenario import epochs_stuck_from_start, first_epoch_reaching
from scen.sweep.spec import SweepSpec


@dataclass
class ConfigResult:
    """One learning rate: every seed's history and what they add up to."""

    learning_rate: float
    seeds: list[int]
    status: str  # completed | raised
    error: str | None
    seconds: float
    loss: np.ndarray  # (seeds, epochs), NaN after a seed stopped
    accuracy: np.ndarray  # (seeds, epochs)
    chance: np.ndarray  # (seeds,): majority-class share of each seed's training labels
    seed_status: list[str]
    summary: dict = field(default_factory=dict)
    records: list[dict] = field(default_factory=list)


@dataclass
class SweepResult:
    spec: SweepSpec
    run_dir: str
    status: str  # completed | interrupted
    configs: list[ConfigResult]
    seconds: float
    device: str = "cpu"
    epochs: int = 0
    vectorised: bool = True  # the torch backend's batched loop (else one process per seed)
    plot: str | None = None  # sweep.png, None without matplotlib

    def summary_table(self) -> list[dict]:
        """One row per configuration: learning_rate, seeds, success_share, median_epochs,
        p10_epochs, p90_epochs, stuck_share (and status)."""
        return [dict(c.summary) for c in self.configs]

    def format_table(self) -> str:
        """The summary as aligned text, for a terminal."""
        head = ["lr", "seeds", "reached", "median ep", "p10 ep", "p90 ep", "stuck", "status"]
        rows = [head]
        for s in self.summary_table():
            rows.append([f"{s['learning_rate']:g}", str(s["seeds"]), f"{s['success_share']:.1%}",
                         epochs_text(s["median_epochs"], self.epochs),
                         epochs_text(s["p10_epochs"], self.epochs),
                         epochs_text(s["p90_epochs"], self.epochs),
                         f"{s['stuck_share']:.1%}", s["status"]])
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows)

    def seed_records(self) -> list[dict]:
        return [r for c in self.configs for r in c.records]


def epochs_text(value, epochs: int) -> str:
    return f">{epochs}" if value is None else f"{value:g}"


def chance_level(y) -> float:
    """The majority-class share of the labels: what always guessing one class scores."""
    y = np.asarray(y)
    if len(y) == 0:
        return float("nan")
    if y.ndim >= 2 and y.shape[-1] > 1:
        labels = y.reshape(len(y), -1, y.shape[-1]).argmax(-1).reshape(len(y), -1)[:, 0]
    else:
        labels = y.reshape(len(y), -1)[:, 0]
    _, counts = np.unique(labels, return_counts=True)
    return float(counts.max() / len(labels))


def censored_percentile(values: Sequence[int | None], q: float) -> float | None:
    """Percentile q of epochs-to-threshold over all seeds, None (never reached) counting as
    later than any epoch; None when the percentile falls on such seeds."""
    xs = sorted(math.inf if v is None else float(v) for v in values)
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    a, b = xs[lo], xs[hi]
    if math.isinf(a) or math.isinf(b):
        return None
    return a + (b - a) * (pos - lo)


def summarize(learning_rate: float, seeds: Sequence[int], accuracy: np.ndarray,
              loss: np.ndarray, chance: Sequence[float], threshold: float = 0.95,
              stuck_margin: float = 0.05, stuck_epochs: int = 10,
              seed_status: Sequence[str] | None = None, status: str = "completed"):
    """Per-seed records and the configuration's summary, from per-epoch histories
    (rows: seeds; NaN marks epochs a seed did not run)."""
    records, reached = [], []
    n_stuck = 0
    for i, seed in enumerate(seeds):
        acc = [float(a) for a in accuracy[i] if not math.isnan(a)]
        losses = [float(v) for v in loss[i] if not math.isnan(v)]
        first = first_epoch_reaching(acc, threshold)
        ceiling = float(chance[i]) + stuck_margin
        stuck_for = epochs_stuck_from_start(acc, ceiling) if acc else 0
        stuck = stuck_for >= stuck_epochs
        n_stuck += stuck
        reached.append(first)
        records.append(dict(
            learning_rate=learning_rate, seed=int(seed),
            status=seed_status[i] if seed_status else status,
            epochs_run=len(acc), epochs_to_threshold=first, stuck=bool(stuck),
            stuck_epochs=stuck_for, chance=float(chance[i]),
            final_loss=losses[-1] if losses else None, final_accuracy=acc[-1] if acc else None,
        ))
    n = len(records)
    finals = [r["final_loss"] for r in records if r["final_loss"] is not None]
    accs = [r["final_accuracy"] for r in records if r["final_accuracy"] is not None]
    summary = dict(
        learning_rate=learning_rate, seeds=n, status=status,
        success_share=sum(r is not None for r in reached) / n if n else 0.0,
        median_epochs=censored_percentile(reached, 50),
        p10_epochs=censored_percentile(reached, 10),
        p90_epochs=censored_percentile(reached, 90),
        stuck_share=n_stuck / n if n else 0.0,
        mean_final_loss=float(np.mean(finals)) if finals else None,
        mean_final_accuracy=float(np.mean(accs)) if accs else None,
    )
    return records, summary

