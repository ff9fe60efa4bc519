"""The `scen` command: a thin layer over scen's library.

`scen --help`, `scen list` and `scen show` import neither Keras nor torch, so they answer at once;
`scen run` imports them only once its arguments are known to be good.

Every bad input ends as one line on stderr and exit status 2 (scen's own checks raise ScenError;
Typer's parse errors are caught in `main`); an interrupt (Ctrl-C or SIGTERM) exits 130.

Why ~500 lines: every command and its options are declared here, on one Typer app, so that
`--help` and tests/test_bad_input.py read every option from one place; what a person reads is
in cli/output.py, a user's script's side in cli/scripts.py, and the work in scen's library.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from typing import Optional

import typer
from rich.markup import escape
from rich.table import Table

from scen import scenario as scenarios
from scen.cli.output import (INTERRUPTED, err, fail, measured_text, one_line, out,
                             print_comparison, print_findings, print_summary, verdict)
from scen.cli.scripts import (ALL_BACKENDS, compare_script_command, exit_like_python,
                              golden_script_command, not_for_scripts, run_script_command,
                              sweep_script_command)
from scen.scenario import ScenError

app = typer.Typer(
    help="scen: why won't my Keras model learn? Start with your own script, unmodified: "
         "`scen run train.py` (progress, TensorBoard logs under runs/, a summary and the "
         "diagnosis), `scen diagnose train.py` (every finding in full: the evidence and the "
         "fix). The real Stack Overflow failures scen rebuilds as scenarios: `scen list`.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: "[default: as posted]" is not markup
)


def version_callback(value: bool) -> None:
    if value:
        from importlib.metadata import version

        out.print(f"scen {version('scen')}", highlight=False)
        raise typer.Exit()


@app.callback()
def main_options(
    version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True,
                                 help="Print scen's version and exit."),
):
    """scen's options before the command (the app's help says where to start)."""


@app.command("list")
def list_scenarios():
    """The scenarios, their variants and the question each rebuilds."""
    for s in scenarios.all_scenarios().values():
        out.print(f"[bold]{s.name}[/]: {escape(s.title)} [dim]({', '.join(s.seeds)})[/]")
        table = Table("variant", "what it changes", box=None, padding=(0, 2))
        table.columns[0].no_wrap = True  # the names you type are never cut
        for v in s.variants:
            table.add_row(v.name, escape(v.summary))
        out.print(table)
        out.print()


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
    table.columns[0].no_wrap = True  # the names you type are never cut
    for v in s.variants:
        settings = ", ".join(f"{k}={val}" for k, val in v.changes.items()) or "as posted"
        table.add_row(v.name, v.summary, settings, "fixes it" if v.fixes else "shows the symptom")
    out.print(table)


# Options that several commands share, said once.
BACKEND = typer.Option("auto", "--backend", help="auto (the native PyTorch port wherever it "
                       "takes the model, else Keras's fit on torch), torch (the port), "
                       "keras-torch, keras-tensorflow or keras-jax.")
DEVICE = typer.Option("auto", "--device", help="auto (the GPU Keras would pick, for a model "
                      "worth it), cpu, cuda, cuda:N (the N-th GPU) or mps.")
PRECISION = typer.Option("fp32", "--precision", help="fp32, fp16 (mixed_float16 with loss "
                         "scaling) or bf16 (mixed_bfloat16).")
SEED = typer.Option(0, "--seed", help="Fixes the data, the initial weights and the shuffling.")
LOGDIR = typer.Option("runs", "--logdir", help="TensorBoard logs go to LOGDIR/<scenario>/<run>.")
QUIET = typer.Option(False, "--quiet", "-q", help="No progress: --verbose 0.")
VERBOSE = typer.Option(1, "--verbose", help="As Keras's fit: 0 silent, 1 progress bars (one "
                       "line per epoch where stderr is not a terminal), 2 one line per epoch "
                       "(for scrollback and CI logs), and any check scen skipped.")
HISTOGRAM_FREQ = typer.Option(None, "--histogram-freq", help="Epochs between weight and "
                              "gradient histograms, as Keras's TensorBoard callback (0: none) "
                              "[default: about 50 per run].")
UPDATE_FREQ = typer.Option(None, "--update-freq", help="Steps between batch_loss points in "
                           "TensorBoard, each their mean, as Keras's TensorBoard callback given a "
                           "number [default: about 1,000 per run].")
STEPS = typer.Option(None, "--steps-per-epoch", help="Shorter epochs, as "
                     "fit(steps_per_epoch=N) [default: as posted].")
VARIANT = typer.Option(scenarios.AS_POSTED, "--variant", "-v", help="Which variant.")


@app.command("run")
def run_command(
    name: str = typer.Argument(..., help="A scenario, as `scen list` names it, 'all', or your "
                               "own Keras script (train.py)."),
    variant: str = VARIANT,
    backend: str = BACKEND,
    device: str = DEVICE,
    precision: str = PRECISION,
    epochs: Optional[int] = typer.Option(None, help="Epochs to train [default: as posted]."),
    steps_per_epoch: Optional[int] = STEPS,
    seed: int = SEED,
    logdir: str = LOGDIR,
    verbose: int = VERBOSE,
    quiet: bool = QUIET,
    histogram_freq: Optional[int] = HISTOGRAM_FREQ,
    update_freq: Optional[int] = UPDATE_FREQ,
    semantics: str = typer.Option("torch", help="The native port only: compute losses as "
                                  "Keras's torch, jax or tensorflow backend does."),
    compile: Optional[bool] = typer.Option(
        None, "--compile/--no-compile", help="The native port only: torch.compile the step "
        "(CUDA graphs on a GPU) [default: where the run is long enough to pay for it]."),
    script_args: Optional[list[str]] = typer.Argument(
        None, help="A script's own arguments, after -- (scen run train.py -- --lr 0.1)."),
):
    """Train your own Keras script (train.py), or a scenario beside what its question reported.

    NAME may also be your own Keras script (train.py): it runs unmodified, and every
    Model.fit it makes gets scen's progress, TensorBoard logs and diagnosis.

    `scen run all` runs every scenario and variant (each at its quick length unless --epochs
    is given) and prints one table."""
    from scen.runner import RunSpec, run
    from scen.script import is_script

    if is_script(name):
        not_for_scripts(variant=variant, epochs=epochs, steps_per_epoch=steps_per_epoch,
                        semantics=semantics, compile=compile, histogram_freq=histogram_freq,
                        update_freq=update_freq)
        exit_like_python(run_script_command(name, script_args, backend, device, precision,
                                            seed, logdir, 0 if quiet else verbose, full=False))
        return
    try:
        if script_args:
            raise ScenError(f"unexpected arguments {' '.join(script_args)!r}: only a script "
                            "(train.py) takes arguments after its name")
        spec = RunSpec(name, variant, backend, device, precision, epochs, steps_per_epoch, seed,
                       logdir, verbose=0 if quiet else verbose, histogram_freq=histogram_freq,
                       update_freq=update_freq, semantics=semantics, compile=compile)
        if name == "all":
            if variant != scenarios.AS_POSTED:
                raise ScenError("`run all` runs every variant: drop --variant")
            return run_all(spec)
        result = run(spec)
    except ScenError as e:
        fail(str(e))
    print_summary(result)
    if result.status == "interrupted":
        raise typer.Exit(INTERRUPTED)


# A posted run longer than this many epochs is diagnosed on the scenario's quick run: the
# findings show within it (plateau: 60 of the posted 1,000 epochs, ~1 minute instead of 15).
LONG_RUN_EPOCHS = 100


@app.command()
def diagnose(
    name: str = typer.Argument(..., help="A scenario, as `scen list` names it, or your own "
                               "Keras script (train.py)."),
    variant: str = VARIANT,
    backend: str = BACKEND,
    device: str = DEVICE,
    precision: str = PRECISION,
    epochs: Optional[int] = typer.Option(None, help="Epochs to train [default: as posted, or "
                                         "the scenario's quick run where the posted one is "
                                         f"over {LONG_RUN_EPOCHS} epochs]."),
    steps_per_epoch: Optional[int] = STEPS,
    seed: int = SEED,
    logdir: str = LOGDIR,
    verbose: int = VERBOSE,
    quiet: bool = QUIET,
    verify: bool = typer.Option(False, "--verify", help="Prove each fix that is a setting (the "
                                "learning rate, ReduceLROnPlateau, ...): apply it, rerun over "
                                "--seeds seeds, and compare the failure rates (Wilson 95%)."),
    verify_seeds: Optional[int] = typer.Option(None, "--seeds", help="Seeds per side for "
                                               "--verify [default: 16]."),
    as_json: bool = typer.Option(False, "--json", help="Print the findings as JSON on stdout, "
                                 "one object per fit (the script's own output goes to stderr)."),
    fail_on: Optional[str] = typer.Option(None, "--fail-on", help="error or warning: exit 1 "
                                          "when a finding of that severity or worse is made "
                                          "(a CI gate; the script's own failure still wins)."),
    script_args: Optional[list[str]] = typer.Argument(
        None, help="A script's own arguments, after -- (scen diagnose train.py -- --lr 0.1)."),
):
    """Diagnose your own script (train.py) or a scenario: every finding, evidence and fix.

    NAME may also be your own Keras script (train.py): each Model.fit it makes is diagnosed."""
    from scen.runner import RunSpec, run
    from scen.script import is_script

    if verify_seeds is not None and not verify:
        fail("--seeds applies to --verify")
    if verify_seeds is not None and not 0 < verify_seeds <= 10_000:
        fail(f"--seeds must be between 1 and 10,000, not {verify_seeds}")
    verify_seeds = 16 if verify_seeds is None else verify_seeds
    verbose = 0 if quiet else verbose
    if fail_on not in (None, *FAIL_ON):
        fail(f"--fail-on must be {' or '.join(FAIL_ON)}, not {fail_on!r}")
    if as_json and verify:
        fail("--json and --verify: choose one (--verify prints its own report)")
    if is_script(name):
        not_for_scripts(variant=variant, epochs=epochs, steps_per_epoch=steps_per_epoch)
        with script_output_to_stderr(as_json):
            result = run_script_command(name, script_args, backend, device, precision, seed,
                                        logdir, 0 if as_json else verbose, full=not as_json,
                                        quiet=as_json)
        if as_json:
            print_json(result.runs)
        if verify:
            verify_script_fixes(result, verify_seeds)
        exit_like_python(result)
        gate(result.runs, fail_on)
        return
    if script_args:
        fail(f"unexpected arguments {' '.join(script_args)!r}: only a script (train.py) takes "
             "arguments after its name")
    try:
        s = scenarios.get(name)
        posted = s.fit(s.config_for(s.variant(variant).name)).epochs
        shortened = epochs is None and s.quick_epochs and posted > LONG_RUN_EPOCHS
        spec = RunSpec(name, variant, backend, device, precision,
                       s.quick_epochs if shortened else epochs, steps_per_epoch, seed, logdir,
                       verbose=verbose)
        if shortened:
            err.print(f"shortened: {s.quick_epochs} of the posted {posted} epochs "
                      f"(--epochs {posted} for all of them)", highlight=False, markup=False)
        result = run(spec)
    except ScenError as e:
        fail(str(e))
    if as_json:
        print_json([result])
        if result.status == "interrupted":
            raise typer.Exit(INTERRUPTED)
        gate([result], fail_on)
        return
    out.print(f"[bold]{escape(name)}[/] \\[{escape(variant)}] on {result.spec.backend}: "
              f"{result.status}, {result.epochs_run} epochs"
              + (f", raised {escape(result.error)}" if result.error else ""), highlight=False)
    out.print(f"engine: {escape(result.engine)}", style="dim", highlight=False)
    print_findings(result.findings, brief=False)
    out.print(f"diagnosis.json and TensorBoard text in {escape(result.run_dir)}", highlight=False)
    if result.status == "interrupted":
        raise typer.Exit(INTERRUPTED)
    if verify:
        verify_fixes(result, verify_seeds)
    gate([result], fail_on)


FAIL_ON = ("error", "warning")


def gate(runs, fail_on: str | None) -> None:
    """--fail-on: exit 1 where a fit's findings reach that severity (error > warning > info)."""
    if fail_on is None:
        return
    worst = ("error",) if fail_on == "error" else ("error", "warning")
    if any(f["severity"] in worst for r in runs for f in r.findings):
        raise typer.Exit(1)


