"""The `scen` command: a thin layer over scen's library.

`scen --help`, `scen list` and `scen show` import neither Keras nor torch, so they answer at once;
`scen run` imports them only once its arguments are known to be good.
"""

from __future__ import annotations

import sys
from typing import Optional

import typer
from rich.console import Console
from rich.markup import escape
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
    name: str = typer.Argument(..., help="A scenario, as `scen list` names it, or 'all'."),
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
    compile: bool = typer.Option(False, "--compile", help="--backend torch only: torch.compile "
                                 "the step (CUDA graphs on a GPU); pays off on long runs."),
):
    """Train a scenario and print what happened beside what the question reported."""
    from scen.runner import RunSpec, run

    try:
        if name == "all":
            return run_all(backend, seed, logdir, device, precision)
        spec = RunSpec(name, variant, backend, device, precision, epochs, steps_per_epoch, seed,
                       logdir, quiet, semantics=semantics, compile=compile)
        result = run(spec)
    except ScenError as e:
        fail(str(e))
    print_summary(result)
    if result.status == "interrupted":
        raise typer.Exit(130)


@app.command()
def diagnose(
    name: str = typer.Argument(..., help="A scenario, as `scen list` names it."),
    variant: str = typer.Option(scenarios.AS_POSTED, "--variant", "-v", help="Which variant."),
    backend: str = typer.Option("keras-torch", help="keras-torch, torch, keras-tensorflow or "
                                "keras-jax."),
    epochs: Optional[int] = typer.Option(None, help="Epochs to train [default: as posted]."),
    steps_per_epoch: Optional[int] = typer.Option(None, help="Shorter epochs [default: as posted]."),
    seed: int = typer.Option(0, help="Fixes the data, the initial weights and the shuffling."),
    logdir: str = typer.Option("runs", help="TensorBoard logs go to LOGDIR/<scenario>/<run>."),
):
    """Run a scenario and report every finding in full: what is wrong, the evidence, the fix."""
    from scen.runner import RunSpec, run

    try:
        result = run(RunSpec(name, variant, backend, epochs=epochs, seed=seed, logdir=logdir,
                             quiet=True, steps_per_epoch=steps_per_epoch))
    except ScenError as e:
        fail(str(e))
    out.print(f"[bold]{name}[/] \\[{variant}] on {backend}: {result.status}, "
              f"{result.epochs_run} epochs" + (f", raised {result.error}" if result.error else ""),
              highlight=False)
    print_findings(result.findings, brief=False)
    out.print(f"diagnosis.json and TensorBoard text in {result.run_dir}")


@app.command()
def sweep(
    name: str = typer.Argument(..., help="A scenario with a learning_rate setting (toy-blobs)."),
    variant: str = typer.Option(scenarios.AS_POSTED, "--variant", "-v", help="Which variant."),
    seeds: str = typer.Option("256", help="A count (256), a range (0-9) or a list (1,2,5)."),
    lr: str = typer.Option("0.001,0.01,0.1", help="Learning rates, comma-separated."),
    backend: str = typer.Option("torch", help="torch (all seeds as one batched model) or "
                                "keras-torch (one process per seed)."),
    device: str = typer.Option("cpu", help="cpu, cuda or auto."),
    epochs: Optional[int] = typer.Option(None, help="Epochs per seed [default: as posted]."),
    executor: str = typer.Option("local", help="local, or ray (a local Ray cluster unless "
                                 "--ray-address is given)."),
    ray_address: Optional[str] = typer.Option(None, help="An existing Ray cluster's address."),
    logdir: str = typer.Option("runs", help="The sweep's directory goes under LOGDIR/<scenario>/."),
):
    """How often does a configuration fail? Many seeds per learning rate, one table.

    For each learning rate: the share of seeds that reach the threshold, epochs to reach it,
    and the share stuck at chance; a plot, per-seed CSV/JSON and TensorBoard HParams."""
    from scen.sweep import SweepSpec, run_sweep

    spec = SweepSpec(name, variant, seeds, lr, backend, device, epochs, executor, ray_address,
                     logdir)

    def progress(event: dict) -> None:
        if event["event"] == "start":
            err.print(f"sweeping {event['seeds']} seeds x {len(event['learning_rates'])} "
                      f"learning rates into {event['run_dir']}")
        elif event["event"] == "config":
            err.print(f"learning rate {event['learning_rate']:g}: done")

    try:
        result = run_sweep(spec, progress=progress)
    except ScenError as e:
        fail(str(e))
    out.print(result.format_table(), highlight=False, markup=False)
    out.print(f"results: {result.run_dir} (sweep.json, seeds.csv, sweep.png; "
              f"tensorboard --logdir {logdir}: HParams)")
    if result.status == "interrupted":
        raise typer.Exit(130)


