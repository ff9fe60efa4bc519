"""How much do 256 seeds cost next to one? The vectorised sweep against single runs.

    python benchmarks/sweep_bench.py                 # toy-blobs, 500 epochs (as posted)
    python benchmarks/sweep_bench.py --epochs 100 --no-full-sweep

For each variant (as-posted: softmax output, categorical cross-entropy, Adam; rmsprop: one
sigmoid output, binary cross-entropy, RMSprop), at the variant's own learning rate, on the CPU:

  one seed, plain run   scen.native's Trainer for seed 0, built as `scen run --backend torch`
                        builds it (fresh Keras session, seeding, data, model), no logging
  one seed, sweep       the sweep's batched loop with a single seed (setup included)
  N seeds, sweep        the same loop with seeds 0..N-1 (setup included)

and the ratio of the last to the first (the target is <= 2). Then, unless --no-full-sweep, a
whole `run_sweep` of N seeds x 0.001,0.01,0.1 with its outputs (JSON, CSV, plot, TensorBoard),
and its table. The machine's load average is printed too: on a shared machine the times move
with it, the ratios much less, since both sides run in the same process one after the other.

    python benchmarks/sweep_bench.py --script train.py [--seeds 256] [-- SCRIPT ARGS]

A user's script instead, whole processes side by side: `scen run train.py` (one seed) and
`scen sweep train.py --seeds N`, their wall seconds, the ratio (the target is <= 3) and the
sweep's engine line (batched, or one process per seed and why).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def single_run_seconds(scenario, variant: str, lr: float, epochs: int) -> float:
    """scen.native.run's work for seed 0, less its observers: what one seed costs alone."""
    import keras

    from scen.keras_run import fit_for, seed_everything
    from scen.native import Trainer
    from scen.observe import Observers
    from scen.runner import RunSpec
    from scen.sweep import with_learning_rate

    s = with_learning_rate(scenario, variant, lr)
    config = s.config_for(variant)
    started = time.perf_counter()
    keras.backend.clear_session()
    seed_everything(keras, 0)
    keras.config.set_dtype_policy("float32")
    data = s.make_data(config, 0)
    with keras.device("cpu"):
        model = s.build_model(config)
    trainer = Trainer(model, data, fit_for(RunSpec(s.name, variant=variant, epochs=epochs), s,
                                           config))
    trainer.fit(epochs, Observers([]))
    return time.perf_counter() - started


def sweep_seconds(name: str, variant: str, lr: float, seeds: int, epochs: int) -> float:
    from scen.sweep import native_block

    started = time.perf_counter()
    native_block(dict(scenario=name, variant=variant, lr=lr, seeds=list(range(seeds)),
                      backend="torch", device="cpu", epochs=epochs))
    return time.perf_counter() - started


def default_lr(scenario, variant: str) -> float:
    import keras

    config = scenario.config_for(variant)
    if config.get("learning_rate") is not None:
        return float(config["learning_rate"])
    return float(keras.optimizers.get(config["optimizer"]).get_config()["learning_rate"])


def script_ratio(path: str, seeds: int, script_args: list[str]) -> int:
    """`scen run` and `scen sweep --seeds N` of a script, whole processes, one after the other."""
    scen = os.path.join(os.path.dirname(sys.executable), "scen")

    def wall(command: list[str]) -> tuple[float, str]:
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-500:]}")
        return time.perf_counter() - started, done.stdout

    with tempfile.TemporaryDirectory() as logdir:
        rest = ["--logdir", logdir, path, "--", *script_args]
        one, _ = wall([scen, "run", *rest])
        many, out = wall([scen, "sweep", "--seeds", str(seeds), *rest])
    engine = next((line for line in out.splitlines() if line.startswith("engine:")), "?")
    print(f"{path}: scen run {one:.1f} s; scen sweep --seeds {seeds} {many:.1f} s; ratio "
          f"{many / one:.2f} (target <= 3: {'met' if many / one <= 3 else 'NOT met'}); "
          f"load average {os.getloadavg()[0]:.1f}\n{engine}")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--script", help="a user's script: scen run against scen sweep")
    p.add_argument("script_args", nargs="*", help="the script's arguments, after --")
    p.add_argument("--scenario", default="toy-blobs")
    p.add_argument("--variants", default="as-posted,rmsprop")
    p.add_argument("--seeds", type=int, default=256)
    p.add_argument("--epochs", type=int, default=None, help="default: as posted (500)")
    p.add_argument("--no-full-sweep", action="store_true")
    args = p.parse_args(argv)
    if args.script:
        return script_ratio(args.script, args.seeds, args.script_args)

    t0 = time.perf_counter()
    import keras  # noqa: F401  (imports are not part of any timing below)
    import torch

    from scen import scenario as scenarios
    from scen.sweep import SweepSpec, run_sweep

    scenario = scenarios.get(args.scenario)
    epochs = args.epochs or scenario.fit(scenario.config).epochs
    print(f"imports {time.perf_counter() - t0:.1f} s; torch {torch.__version__}, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    sweep_seconds(args.scenario, "as-posted", 0.01, 2, 2)  # warm-up: first-call costs
    single_run_seconds(scenario, "as-posted", 0.01, 2)

    print(f"\n{args.scenario}, {epochs} epochs, CPU: wall seconds")
    print(f"{'variant':<12} {'lr':>6} {'1 seed, run':>12} {'1 seed, sweep':>14} "
          f"{f'{args.seeds} seeds, sweep':>17} {'ratio to run':>13} {'ratio to sweep':>15}")
    worst = 0.0
    for variant in args.variants.split(","):
        lr = default_lr(scenario, variant)
        one = single_run_seconds(scenario, variant, lr, epochs)
        one_sweep = sweep_seconds(args.scenario, variant, lr, 1, epochs)
        many = sweep_seconds(args.scenario, variant, lr, args.seeds, epochs)
        worst = max(worst, many / one)
        print(f"{variant:<12} {lr:>6g} {one:>12.2f} {one_sweep:>14.2f} {many:>17.2f} "
              f"{many / one:>13.2f} {many / one_sweep:>15.2f}", flush=True)
    print(f"\n{args.seeds} seeds cost at most {worst:.2f}x one seed's run "
          f"(target <= 2: {'met' if worst <= 2 else 'NOT met'}); "
          f"load average now {os.getloadavg()[0]:.1f}")

    if not args.no_full_sweep:
        with tempfile.TemporaryDirectory() as logdir:
            started = time.perf_counter()
            r = run_sweep(SweepSpec(args.scenario, seeds=args.seeds,
                                    learning_rates=[0.001, 0.01, 0.1], epochs=epochs,
                                    logdir=logdir))
            took = time.perf_counter() - started
        print(f"\nrun_sweep: {args.seeds} seeds x 3 learning rates, as-posted, {epochs} epochs, "
              f"with its outputs: {took:.1f} s (training {sum(c.seconds for c in r.configs):.1f} s)")
        print(r.format_table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
