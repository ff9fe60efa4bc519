"""A sweep's outputs: sweep.json and seeds.csv (rewritten after every configuration),
histories.npz, TensorBoard runs (one per configuration, rows of the HParams view; the summary
table as text) and sweep.png.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os

import numpy as np

from scen.files import write_atomically
from scen.sweep.stats import ConfigResult, SweepResult, epochs_text

DEFINITIONS = {
    "epochs_to_threshold": "first 1-based epoch whose training accuracy is >= threshold",
    "success_share": "share of seeds that reach the threshold within the epochs run",
    "median_epochs/p10_epochs/p90_epochs": "percentiles over all seeds, never reaching counting "
                                           "as later than the last epoch; null if it falls there",
    "stuck": "training accuracy <= chance + stuck_margin for at least stuck_epochs epochs from "
             "the first",
    "chance": "majority-class share of the seed's training labels",
}
CSV_FIELDS = ("learning_rate", "seed", "status", "epochs_run", "epochs_to_threshold", "stuck",
              "stuck_epochs", "chance", "final_loss", "final_accuracy")


def write_tables(result: SweepResult) -> None:
    """sweep.json (settings, definitions, one summary per configuration with its seeds) and
    seeds.csv (one row per seed and configuration); rewritten after every configuration."""
    spec = result.spec
    doc = dict(
        scenario=spec.scenario, variant=spec.variant, backend=spec.backend,
        device=result.device, executor=spec.executor, epochs=result.epochs,
        status=result.status, seconds=round(result.seconds, 3),
        threshold=spec.threshold, stuck_margin=spec.stuck_margin, stuck_epochs=spec.stuck_epochs,
        vectorised=result.vectorised, definitions=DEFINITIONS, spec=spec.as_dict(),
        configurations=[dict(c.summary, seed_results=c.records) for c in result.configs],
    )
    write_atomically(os.path.join(result.run_dir, "sweep.json"),
                     json.dumps(_finite(doc), indent=1, default=json_default, allow_nan=False))
    write_seeds_csv(result)


def write_seeds_csv(result: SweepResult) -> None:
    """seeds.csv: one row per seed and configuration (CSV_FIELDS)."""
    rows = io.StringIO(newline="")
    w = csv.DictWriter(rows, fieldnames=CSV_FIELDS, extrasaction="ignore")
    w.writeheader()
    for r in result.seed_records():
        w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in CSV_FIELDS})
    write_atomically(os.path.join(result.run_dir, "seeds.csv"), rows.getvalue())


def _finite(o):
    """NaN and infinities become null: strict JSON has no token for them."""
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    if isinstance(o, (float, np.floating)) and not math.isfinite(o):
        return None
    return o


def json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def write_histories(result: SweepResult) -> None:
    """histories.npz: per configuration i, loss_i and accuracy_i (seeds x epochs) and seeds_i."""
    arrays = {"learning_rates": np.array([c.learning_rate for c in result.configs])}
    for i, c in enumerate(result.configs):
        arrays[f"loss_{i}"] = c.loss.astype("float32")
        arrays[f"accuracy_{i}"] = c.accuracy.astype("float32")
        arrays[f"seeds_{i}"] = np.asarray(c.seeds, dtype="int64")
    write_atomically(os.path.join(result.run_dir, "histories.npz"),
                     lambda f: np.savez_compressed(f, **arrays))


def config_run_name(lr: float) -> str:
    return f"lr-{lr:g}"


def write_tensorboard_config(result: SweepResult, c: ConfigResult) -> None:
    """One TensorBoard run per configuration: its hparams and metrics for the HParams view,
    and curves over epochs (mean and median loss, mean accuracy, share of seeds at the
    threshold, share still at chance)."""
    from scen.tensorboard import add_hparams, summary_writer_class

    SummaryWriter = summary_writer_class()  # first: it keeps TensorBoard from importing TF

    spec, s = result.spec, c.summary
    writer = SummaryWriter(os.path.join(result.run_dir, config_run_name(c.learning_rate)))
    try:
        settings = dict(learning_rate=float(c.learning_rate), variant=spec.variant,
                        seeds=len(c.seeds), backend=spec.backend, scenario=spec.scenario,
                        epochs=result.epochs, threshold=float(spec.threshold),
                        metric=spec.metric)
        metrics = {"success_rate": float(s["success_share"]), "stuck_share": float(s["stuck_share"])}
        for k in ("median_epochs", "p10_epochs", "p90_epochs", "mean_final_loss",
                  "mean_final_accuracy"):
            if s.get(k) is not None:
                metrics[k] = float(s[k])
        add_hparams(writer.file_writer, settings, metrics)
        for tag, value in metrics.items():
            writer.add_scalar(tag, value, 0)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean_loss = np.nanmean(c.loss, axis=0)
                median_loss = np.nanmedian(c.loss, axis=0)
                mean_acc = np.nanmean(c.accuracy, axis=0)
        reached = np.array([r["epochs_to_threshold"] or 0 for r in c.records])
        at_chance = c.accuracy <= (c.chance[:, None] + spec.stuck_margin)
        still = np.cumprod(np.nan_to_num(at_chance, nan=0).astype(bool), axis=1).mean(axis=0)
        knows_chance = bool(np.isfinite(c.chance).any())  # a script's sweep: no chance level
        for e in range(c.loss.shape[1]):
            step = e + 1
            if np.isfinite(mean_loss[e]):
                writer.add_scalar("epoch_loss_mean", float(mean_loss[e]), step)
                writer.add_scalar("epoch_loss_median", float(median_loss[e]), step)
            if np.isfinite(mean_acc[e]):
                writer.add_scalar(f"epoch_{spec.metric}_mean", float(mean_acc[e]), step)
            writer.add_scalar("epoch_reached_share",
                              float(np.mean((reached > 0) & (reached <= step))), step)
            if knows_chance:
                writer.add_scalar("epoch_at_chance_share", float(still[e]), step)
    finally:
        writer.close()


def write_tensorboard_summary(result: SweepResult) -> None:
    """The sweep's own run (its directory): the summary table as text."""
    from scen.tensorboard import summary_writer_class

    writer = summary_writer_class()(result.run_dir)
    try:
        lines = ["| lr | seeds | reached | median ep | p10 | p90 | stuck at chance |",
                 "|---|---|---|---|---|---|---|"]
        for s in result.summary_table():
            lines.append(f"| {s['learning_rate']:g} | {s['seeds']} | {s['success_share']:.1%} | "
                         f"{epochs_text(s['median_epochs'], result.epochs)} | "
                         f"{epochs_text(s['p10_epochs'], result.epochs)} | "
                         f"{epochs_text(s['p90_epochs'], result.epochs)} | "
                         f"{s['stuck_share']:.1%} |")
        spec = result.spec
        head = (f"**{spec.name}**, backend {spec.backend}, {result.epochs} epochs, "
                f"{spec.goal}: **{result.status}**\n\n")
        writer.add_text("sweep", head + "\n".join(lines), 0)
    finally:
        writer.close()