def print_json(runs) -> None:
    """--json: one object per fit, its findings as diagnosis.json has them."""
    import json

    sys.stdout.write(json.dumps([dict(
        name=r.spec.scenario, fit=r.spec.variant, backend=r.spec.backend, status=r.status,
        error=r.error, engine=r.engine, run_dir=r.run_dir, epochs=r.epochs_run,
        findings=r.findings) for r in runs], indent=1, default=float) + "\n")
    sys.stdout.flush()


class script_output_to_stderr:
    """--json: stdout is the JSON's, so the script's own output (and a backend worker's, which
    inherits the descriptor) goes to stderr for the while."""

    def __init__(self, active: bool):
        self.active = active

    def __enter__(self):
        if self.active:
            sys.stdout.flush()
            self.saved = os.dup(1)
            os.dup2(2, 1)

    def __exit__(self, *exc):
        if self.active:
            sys.stdout.flush()
            os.dup2(self.saved, 1)
            os.close(self.saved)


def verify_fixes(result, seeds: int) -> None:
    """`diagnose --verify`: each root-cause finding's fix, before and after, over `seeds`."""
    from scen.diagnose.verify import scenario_fix_settings, scenario_trial
    from scen.diagnose.verify import verify as prove

    spec = result.spec
    causes = [f for f in result.findings if f["severity"] != "info" and not f.get("cause")]
    if not causes:
        out.print("nothing to verify: no finding to fix")
        return
    trial, config = scenario_trial(spec.scenario, spec.variant, spec.epochs, spec.logdir)
    out.print("[bold]Verify[/]")
    for i, f in enumerate(causes, start=1):
        err.print(f"[{i}/{len(causes)}] {f['name']}: {seeds} seeds before and after its fix",
                  highlight=False, markup=False)
        try:
            text = prove(trial, config, f["name"], range(seeds),
                         scenario_fix_settings(spec.scenario)).text()
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(INTERRUPTED)
        out.print(text, highlight=False, markup=False, soft_wrap=True)
        if f["name"] in trial.dirs:
            out.print(f"  before and after, seed by seed, in TensorBoard: {trial.dirs[f['name']]}",
                      highlight=False, markup=False, soft_wrap=True)


