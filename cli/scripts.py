"""The CLI's side of a user's own script (`scen run|diagnose|compare train.py`): thin calls
into scen.script and scen.script_compare, printed as scenario runs are."""

from __future__ import annotations

import typer
from rich.markup import escape

from scen import scenario as scenarios
from scen.cli.output import (INTERRUPTED, err, fail, out, print_comparison, print_findings,
                             print_summary)
from scen.scenario import ScenError

ALL_BACKENDS = "keras-torch,torch,keras-tensorflow,keras-jax"


def not_for_scripts(**given) -> None:
    """Scenario options that a script sets for itself: one line and exit 2 if given."""
    defaults = dict(variant=scenarios.AS_POSTED, epochs=None, steps_per_epoch=None,
                    semantics="torch", compile=None, verify=False, verify_seeds=None,
                    histogram_freq=None, update_freq=None, lr=None, executor="local",
                    device="cpu")
    for option, value in given.items():
        if value != defaults[option]:
            fail(f"--{option.replace('_', '-')} applies to scenarios; a script sets its own "
                 "(pass the script's options after --)")


def exit_like_python(result) -> None:
    """Exit as `python train.py` would, after the fits' summaries: the script's own status
    (sys.exit(N)), 1 for an exception it did not catch (its traceback on stderr, as Python
    prints it, a fit's error included), else 0."""
    import sys

    if result.traceback:
        sys.stderr.write(result.traceback)
        sys.stderr.flush()
    if result.exit_code:
        raise typer.Exit(result.exit_code)


def run_script_command(path, args, backend, device, precision, seed, logdir, verbose: int,
                       full: bool, quiet: bool = False) -> None:
    """`scen run|diagnose train.py`: the script runs (its output as usual), then a summary
    (`full`: every finding with its evidence) for each fit it made; the ScriptResult."""
    from scen.script import ScriptSpec, run_script

    try:
        result = run_script(ScriptSpec(path, list(args or []), backend, device, precision, seed,
                                       logdir, verbose, as_python=True))
    except ScenError as e:
        fail(str(e))
    for r in result.runs if not quiet else ():
        if not full:
            print_summary(r)
            continue
        out.print(f"\n[bold]{escape(r.spec.scenario)}[/] \\[{r.spec.variant}] on {r.spec.backend}: "
                  f"{r.status}, {r.epochs_run} epochs"
                  + (f", raised {escape(r.error)}" if r.error else ""), highlight=False)
        print_findings(r.findings, brief=False)
        out.print(f"diagnosis.json and TensorBoard text in {escape(r.run_dir)}", highlight=False)
    if result.status == "interrupted":
        raise typer.Exit(INTERRUPTED)
    return result


def compare_script_command(path, args, backends, seed, logdir, tolerance, progress) -> None:
    """`scen compare train.py`: a comparison per fit the script makes."""
    from scen.script_compare import compare_script

    try:
        chosen = None if backends == ALL_BACKENDS else [b.strip() for b in backends.split(",")]
        notes: list[str] = []
        comparisons = compare_script(path, list(args or []), chosen, seed, logdir, tolerance,
                                     progress=progress, notes=notes)
    except ScenError as e:
        fail(str(e))
    for note in notes:
        err.print(note, highlight=False, markup=False, soft_wrap=True)
    for c in comparisons:
        print_comparison(c)
    if any(c.interrupted for c in comparisons):
        raise typer.Exit(INTERRUPTED)


