"""Sweeps: one scenario variant over many seeds and several learning rates.

    result = run_sweep(SweepSpec("toy-blobs", seeds=256, learning_rates=[0.001, 0.01, 0.1]))
    print(result.format_table())  # or result.summary_table(): one dict per configuration
    result.run_dir  # sweep.json, seeds.csv, histories.npz, sweep.png, TensorBoard runs

A *configuration* is the variant with its config's `learning_rate` replaced by one of the
learning rates. On the native backend ("torch") all seeds of a configuration train together,
through the native trainer's own step mapped over a seed axis; on a Keras backend each seed is
Keras's own fit in a worker process. The rooms, in reading order:

| module | what |
|---|---|
| spec | SweepSpec and the parsing of seeds and learning rates; one-line errors |
| stats | per-seed records and a configuration's summary; their definitions |
| seeds | each seed as its single run starts it: data, initial weights, batch order |
| engine | the batched engine (torch.func over scen.native.Trainer's step) |
| memory | the memory estimate that refuses an oversized sweep |
| executors | where the work runs: this process, Keras worker processes, Ray |
| reports | sweep.json, seeds.csv, histories.npz, TensorBoard, sweep.png |
| run | run_sweep: all of it, into a run directory |
"""

from scen.sweep.engine import SeedTrainer, native_block
from scen.sweep.executors import keras_seed, run_task, worker_main
from scen.sweep.run import new_sweep_dir, run_sweep
from scen.sweep.spec import (BACKENDS, DEVICES, EXECUTORS, SweepSpec, parse_learning_rates,
                             parse_seeds, with_learning_rate)
from scen.sweep.stats import (ConfigResult, SweepResult, censored_percentile, chance_level,
                              summarize)

__all__ = [
    "BACKENDS", "DEVICES", "EXECUTORS", "ConfigResult", "SeedTrainer", "SweepResult",
    "SweepSpec", "censored_percentile", "chance_level", "keras_seed", "native_block",
    "new_sweep_dir", "parse_learning_rates", "parse_seeds", "run_sweep", "run_task",
    "summarize", "with_learning_rate", "worker_main",
]