def write_plot(result: SweepResult) -> str | None:
    """sweep.png: success and stuck-at-chance shares vs learning rate; epochs to threshold
    (median, 10-90% band) vs learning rate; share of seeds at the threshold by epoch, one curve
    per learning rate; a fan of per-seed loss curves per learning rate. None without
    matplotlib (or without a finished configuration)."""
    if not result.configs:
        return None
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    spec, E = result.spec, result.epochs
    configs = sorted(result.configs, key=lambda c: c.learning_rate)
    lrs = np.array([c.learning_rate for c in configs])
    fig = Figure(figsize=(12, 9), layout="constrained")
    FigureCanvasAgg(fig)
    (a, b), (c_ax, d) = fig.subplots(2, 2)
    colours = [f"C{i % 10}" for i in range(len(configs))]
    summ = [c.summary for c in configs]

    a.plot(lrs, [s["success_share"] for s in summ], "o-", label=f"reached {spec.goal}")
    a.plot(lrs, [s["stuck_share"] for s in summ], "s--", color="C3",
           label=f"stuck (>= {spec.stuck_epochs} epochs)")
    a.set(xscale="log", ylim=(-0.03, 1.03), xlabel="learning rate", ylabel="share of seeds",
          title="Success and stuck share")
    a.legend(loc="best")
    a.grid(alpha=0.3)

    med = np.array([np.nan if s["median_epochs"] is None else s["median_epochs"] for s in summ])
    lo = np.array([np.nan if s["p10_epochs"] is None else s["p10_epochs"] for s in summ])
    hi = np.array([E if s["p90_epochs"] is None else s["p90_epochs"] for s in summ])
    b.fill_between(lrs, np.where(np.isnan(lo), E, lo), hi, alpha=0.25, label="10-90%")
    b.plot(lrs, med, "o-", label="median")
    b.set(xscale="log", xlabel="learning rate", ylabel="epochs",
          title=f"Epochs to {spec.goal} (band top at {E}: not reached)")
    b.set_ylim(0.8, E * 1.15)
    b.set_yscale("log")
    b.legend(loc="best")
    b.grid(alpha=0.3)

    epochs = np.arange(1, E + 1)
    for cfg, colour in zip(configs, colours):
        reached = np.array([r["epochs_to_threshold"] or 0 for r in cfg.records])
        share = [(np.count_nonzero((reached > 0) & (reached <= e)) / max(1, len(reached)))
                 for e in epochs]
        c_ax.plot(epochs, share, color=colour, label=f"lr {cfg.learning_rate:g}")
    c_ax.set(xlabel="epoch", ylabel="share of seeds", ylim=(-0.03, 1.03), xscale="log",
             title=f"Seeds at {spec.goal} by epoch")
    c_ax.legend(loc="best")
    c_ax.grid(alpha=0.3)

    rng = np.random.default_rng(0)
    for cfg, colour in zip(configs, colours):
        loss = cfg.loss
        pick = rng.choice(len(loss), size=min(64, len(loss)), replace=False)
        for i in pick:
            d.plot(epochs, loss[i], color=colour, alpha=0.12, lw=0.7)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            d.plot(epochs, np.nanmedian(loss, axis=0), color=colour, lw=2.2,
                   label=f"lr {cfg.learning_rate:g} (median of {len(loss)})")
    d.set(xlabel="epoch", ylabel="training loss", xscale="log",
          title="Loss per seed (up to 64 per learning rate) and median")
    d.legend(loc="best")
    d.grid(alpha=0.3)
    fig.suptitle(f"{spec.name}: {len(configs[0].seeds)} seeds, backend "
                 f"{spec.backend}, {E} epochs ({result.status})")
    path = os.path.join(result.run_dir, "sweep.png")
    write_atomically(path, lambda f: fig.savefig(f, dpi=90, format="png"))
    return path
