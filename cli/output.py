"""What a person reads: one-line errors, the run's summary, the findings, the comparison table.

The commands (cli/main.py) print through these, to `out` (results) and `err` (progress and
errors), so that every text a user sees is written one way. User text is never read as Rich
markup (a scenario named '[/x]' is printed, not interpreted).
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scen.runner import one_line

# Piped to a file or a CI log, Rich would break lines at 80 columns: there, a line stays whole.
out = Console(soft_wrap=not sys.stdout.isatty())
err = Console(stderr=True, soft_wrap=not sys.stderr.isatty())
INTERRUPTED = 130  # the shell's code for a process stopped by SIGINT
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}


def fail(message: str, code: int = 2):
    """One line on stderr (user text is never read as Rich markup), then exit `code`."""
    err.print(f"[bold red]error:[/] {escape(one_line(message))}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def print_comparison(c) -> None:
    """A scen.compare.Comparison: one column per backend, the first divergence, the verdict."""
    # One column per backend, one row per number: four backends fit in 80 columns.
    metrics = sorted({m for r in c.runs.values() for m in r.history if m != "learning_rate"})
    table = Table("", *c.runs, title="final metrics; per-step loss against the first backend "
                  "that trained")
    table.add_row("status", *(r.status for r in c.runs.values()))
    for m in metrics:
        table.add_row(m, *(f"{r.history[m][-1]:.4g}" if r.history.get(m) else ""
                           for r in c.runs.values()))
    table.add_row("parts at step", *("-" if c.parted_at.get(k) is None else str(c.parted_at[k])
                                     for k in c.runs))
    table.add_row("largest diff", *(f"{c.largest.get(k, float('nan')):.2g}" for k in c.runs))
    steps = max(len(r.step_losses) for r in c.runs.values())
    out.print(f"[bold]{escape(c.scenario)}[/] \\[{escape(c.variant)}]: same initial weights, "
              f"batches in data order, {steps} steps")
    out.print(table)
    if c.interrupted:
        out.print(f"[yellow]interrupted[/] after {len(c.runs)} backend(s); the table holds "
                  "the runs so far")
    for line in c.verdict:
        out.print("- " + line, highlight=False, markup=False)


def verdict(variant, result) -> str:
    """Does the run show the question's symptom, and is that what the variant should do?"""
    checks = [c.holds for c in result.checks if c.holds is not None]
    if result.status != "raised" and not checks and result.checks:
        return "[yellow]too short to tell[/]"
    shows = any(checks) or result.status == "raised"
    if variant.fixes:
        return "[red]symptom remains[/]" if shows else "[green]fixed[/]"
    return "[green]reproduced[/]" if shows else "[yellow]not reproduced[/]"


def measured_text(result) -> str:
    if result.status == "raised":
        return f"raised {result.error}"
    return "\n".join(f"{c.name}: {show_value(c.measured, result.epochs_run)}"
                     + ("" if c.reported is None else f" ({c.reported})") for c in result.checks)


def show_value(value, epochs: int) -> str:
    """A check's number as a person reads it: None means the run never got there."""
    return f"not in {epochs} epochs" if value is None else str(value)


def print_summary(result) -> None:
    info, history = result.info, result.history
    out.print(f"\n[bold]{info['scenario']}[/] \\[{info['variant']}] on {info['backend']}, "
              f"device {info['device']}, policy {info['policy']}, seed {info['seed']}")
    epochs = result.epochs_run
    if epochs:
        per_epoch = result.seconds / epochs
        out.print(f"{epochs} epochs in {result.seconds:.1f} s ({per_epoch * 1000:.1f} ms/epoch, "
                  f"{len(result.step_losses) / max(result.seconds, 1e-9):.0f} steps/s)")
        finals = "  ".join(f"{k} {v[-1]:.4g}" for k, v in history.items())
        out.print(f"final: {finals}")
    if result.status == "raised":
        out.print(f"[yellow]the backend raised[/] {escape(result.error)}", highlight=False)
    elif result.status == "interrupted":
        out.print(f"[yellow]interrupted[/] after {epochs} epochs; logs kept")
    if result.engine:
        out.print(f"engine: {escape(result.engine)}", style="dim", highlight=False)
    if result.data_note:
        out.print(f"data: {escape(result.data_note)}", style="dim")
    if result.checks:
        table = Table("symptom check", "measured", "reported", "symptom shows")
        for c in result.checks:
            shows = {True: "[red]yes[/]", False: "[green]no[/]",
                     None: f"[dim]{escape(c.note)}[/]" if c.note.startswith("too short") else ""}
            reported = "" if c.reported is None else str(c.reported)
            table.add_row(c.name, escape(show_value(c.measured, epochs)), escape(reported), shows[c.holds])
        out.print(table)
    print_findings(result.findings, brief=True)
    out.print(f"logs: {escape(result.run_dir)}  (tensorboard --logdir {escape(result.spec.logdir)})",
              highlight=False, soft_wrap=True)


def print_findings(findings: list[dict], brief: bool) -> None:
    shown = [f for f in findings if not brief or f["severity"] != "info"]
    if not shown:
        out.print("[bold]Diagnosis[/]: [green]nothing wrong found[/]")
        return
    out.print("[bold]Diagnosis[/]")
    for f in shown:
        where = ", ".join(x for x in (f.get("layer") and f"layer {f['layer']}",
                                      f.get("epoch") and f"epoch {f['epoch']}") if x)
        cause = f.get("cause")
        out.print(f"[{SEVERITY_STYLE[f['severity']]}]{f['severity']}[/] {f['name']}: "
                  f"{escape(f['summary'])}" + (f" [dim]({escape(where)})[/]" if where else "")
                  + (f" [dim]- a consequence of {escape(cause)}[/]" if brief and cause else ""))
        if not brief:
            out.print(f"    evidence: {escape(f['evidence'])}", highlight=False)
        if not (brief and cause):  # a consequence's fix is its cause's, said above
            out.print(f"    fix: {escape(f['fix'])}", highlight=False)