WORKER_START_S = 5.0  # a worker process importing Keras on torch, measured on 2 cores


def verify_script_fixes(result, seeds: int) -> None:
    """`diagnose train.py --verify`: each fit's root-cause findings, before and after the fix
    applied through the fit interception, over `seeds` runs of the script per side."""
    from scen.diagnose.verify import MECHANICAL_FIXES
    from scen.progress import duration
    from scen.script_verify import ScriptTrial, root_causes, verify_script

    causes = root_causes(result)
    if not causes:
        out.print("nothing to verify: no finding to fix")
        return
    trial = ScriptTrial(result.spec)
    out.print("[bold]Verify[/]")
    fixable = [f for _, f in causes if f["name"] in MECHANICAL_FIXES]
    if fixable:
        # Each run is the script whole, in a worker that imports Keras and torch first.
        one = sum(r.seconds for r in result.runs) + WORKER_START_S
        at_once = min(os.cpu_count() or 1, seeds)
        total = 2 * seeds * len(fixable) * one / at_once
        err.print(f"about {duration(total)}: {len(fixable)} fix(es) x {seeds} seeds x 2 sides, "
                  f"a run ~{one:.0f} s (its fits {one - WORKER_START_S:.0f} s + ~"
                  f"{WORKER_START_S:.0f} s to start), {at_once} at a time",
                  highlight=False, markup=False)
    for i, (fit, f) in enumerate(causes, start=1):
        err.print(f"[{i}/{len(causes)}] fit{fit} {f['name']}: {seeds} runs of the script before "
                  "and after its fix", highlight=False, markup=False)
        try:
            text = verify_script(trial, fit, f["name"], range(seeds)).text()
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(INTERRUPTED)
        except ScenError as e:
            fail(str(e))
        out.print(f"fit{fit} {text}", highlight=False, markup=False, soft_wrap=True)
        if f["name"] in trial.dirs:
            out.print(f"  before and after, seed by seed, in TensorBoard: {trial.dirs[f['name']]}",
                      highlight=False, markup=False, soft_wrap=True)


