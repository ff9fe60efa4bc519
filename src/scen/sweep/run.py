"""run_sweep: every configuration over every seed, through an executor, into a run directory.

    result = run_sweep(SweepSpec("toy-blobs", seeds=256, learning_rates=[0.001, 0.01, 0.1]))
    print(result.format_table())  # or result.summary_table(): one dict per configuration
    result.run_dir  # sweep.json, seeds.csv, histories.npz, sweep.png, TensorBoard runs
"""

from __future__ import annotations

import os
import time
from typing import Callable

import numpy as np

from scen.sweep import executors, memory
from scen.sweep.engine import native_estimate
from scen.sweep.reports import (write_histories, write_plot, write_tables,
                                write_tensorboard_config, write_tensorboard_summary)
from scen.sweep.spec import SweepSpec
from scen.sweep.stats import ConfigResult, SweepResult, summarize


def _combine(lr: float, parts: list[dict], epochs: int) -> ConfigResult:
    seeds = [s for p in parts for s in p["seeds"]]
    status = [s for p in parts for s in p["status"]]
    errors = [p["error"] for p in parts if p.get("error")]
    overall = ("raised" if "raised" in status else
               "interrupted" if "interrupted" in status else "completed")
    return ConfigResult(
        learning_rate=lr, seeds=seeds, status=overall, error=errors[0] if errors else None,
        seconds=sum(p["seconds"] for p in parts),
        loss=np.concatenate([p["loss"] for p in parts]),
        accuracy=np.concatenate([p["accuracy"] for p in parts]),
        chance=np.concatenate([np.asarray(p["chance"], dtype=float) for p in parts]),
        seed_status=status)



def new_sweep_dir(spec: SweepSpec) -> str:
    """<logdir>/<scenario>/<time>-sweep-<variant>-<backend>, never reusing an existing one."""
    from scen.runner import fresh_dir

    return fresh_dir(spec.logdir, spec.scenario, f"sweep-{spec.variant}-{spec.backend}")


def _resolve_device(spec: SweepSpec) -> str:
    from scen.runner import RunSpec, is_cuda, resolve_device

    if spec.executor == "ray" and spec.ray_address and is_cuda(spec.device):
        return "cuda"  # the cluster's machines have the GPUs, maybe not this one
    return resolve_device(RunSpec(spec.scenario, backend=spec.backend, device=spec.device))


def run_sweep(spec: SweepSpec, progress: Callable[[dict], None] | None = None) -> SweepResult:
    """Run every configuration over every seed; write sweep.json, seeds.csv, histories.npz,
    sweep.png and TensorBoard runs into a new run directory; return what happened.

    `progress`, if given, is called with dicts: {"event": "start", ...}, {"event": "epoch",
    "learning_rate", "epoch", "epochs"} (the local native executor), {"event": "config",
    "summary": ...} after each configuration. A KeyboardInterrupt (Ctrl-C, or raised by
    `progress`) ends the sweep early: the finished configurations are kept and written, and
    the result's status is "interrupted"."""
    scenario = spec.check()
    seeds, lrs = spec.seed_list(), spec.lr_list()
    device = _resolve_device(spec)
    config = scenario.config_for(spec.variant)
    epochs = spec.epochs or scenario.fit(config).epochs
    what = f"a sweep of {len(seeds)} seeds x {len(lrs)} learning rate{'s' * (len(lrs) > 1)}"
    workers = None
    if spec.backend == "torch":
        if not (spec.executor == "ray" and spec.ray_address):
            native_estimate(spec, scenario, seeds, len(lrs), device, epochs).check(what)
    else:
        from scen.runner import BACKENDS as KERAS_BACKENDS
        from scen.runner import require_installed

        require_installed(KERAS_BACKENDS[spec.backend])
        workers = _keras_workers(spec, len(seeds) * len(lrs), epochs, what)
    run_dir = new_sweep_dir(spec)
    if progress is not None:
        progress(dict(event="start", run_dir=run_dir, seeds=len(seeds), learning_rates=lrs,
                      epochs=epochs, backend=spec.backend, executor=spec.executor, device=device))
    result = SweepResult(spec=spec, run_dir=run_dir, status="running", configs=[], seconds=0.0,
                         device=device, epochs=epochs, vectorised=spec.backend == "torch")
    started = time.perf_counter()
    if spec.executor == "ray":
        source = executors.ray_tasks(spec, lrs, seeds, epochs, device)
    elif spec.backend == "torch":
        source = executors.local_native(spec, lrs, seeds, epochs, device, progress)
    else:
        source = executors.pool(spec, lrs, seeds, epochs, device, workers)
    try:
        try:
            for lr, parts in source:
                c = _combine(lr, parts, epochs)
                c.records, c.summary = summarize(
                    lr, c.seeds, c.accuracy, c.loss, c.chance, spec.threshold, spec.stuck_margin,
                    spec.stuck_epochs, c.seed_status, c.status)
                c.summary["seconds"] = round(c.seconds, 3)
                c.summary["error"] = c.error
                result.configs.append(c)
                result.seconds = time.perf_counter() - started
                write_tensorboard_config(result, c)
                write_tables(result)
                if progress is not None:
                    progress(dict(event="config", learning_rate=lr, summary=dict(c.summary),
                                  index=len(result.configs) - 1, configs=len(lrs)))
        finally:
            source.close()
        result.status = "completed"
    except KeyboardInterrupt:
        result.status = "interrupted"
    result.seconds = time.perf_counter() - started
    write_tables(result)
    write_histories(result)
    write_tensorboard_summary(result)
    result.plot = write_plot(result)
    if progress is not None:
        progress(dict(event="end", status=result.status, run_dir=run_dir))
    return result


def _keras_workers(spec: SweepSpec, total: int, epochs: int, what: str) -> int:
    """The process pool: one worker per CPU, fewer if memory is short (each imports Keras and
    its backend: ~1 GB)."""
    per_worker = 1 << 30
    per_result = 2 * 8 * epochs * 2 + 1024
    available, source = memory.available_memory("cpu")
    wanted = min(spec.workers or os.cpu_count() or 1, total)
    room = memory.MEMORY_SHARE * available - total * per_result
    fits = int(room // per_worker)
    if spec.executor == "local" and fits < 1:
        memory.MemoryEstimate(per_worker, 0, per_result, 1, total, available, source).check(what)
    return max(1, min(wanted, fits))