def sweep_script_command(path, args, seeds, backend, metric, threshold, logdir) -> None:
    """`scen sweep train.py`: the script once per seed, judged on its own metric."""
    from scen.script_sweep import ScriptSweepSpec, run_script_sweep

    if metric is not None and not metric.strip():
        fail("--metric is empty: name what the script's fit logs, e.g. val_accuracy or loss")
    # A sweep's default, torch (one batched model), is a scenario's: a script's seeds train as
    # one batched model where the port takes its first fit, else one process each (auto).
    spec = ScriptSweepSpec(path, list(args or []), seeds, "auto" if backend == "torch" else backend,
                           metric or "accuracy", 0.95 if threshold is None else threshold,
                           logdir=logdir)

    def progress(done: int, total: int, unit: str = "seeds") -> None:
        err.print(f"[{done}/{total}] {unit} done", highlight=False, markup=False)

    try:
        result = run_script_sweep(spec, progress=progress)
    except ScenError as e:
        fail(str(e))
    unlogged = [s for s in result.seeds if s.status == "failed"
                and str(s.error).startswith("no fit logged")]
    if result.seeds and len(unlogged) == len(result.seeds):  # a name no fit logs: bad input
        fail(f"--metric {spec.metric!r}: {unlogged[0].error}")
    out.print(f"engine: {result.engine}", highlight=False, markup=False, soft_wrap=True)
    out.print(result.format_table(), highlight=False, markup=False, soft_wrap=True)
    if result.seeds:
        out.print(spec.legend(), highlight=False, markup=False, soft_wrap=True)
    for s in result.seeds:
        if s.status != "completed":
            out.print(f"seed {s.seed}: {s.status}: {s.error}", highlight=False, markup=False,
                      soft_wrap=True)
    each = "" if result.engine.startswith("batched") else ", each seed's runs and output"
    out.print(f"results: {result.run_dir} (sweep.json, seeds.csv, sweep.png{each}; "
              f"tensorboard --logdir {logdir}: HParams)", highlight=False, markup=False,
              soft_wrap=True)
    if result.status == "interrupted":
        raise typer.Exit(INTERRUPTED)


def golden_script_command(path, args, record, check, update, directory, backends, scenario,
                          logdir) -> None:
    """`scen golden --record|--check train.py --dir DIR`: the script's own goldens."""
    import time

    from scen import script_golden
    from scen.runner import check_writable

    def said(text: str) -> None:
        err.print(text, highlight=False, markup=False, soft_wrap=True)

    try:
        if path is None:
            raise ScenError("--record needs a script: scen golden --record train.py --dir DIR "
                            "(--update re-records the built-in goldens)")
        if path in scenarios.all_scenarios():
            raise ScenError(f"{path} is a scenario: scen golden --scenario {path} checks its "
                            "built-in goldens")
        name = script_golden.check_script(path, logdir)
        for given, why in ((record and check, "--record or --check: choose one"),
                           (update, "--update re-records the built-in goldens; a script's are "
                                    "recorded with --record"),
                           (scenario is not None, "--scenario picks a built-in golden; a "
                                                  "script's goldens are its own"),
                           (directory is None, f"--dir: name the directory of {name}'s goldens "
                                               f"(scen golden --record {path} --dir my-goldens)")):
            if given:
                raise ScenError(why)
        if logdir is not None:
            check_writable(logdir, "--logdir")
        started = time.perf_counter()
        if record:
            written = script_golden.record(path, list(args or []), directory, backends or None,
                                           logdir, progress=said)
        else:
            problems, compared = script_golden.check(path, args or None, directory,
                                                     backends or None, logdir, progress=said)
    except ScenError as e:
        fail(str(e))
    except KeyboardInterrupt:
        err.print("interrupted: no golden file was changed" if record else "interrupted")
        raise typer.Exit(INTERRUPTED)
    seconds = time.perf_counter() - started
    if record:
        for p in written:
            out.print(f"wrote {p}", highlight=False, markup=False, soft_wrap=True)
        out.print(f"recorded {len(written)} golden file(s) for {name} in {seconds:.0f} s",
                  highlight=False, markup=False, soft_wrap=True)
        return
    for line in problems:
        out.print(line, highlight=False, markup=False, soft_wrap=True)
    if problems:
        raise typer.Exit(1)
    if not compared:
        fail(f"nothing checked: no backend {name}'s goldens were recorded on is installed")
    out.print(f"all {compared} golden file(s) of {name} (one per fit and backend) match, in "
              f"{directory} ({seconds:.0f} s)", highlight=False, markup=False, soft_wrap=True)