@app.command()
def sweep(
    name: str = typer.Argument(..., help="A scenario with a learning_rate setting (toy-blobs), "
                               "or your own Keras script (train.py)."),
    variant: str = typer.Option(scenarios.AS_POSTED, "--variant", "-v", help="Which variant."),
    seeds: Optional[str] = typer.Option(None, help="A count, a range (0-9) or a list (1,2,5) "
                                        "[default: 256; a script the batched engine cannot "
                                        "take: 32]."),
    lr: Optional[str] = typer.Option(None, help="Learning rates, comma-separated (a scenario) "
                                     "[default: 0.001,0.01,0.1]."),
    metric: Optional[str] = typer.Option(None, help="A script's metric to judge, as its fit "
                                         "logs it (accuracy, val_loss, mae, ...) "
                                         "[default: accuracy]."),
    threshold: Optional[float] = typer.Option(None, help="The metric's value that counts as "
                                              "success (at most it for a loss or error) "
                                              "[default: 0.95]."),
    backend: str = typer.Option("torch", help="torch (all seeds as one batched model; a "
                                "script: where the port takes its fit) or keras-torch (one "
                                "process per seed)."),
    device: str = typer.Option("cpu", help="cpu, cuda, cuda:N, mps or auto."),
    epochs: Optional[int] = typer.Option(None, help="Epochs per seed [default: as posted]."),
    executor: str = typer.Option("local", help="local, or ray (a local Ray cluster unless "
                                 "--ray-address is given)."),
    ray_address: Optional[str] = typer.Option(None, help="An existing Ray cluster's address."),
    logdir: str = typer.Option("runs", help="The sweep's directory goes under LOGDIR/<scenario>/."),
    script_args: Optional[list[str]] = typer.Argument(
        None, help="A script's own arguments, after -- (scen sweep train.py -- --lr 0.1)."),
):
    """How often does a configuration fail? Many seeds per learning rate, one table.

    For each learning rate: the share of seeds that reach the threshold, epochs to reach it,
    and the share stuck at chance; a plot, per-seed CSV/JSON and TensorBoard HParams.
    NAME may also be your own Keras script, judged on --metric: every seed at once where the
    native port takes its first fit, else once per seed in processes (the engine line says
    which)."""
    from scen.script import is_script
    from scen.sweep import SweepSpec, run_sweep

    if ray_address is not None and executor != "ray":
        fail("--ray-address applies to --executor ray")
    if is_script(name):
        not_for_scripts(variant=variant, lr=lr, epochs=epochs, executor=executor,
                        device=device)
        return sweep_script_command(name, script_args, seeds,
                                    backend, metric, threshold, logdir)
    if script_args:
        fail(f"unexpected arguments {' '.join(script_args)!r}: only a script (train.py) takes "
             "arguments after its name")
    if metric is not None:
        fail("--metric applies to a script; a scenario's sweep judges accuracy")
    spec = SweepSpec(name, variant, seeds or "256", "0.001,0.01,0.1" if lr is None else lr, backend,
                     device, epochs, executor, ray_address, logdir,
                     **({} if threshold is None else dict(threshold=threshold)))

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    bar = Progress("{task.description}", BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=err, transient=True)
    tasks = {}

    def progress(event: dict) -> None:
        if event["event"] == "start":
            err.print(f"sweeping {event['seeds']} seeds x {len(event['learning_rates'])} "
                      f"learning rates into {event['run_dir']}", highlight=False, markup=False)
            bar.start()
        elif event["event"] == "epoch":  # the local native executor reports every epoch
            lr = event["learning_rate"]
            if lr not in tasks:
                tasks[lr] = bar.add_task(f"lr {lr:g}", total=event["epochs"])
            bar.update(tasks[lr], completed=event["epoch"])
        elif event["event"] == "config":
            err.print(f"[{event['index'] + 1}/{event['configs']}] learning rate "
                      f"{event['learning_rate']:g}: done", highlight=False, markup=False)
        elif event["event"] == "end":
            bar.stop()

    try:
        result = run_sweep(spec, progress=progress)
    except ScenError as e:
        if bar.live.is_started:
            bar.stop()
        fail(str(e))
    if bar.live.is_started:
        bar.stop()
    import os

    if result.configs:
        out.print(result.format_table(), highlight=False, markup=False)
        out.print(spec.legend(), highlight=False, markup=False, soft_wrap=True)
    for c in result.configs:
        if c.error:
            out.print(f"learning rate {c.learning_rate:g}: {c.status}: {c.error}",
                      highlight=False, markup=False, soft_wrap=True)
    if result.status == "interrupted":
        out.print(f"interrupted after {len(result.configs)} of {len(spec.lr_list())} "
                  "learning rates; what finished is kept", highlight=False, markup=False)
    files = [f for f in ("sweep.json", "seeds.csv", "sweep.png")
             if os.path.exists(os.path.join(result.run_dir, f))]
    out.print(f"results: {result.run_dir} ({', '.join(files)}; tensorboard --logdir "
              f"{logdir}: HParams)", highlight=False, markup=False, soft_wrap=True)
    if result.status == "interrupted":
        raise typer.Exit(INTERRUPTED)