@app.command()
def golden(
    update: bool = typer.Option(False, "--update", help="Re-record the golden files."),
    directory: str = typer.Option("tests/golden", "--dir", help="Where the golden files live."),
    backend: list[str] = typer.Option(None, help="Only these backends [default: all installed]."),
    scenario: Optional[str] = typer.Option(None, help="Only this scenario [default: all]."),
    logdir: str = typer.Option("runs/golden", help="Where the golden runs log."),
):
    """Check (or re-record) every scenario's per-epoch behaviour on every backend."""
    import importlib.util

    from scen import golden as g
    from scen.runner import BACKENDS as KERAS_BACKENDS

    try:
        if scenario:
            scenarios.get(scenario)
        for b in backend or []:
            if b not in g.BACKENDS:
                raise ScenError(f"unknown backend {b!r}; choose from {', '.join(g.BACKENDS)}")
    except ScenError as e:
        fail(str(e))
    todo = g.cases(scenario)
    problems = []
    for b in backend or g.BACKENDS:
        if importlib.util.find_spec(KERAS_BACKENDS[b]) is None:
            err.print(f"{b}: not installed, skipped")
            continue
        err.print(f"{b}: {len(todo)} runs")
        try:
            fresh = g.record_backend(b, todo, logdir)
        except ScenError as e:
            fail(str(e))
        if update:
            for p in g.write(directory, fresh):
                out.print(f"wrote {p}")
            continue
        for rec in fresh.values():
            old = g.load(directory, rec["scenario"], rec["variant"], b)
            if old is None:
                problems.append(f"{rec['scenario']} [{rec['variant']}] on {b}: no golden file")
            else:
                problems += g.differences(old, rec, g.TOLERANCE[b])
    for line in problems:
        out.print(line, highlight=False, markup=False)
    if problems:
        raise typer.Exit(1)
    if not update:
        out.print("every case matches its golden file")


@app.command()
def compare(
    name: str = typer.Argument(..., help="A scenario, as `scen list` names it."),
    variant: str = typer.Option(scenarios.AS_POSTED, "--variant", "-v", help="Which variant."),
    backends: str = typer.Option("keras-torch,torch,keras-tensorflow,keras-jax",
                                 help="Comma-separated; the first is the reference."),
    epochs: Optional[int] = typer.Option(None, help="Epochs [default: the scenario's quick "
                                         "run, else as posted]."),
    steps_per_epoch: Optional[int] = typer.Option(None, help="Shorter epochs [default: as posted]."),
    seed: int = typer.Option(0, help="Seeds the data and the reference's initial weights."),
    tolerance: float = typer.Option(1e-4, help="Relative per-step loss difference that counts."),
    logdir: str = typer.Option("runs", help="TensorBoard logs go to LOGDIR/<scenario>/<run>."),
):
    """The same run on several backends: where and why they part.

    Every backend starts from the first one's initial weights and takes batches in data order."""
    from scen.compare import compare as compare_backends

    try:
        c = compare_backends(name, variant, [b.strip() for b in backends.split(",") if b.strip()],
                             epochs, steps_per_epoch, seed, logdir, tolerance)
    except ScenError as e:
        fail(str(e))
    metrics = sorted({m for r in c.runs.values() for m in r.history if m != "learning_rate"})
    table = Table("backend", "status", *metrics, "parts at step", "largest diff",
                  title="final metrics; per-step loss against the first backend that trained")
    table.columns[0].no_wrap = True
    for label, r in c.runs.items():
        finals = [f"{r.history[m][-1]:.4g}" if r.history.get(m) else "" for m in metrics]
        parted = c.parted_at.get(label)
        table.add_row(label, r.status, *finals, "-" if parted is None else str(parted),
                      f"{c.largest.get(label, float('nan')):.2g}")
    steps = max(len(r.step_losses) for r in c.runs.values())
    out.print(f"[bold]{name}[/] \\[{variant}]: same initial weights, batches in data order, "
              f"{steps} steps")
    out.print(table)
    for line in c.verdict:
        out.print("- " + line, highlight=False, markup=False)


def run_all(backend: str, seed: int, logdir: str, device: str, precision: str) -> None:
    """`scen run all`: every scenario and variant, one table."""
    from scen.runner import RunSpec, run

    table = Table("scenario", "variant", "backend", "verdict", "measured (reported)")
    for s in scenarios.all_scenarios().values():
        for v in s.variants:
            spec = RunSpec(s.name, v.name, backend, device, precision, s.quick_epochs,
                           seed=seed, logdir=logdir, quiet=True)
            r = run(spec)
            shows = any(c.holds for c in r.checks) or r.status == "raised"
            if v.fixes:
                verdict = "[red]symptom remains[/]" if shows else "[green]fixed[/]"
            else:
                verdict = "[green]reproduced[/]" if shows else "[yellow]not reproduced[/]"
            if r.status == "raised":
                numbers = f"raised {r.error}"
            else:
                numbers = "\n".join(
                    f"{c.name}: {c.measured}" + ("" if c.reported is None else f" ({c.reported})")
                    for c in r.checks)
            epochs = f" ({r.epochs_run} epochs)" if s.quick_epochs else ""
            table.add_row(s.name, v.name + epochs, backend, verdict, numbers)
            err.print(f"{s.name} [{v.name}]: done in {r.seconds:.1f} s", highlight=False)
    out.print(table)


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
    print_findings(result.findings, brief=True)
    out.print(f"logs: {result.run_dir}  (tensorboard --logdir {result.spec.logdir})")


SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "dim"}


def print_findings(findings: list[dict], brief: bool) -> None:
    shown = [f for f in findings if not brief or f["severity"] != "info"]
    if not shown:
        out.print("[bold]Diagnosis[/]: [green]nothing wrong found[/]")
        return
    out.print("[bold]Diagnosis[/]")
    for f in shown:
        where = ", ".join(x for x in (f.get("layer") and f"layer {f['layer']}",
                                      f.get("epoch") and f"epoch {f['epoch']}") if x)
        out.print(f"[{SEVERITY_STYLE[f['severity']]}]{f['severity']}[/] {f['name']}: "
                  f"{escape(f['summary'])}" + (f" [dim]({where})[/]" if where else ""))
        if not brief:
            out.print(f"    evidence: {escape(f['evidence'])}", highlight=False)
        out.print(f"    fix: {escape(f['fix'])}", highlight=False)


def main():  # pragma: no cover - the console script
    app()


if __name__ == "__main__":
    sys.exit(main())
