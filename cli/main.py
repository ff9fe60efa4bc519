"""The `scen` command: a thin layer over scen's library.

`scen --help`, `scen list` and `scen show` import neither Keras nor torch, so they answer at once;
`scen run` imports them only once its arguments are known to be good.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer
from rich.console import Console
from rich.table import Table

from scen import scenario as scenarios
from scen.scenario import ScenError

app = typer.Typer(
    help="scen: real Keras training failures, rebuilt, run on every backend, diagnosed.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)


def fail(message: str, code: int = 2):
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@app.command("list")
def list_scenarios():
    """The scenarios, their variants and the question each rebuilds."""
    table = Table("scenario", "variant", "what it changes", "question", show_lines=True)
    for s in scenarios.all_scenarios().values():
        names = "\n".join(v.name for v in s.variants)
        changes = "\n".join(v.summary for v in s.variants)
        table.add_row(s.name, names, changes, f"{s.title}\n[dim]{', '.join(s.seeds)}[/]")
    out.print(table)


@app.command()
def show(name: str = typer.Argument(..., help="A scenario, as `scen list` names it.")):
    """The question in brief: source, the code as posted, what was reported, the variants."""
    try:
        s = scenarios.get(name)
    except ScenError as e:
        fail(str(e))
    out.print(f"[bold]{s.name}[/]: {s.title}  [dim]({', '.join(s.seeds)})[/]\n")
    out.print(s.question + "\n")
    out.print("[bold]As posted[/]")
    out.print(s.posted_code, highlight=False, markup=False)
    out.print(f"\n[bold]Reported[/]: {s.reported}")
    if s.backend_notes:
        out.print(f"[bold]Backends[/]: {s.backend_notes}")
    table = Table("variant", "what it changes", "settings", "expected")
    for v in s.variants:
        settings = ", ".join(f"{k}={val}" for k, val in v.changes.items()) or "as posted"
        table.add_row(v.name, v.summary, settings, "fixes it" if v.fixes else "shows the symptom")
    out.print(table)


@app.command("run")
def run_command(
    name: str = typer.Argument(..., help="A scenario, as `scen list` names it."),
    variant: str = typer.Option(scenarios.AS_POSTED, "--variant", "-v", help="Which variant."),
    backend: str = typer.Option("keras-torch", help="keras-torch, torch (the native port), "
                                "keras-tensorflow or keras-jax."),
    device: str = typer.Option("auto", help="auto (CUDA when present), cpu or cuda."),
    precision: str = typer.Option("fp32", help="fp32, fp16 (mixed_float16 with loss scaling) "
                                  "or bf16 (mixed_bfloat16)."),
    epochs: Optional[int] = typer.Option(None, help="Epochs to train [default: as posted]."),
    steps_per_epoch: Optional[int] = typer.Option(
        None, help="Shorter epochs, as fit(steps_per_epoch=N) [default: as posted]."),
    seed: int = typer.Option(0, help="Fixes the data, the initial weights and the shuffling."),
    logdir: str = typer.Option("runs", help="TensorBoard logs go to LOGDIR/<scenario>/<run>."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bars."),
    semantics: str = typer.Option("torch", help="--backend torch only: compute losses as "
                                  "Keras's torch, jax or tensorflow backend does."),
):
    """Train a scenario and print what happened beside what the question reported."""
    from scen.runner import RunSpec, run

    spec = RunSpec(name, variant, backend, device, precision, epochs, steps_per_epoch, seed,
                   logdir, quiet, semantics=semantics)
    try:
        result = run(spec)
    except ScenError as e:
        fail(str(e))
    print_summary(result)
    if result.status == "interrupted":
        raise typer.Exit(130)


def print_summary(result) -> None:
    info, history = result.info, result.history
    out.print(f"\n[bold]{info['scenario']}[/] \\[{info['variant']}] on {info['backend']}, "
              f"device {info['device']}, policy {info['policy']}, seed {info['seed']}")
    epochs = result.epochs_run
    if epochs:
        per_epoch = result.seconds / epochs
        out.print(f"{epochs} epochs in {result.seconds:.1f} s ({per_epoch * 1000:.1f} ms/epoch, "
                  f"{len(result.step_losses) / result.seconds:.0f} steps/s)")
        finals = "  ".join(f"{k} {v[-1]:.4g}" for k, v in history.items())
        out.print(f"final: {finals}")
    if result.status == "raised":
        out.print(f"[yellow]the backend raised[/] {result.error}", highlight=False)
    elif result.status == "interrupted":
        out.print(f"[yellow]interrupted[/] after {epochs} epochs; logs kept")
    if result.data_note:
        out.print(f"data: {result.data_note}", style="dim")
    if result.checks:
        table = Table("symptom check", "measured", "reported", "symptom shows")
        for c in result.checks:
            shows = {True: "[red]yes[/]", False: "[green]no[/]", None: ""}[c.holds]
            reported = "" if c.reported is None else str(c.reported)
            table.add_row(c.name, str(c.measured), reported, shows)
        out.print(table)
    out.print(f"logs: {result.run_dir}  (tensorboard --logdir {result.spec.logdir})")


def main():  # pragma: no cover - the console script
    app()


if __name__ == "__main__":
    sys.exit(main())