@app.command()
def golden(
    update: bool = typer.Option(False, "--update", help="Re-record the golden files (each "
                                "case also runs from its weights moved one ulp up and down, "
                                "to measure how far each epoch can be trusted)."),
    directory: Optional[str] = typer.Option(
        None, "--dir", help="Where the golden files live [default: the project's tests/golden, "
        "or $SCEN_GOLDEN]."),
    backend: list[str] = typer.Option(None, help="Only these backends, comma-separated or "
                                      "repeated [default: all installed]."),
    scenario: Optional[str] = typer.Option(None, help="Only this scenario [default: all]."),
    logdir: Optional[str] = typer.Option(None, help="Keep the golden runs' logs here "
                                         "[default: a temporary directory, removed after]."),
    record: bool = typer.Option(False, "--record", help="Record SCRIPT's goldens into --dir: "
                                "each fit's per-epoch history on each backend, with twins."),
    check: bool = typer.Option(False, "--check", help="Check against the goldens (what "
                               "`scen golden` does): the built-in ones, or SCRIPT's in --dir."),
    script: Optional[str] = typer.Argument(
        None, help="Your own Keras script (train.py): its goldens, in --dir."),
    script_args: Optional[list[str]] = typer.Argument(
        None, help="The script's own arguments, after -- [--check: those recorded]."),
):
    """Check (or re-record) every scenario's per-epoch behaviour on every backend.

    With a script (scen golden --record train.py --dir my-goldens, later scen golden --check
    train.py --dir my-goldens): your own script's behaviour, pinned and checked the same way."""
    import importlib.util
    import os
    import tempfile

    from scen import golden as g
    from scen.runner import BACKENDS as KERAS_BACKENDS
    from scen.runner import check_writable, require_installed

    # --backend a,b as compare takes it, or --backend a --backend b
    given, backend = backend, [b.strip() for v in backend or [] for b in v.split(",") if b.strip()]
    if given and not backend:
        fail("--backend is empty: name a backend, or leave it out")
    if script is not None or record:
        return golden_script_command(script, script_args, record, check, update, directory,
                                     backend, scenario, logdir)
    try:
        if check and update:
            raise ScenError("--check or --update: choose one")
        if scenario is not None:
            scenarios.get(scenario)
        for b in backend or []:
            if b not in g.BACKENDS:
                raise ScenError(f"unknown backend {b!r}; choose from {', '.join(g.BACKENDS)}")
            require_installed(KERAS_BACKENDS[b])  # named, so not skipped quietly
        if logdir is not None:
            check_writable(logdir, "--logdir")
        if directory is not None and not directory.strip():
            raise ScenError("--dir is empty: name the golden directory, or leave it out")
        where = g.default_directory(for_update=update) if directory is None else directory
        if update:
            check_writable(str(where), "--dir")
        elif not os.path.isdir(where):
            raise ScenError(f"no golden directory at {where}")
    except ScenError as e:
        fail(str(e))
    todo = g.cases(scenario)
    chosen = list(dict.fromkeys(backend or g.BACKENDS))
    installed = [b for b in chosen if importlib.util.find_spec(KERAS_BACKENDS[b]) is not None]
    for b in chosen:
        if b not in installed:
            err.print(f"{b}: not installed, skipped", highlight=False)
    if not installed:
        fail("nothing to check: none of " + ", ".join(chosen) + " is installed")
    problems, records = [], {}
    with tempfile.TemporaryDirectory(prefix="scen-golden-") as tmp:
        runs_dir = logdir or tmp
        for i, b in enumerate(installed, start=1):
            what = "recording (with twins)" if update else "checking"
            err.print(f"[{i}/{len(installed)}] {b}: {what} {len(todo)} cases", highlight=False,
                      markup=False)
            def said(text: str) -> None:
                err.print(f"      {text}", highlight=False, markup=False)

            try:
                fresh = (g.record_with_twins(b, todo, runs_dir, progress=said) if update
                         else g.record_backend(b, todo, runs_dir))
            except ScenError as e:
                fail(str(e))
            except KeyboardInterrupt:
                err.print("interrupted: no golden file was changed" if update else "interrupted")
                raise typer.Exit(INTERRUPTED)
            records.update({(b, key): rec for key, rec in fresh.items()})
            if update:
                continue
            for rec in fresh.values():
                old = g.load(where, rec["scenario"], rec["variant"], b)
                if old is None:
                    problems.append(f"{rec['scenario']} [{rec['variant']}] on {b}: "
                                    f"no golden file in {where}")
                else:
                    problems += g.differences(old, rec)
    if update:  # only once every backend completed: an interrupted update changes nothing
        for p in g.write(where, records):
            out.print(f"wrote {p}", highlight=False, markup=False)
        return
    for line in problems:
        out.print(line, highlight=False, markup=False)
    if problems:
        raise typer.Exit(1)
    out.print(f"all {len(records)} cases match their golden files in {where}", highlight=False,
              markup=False)


