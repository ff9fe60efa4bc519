"""How long until a user has an answer? Everything issue 11 asks to measure, in one run.

    python benchmarks/time_to_result.py [--runs 3] [--skip-backends]

1. Whole process: `scen run toy-blobs` as a user types it (default engine, progress bars off,
   logs to a temporary directory), from start to summary; the median of --runs.
2. Instrumentation: the same native training of toy-blobs (500 epochs) with no observers and
   with every observer a run has (diagnosis statistics, TensorBoard scalars and histograms at
   the default cadences, the progress bar to /dev/null), alternated, best of --runs each.
3. Compilation: the native step eager and under torch.compile (steps/s after warm-up), the
   compile time of a first run and of a second run in a fresh process (torch's caches), and
   the break-even: the steps after which the compiled run has paid for its compilation.
4. Steps per second of every backend on the four scenarios (benchmarks/backends.py).
5. The floor of eager PyTorch on mnist-sigmoid: a hand-written loop of plain torch against the
   port and Keras-JAX (benchmarks/eager_floor.py).

The machine's load is printed too: on a shared machine read the ratios, not the seconds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
HERE = os.path.dirname(os.path.abspath(__file__))
SCEN = os.path.join(os.path.dirname(sys.executable), "scen")


def whole_process(runs: int) -> float:
    times = []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as logdir:
            start = time.perf_counter()
            subprocess.run([SCEN, "run", "toy-blobs", "-q", "--logdir", logdir],
                           check=True, capture_output=True)
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def trainer(scenario_name: str, **kwargs):
    """A native Trainer built exactly as `scen run --backend torch` builds it."""
    import keras

    from scen import scenario as scenarios
    from scen.keras_run import fit_for, seed_everything
    from scen.native import Trainer
    from scen.runner import RunSpec

    scenario = scenarios.get(scenario_name)
    config = scenario.config_for("as-posted")
    keras.backend.clear_session()
    seed_everything(keras, 0)
    data = scenario.make_data(config, 0)
    with keras.device("cpu"):
        model = scenario.build_model(config)
    fit = fit_for(RunSpec(scenario_name), scenario, config)
    return Trainer(model, data, fit, **kwargs), model, data, fit


def instrumentation(runs: int) -> tuple[float, float]:
    """Seconds of toy-blobs' training without and with every observer (best of `runs`)."""
    from rich.console import Console

    from scen.diagnose import Diagnostics
    from scen.observe import Observers, RunInfo
    from scen.progress import ProgressBar
    from scen.tensorboard import TensorBoardLogger

    bare, full = [], []
    for _ in range(runs):
        for label in ("bare", "full"):
            t, model, data, fit = trainer("toy-blobs")
            with tempfile.TemporaryDirectory() as run_dir, open(os.devnull, "w") as null:
                observers = [] if label == "bare" else [
                    Diagnostics(), TensorBoardLogger(run_dir), ProgressBar(Console(file=null))]
                obs = Observers(observers)
                info = RunInfo("toy-blobs", "as-posted", "torch", "cpu", "fp32", "float32", 0,
                               fit.epochs, t.steps_per_epoch, run_dir, "categorical_crossentropy")
                obs.before_training(model, data)
                obs.on_train_begin(info)
                start = time.perf_counter()
                t.fit(fit.epochs, obs)
                obs.on_train_end("completed", None)
                (bare if label == "bare" else full).append(time.perf_counter() - start)
    return min(bare), min(full)


def steps_per_second(t, epochs: int) -> float:
    from scen.observe import Observers

    start = time.perf_counter()
    t.fit(epochs, Observers([]))
    return epochs * t.steps_per_epoch / (time.perf_counter() - start)


def compile_report(scenario_name: str, epochs: int) -> dict:
    """Eager and compiled steps/s, and the first compiled epoch's extra seconds."""
    from scen.observe import Observers

    eager, *_ = trainer(scenario_name)
    eager.fit(1, Observers([]))
    eager_rate = steps_per_second(eager, epochs)
    compiled, *_ = trainer(scenario_name, compile=True)
    start = time.perf_counter()
    compiled.fit(1, Observers([]))
    first_epoch = time.perf_counter() - start
    compiled_rate = steps_per_second(compiled, epochs)
    compile_seconds = first_epoch - compiled.steps_per_epoch / compiled_rate
    return dict(eager=eager_rate, compiled=compiled_rate, compile_seconds=compile_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-backends", action="store_true",
                        help="leave out the steps/s table of every backend (minutes)")
    parser.add_argument("--compile-worker", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.compile_worker:
        import json

        print(json.dumps(compile_report(args.compile_worker, 20)))
        return

    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    seconds = whole_process(args.runs)
    print(f"1. `scen run toy-blobs` whole process: {seconds:.1f} s (median of {args.runs})")
    bare, full = instrumentation(args.runs)
    print(f"2. toy-blobs training {bare:.2f} s bare, {full:.2f} s with every observer: "
          f"instrumentation {100 * (full / bare - 1):.0f}% of the training time")
    import json

    reports = []
    with tempfile.TemporaryDirectory() as cache:  # torch's compile caches, empty at first
        env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=cache)
        for attempt in ("first (cold caches)", "second (a fresh process, warm caches)"):
            out = subprocess.run([sys.executable, __file__, "--compile-worker", "toy-blobs"],
                                 check=True, capture_output=True, text=True, env=env)
            reports.append((attempt, json.loads(out.stdout.strip().splitlines()[-1])))
    for attempt, r in reports:
        gain = 1 / r["eager"] - 1 / r["compiled"]
        even = r["compile_seconds"] / gain if gain > 0 else float("inf")
        print(f"3. toy-blobs --compile, {attempt}: eager {r['eager']:,.0f} steps/s, compiled "
              f"{r['compiled']:,.0f} steps/s, compilation {r['compile_seconds']:.1f} s: pays "
              f"off after {even:,.0f} steps")
    from scen.native import AUTO_COMPILE_STEPS

    print(f"   scen compiles a native run by itself from {AUTO_COMPILE_STEPS['first']:,} steps, "
          f"from {AUTO_COMPILE_STEPS['again']:,} where it compiled the same step before "
          "(scen.native.AUTO_COMPILE_STEPS)")
    if not args.skip_backends:
        print("4. steps/s per backend:", flush=True)
        subprocess.run([sys.executable, os.path.join(HERE, "backends.py")], check=True)
        print("5. the floor of eager PyTorch:", flush=True)
        subprocess.run([sys.executable, os.path.join(HERE, "eager_floor.py")], check=True)


if __name__ == "__main__":
    main()