@app.command()
def compare(
    name: str = typer.Argument(..., help="A scenario, as `scen list` names it, or your own "
                               "Keras script (train.py)."),
    variant: str = typer.Option(scenarios.AS_POSTED, "--variant", "-v", help="Which variant."),
    backends: str = typer.Option(ALL_BACKENDS, help="Comma-separated; the first is the "
                                 "reference [a script: every backend installed]."),
    epochs: Optional[int] = typer.Option(None, help="Epochs [default: the scenario's quick "
                                         "run, else as posted]."),
    steps_per_epoch: Optional[int] = typer.Option(None, help="Shorter epochs [default: as posted]."),
    seed: int = typer.Option(0, help="Seeds the data and the reference's initial weights."),
    tolerance: float = typer.Option(1e-4, help="Relative per-step loss difference that counts."),
    logdir: str = typer.Option("runs", help="TensorBoard logs go to LOGDIR/<scenario>/<run>."),
    script_args: Optional[list[str]] = typer.Argument(
        None, help="A script's own arguments, after -- (scen compare train.py -- --lr 0.1)."),
):
    """The same run on several backends: where and why they part.

    Every backend starts from the first one's initial weights and takes batches in data order.
    NAME may also be your own Keras script (train.py), its data as NumPy arrays."""
    from scen.compare import compare as compare_backends
    from scen.script import is_script

    def progress(i: int, total: int, label: str) -> None:
        err.print(f"[{i}/{total}] {label}", highlight=False, markup=False)

    if is_script(name):
        not_for_scripts(variant=variant, epochs=epochs, steps_per_epoch=steps_per_epoch)
        return compare_script_command(name, script_args, backends, seed, logdir, tolerance,
                                      progress)
    if script_args:
        fail(f"unexpected arguments {' '.join(script_args)!r}: only a script (train.py) takes "
             "arguments after its name")
    chosen = [b.strip() for b in backends.split(",")]
    try:
        c = compare_backends(name, variant, chosen, epochs, steps_per_epoch, seed, logdir,
                             tolerance, progress=progress)
    except ScenError as e:
        fail(str(e))
    print_comparison(c)
    if c.interrupted:
        err.print(f"interrupted after {len(c.runs)} of {len(chosen)} backends; logs kept under "
                  f"{logdir}/{name}", highlight=False, markup=False)
        raise typer.Exit(INTERRUPTED)


def run_all(template) -> None:
    """`scen run all`: every scenario and variant, one table; Ctrl-C stops and prints the table
    so far."""
    from scen.runner import run

    table = Table("scenario", "variant", "backend", "verdict", "measured (reported)")
    todo = [(s, v) for s in scenarios.all_scenarios().values() for v in s.variants]
    # The options are the same for every run: a bad one is the user's one-line error, now.
    first = replace(template, scenario=todo[0][0].name, variant=todo[0][1].name)
    first.check()
    from scen.runner import resolve_device

    try:  # an unusable device is the same for every run: one line, before any runs
        resolve_device(first)
    except ScenError as e:
        fail(str(e))
    interrupted, failures = False, {}
    try:  # Ctrl-C at any moment (in a run, or between two) ends with the table so far
        for i, (s, v) in enumerate(todo, start=1):
            spec = replace(template, scenario=s.name, variant=v.name,
                           epochs=template.epochs or s.quick_epochs)
            try:
                r = run(spec)
            except ScenError as e:  # this scenario cannot run here (its data, say): the rest can
                reason = str(e).split(":")[0].split(";")[0]  # its first clause; all of it below
                table.add_row(s.name, v.name, spec.backend, "[yellow]not run[/]", escape(reason))
                failures.setdefault(str(e), []).append(f"{s.name} [{v.name}]")
                err.print(f"[{i}/{len(todo)}] {s.name} [{v.name}]: not run", highlight=False,
                          markup=False)
                continue
            if r.status == "interrupted":
                raise KeyboardInterrupt
            table.add_row(s.name, f"{v.name} ({r.epochs_run} epochs)", spec.backend,
                          verdict(v, r), escape(measured_text(r)))
            err.print(f"[{i}/{len(todo)}] {s.name} [{v.name}]: {r.status} in {r.seconds:.1f} s",
                      highlight=False, markup=False)
    except KeyboardInterrupt:
        interrupted = True
        if table.row_count < len(todo):  # the run it stopped in, or the one about to start
            s, v = todo[table.row_count]
            table.add_row(s.name, v.name, template.backend, "[yellow]interrupted[/]", "")
    out.print(table)
    for reason, which in failures.items():
        out.print(f"not run ({len(which)}): {reason}", highlight=False, markup=False,
                  soft_wrap=True)
    if interrupted:
        raise typer.Exit(INTERRUPTED)


def main(argv: list[str] | None = None) -> int:
    """The console script: run the app; Typer's parse errors become one line, exit 2."""
    from scen.observe import install_interrupt_handlers, interrupt_pending

    install_interrupt_handlers()  # SIGTERM takes Ctrl-C's path: logs kept, children stopped
    try:
        code = app(args=argv, prog_name="scen", standalone_mode=False)
    except (typer.Abort, KeyboardInterrupt):
        err.print("interrupted")
        return INTERRUPTED
    except Exception as e:
        # click's UsageError family (a bad value, an unknown option, a missing argument) carry
        # their own message and exit code; anything else is a bug and keeps its traceback.
        if not (callable(getattr(e, "format_message", None)) and hasattr(e, "exit_code")):
            raise
        if type(e).__name__ == "NoArgsIsHelpError":
            out.print(e.format_message(), highlight=False, markup=False)
            return 0
        command = e.ctx.command_path if getattr(e, "ctx", None) else "scen"
        err.print(f"[bold red]error:[/] {escape(one_line(e.format_message()))} "
                  f"(see {escape(command)} --help)", highlight=False, soft_wrap=True)
        return e.exit_code
    if interrupt_pending():  # an interrupt that something swallowed still ends scen
        return INTERRUPTED
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
