"""`scen sweep train.py --seeds 32`: how often does a user's own script fail?

The script runs once per seed (scen seeds Python, NumPy, torch and Keras before it starts, as
`scen run train.py --seed s` does), each in a process of its own, a few at a time; the first
`Model.fit` that logs the chosen metric is the one judged. Per seed:

- reached: the first epoch at which the metric meets the threshold (at least it, or at most it
  for a metric whose name says loss or error: lower is better there);
- stuck: the metric stayed within STUCK_MARGIN of its first epoch's value for at least
  `stuck_epochs` epochs from the start (no progress: the "stuck at chance" of a classifier).

The table gives the share of seeds that reached the threshold, the median and 10th/90th
percentile epochs (seeds that never got there count as later than any epoch), the share stuck,
and the seeds whose script raised. Everything lands in <logdir>/<script>/<time>-sweep-<backend>/:
each seed's runs (TensorBoard, result.json, diagnosis.json), its output, and sweep.json.
"""

from __future__ import annotations

import concurrent.futures as cf
import json
import math
import os
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field

from scen.files import write_atomically
from scen.runner import BACKENDS, fresh_dir, python_module, subprocess_env
from scen.scenario import ScenError
from scen.script import ScriptResult, ScriptSpec
from scen.sweep.spec import parse_seeds
from scen.sweep.stats import censored_percentile

# Relative to the metric's scale (max(|first value|, 1)): an accuracy that moves by less than
# 0.05, or a loss by less than 5%, has not started to learn.
STUCK_MARGIN = 0.05
BATCHED_SEEDS, PROCESS_SEEDS = "256", "32"  # the default --seeds of each engine


@dataclass
class ScriptSweepSpec:
    path: str
    args: list[str] = field(default_factory=list)
    # A count, "0-9" or "1,2,5" (as scenario sweeps take them); None: 256 batched, 32 in
    # processes (each seed a whole process: ~10 s of imports alone).
    seeds: str | None = None
    backend: str = "auto"  # as ScriptSpec: the native port wherever it takes the fits
    metric: str = "accuracy"  # a key of the fit's history: accuracy, val_loss, mae, ...
    threshold: float = 0.95
    stuck_epochs: int = 10
    logdir: str = "runs"
    workers: int | None = None  # processes at a time; None: one per CPU

    def check(self) -> list[int]:
        """The seeds; ScenError (one line) for anything wrong, before anything runs."""
        script = ScriptSpec(self.path, self.args, self.backend, "cpu", "fp32", 0, self.logdir)
        script.check()  # the script, the backend, the log directory
        self.backend = script.backend
        if not self.metric.strip():
            raise ScenError("--metric is empty: name a metric the script's fit logs (accuracy)")
        if not math.isfinite(self.threshold):
            raise ScenError(f"--threshold must be a number, not {self.threshold}")
        if self.stuck_epochs <= 0 or (self.workers is not None and self.workers <= 0):
            raise ScenError("stuck epochs and workers must be positive")
        return list(parse_seeds(self.seeds or BATCHED_SEEDS))

    @property
    def lower_is_better(self) -> bool:
        return any(word in self.metric for word in ("loss", "error"))

    # The words the scenario sweep's table, plot and HParams use (scen.sweep.spec.SweepSpec).
    @property
    def name(self) -> str:
        return ScriptSpec(self.path).name

    scenario = name
    variant = "as written"
    stuck_margin = STUCK_MARGIN

    @property
    def goal(self) -> str:
        return f"{self.metric} {'<=' if self.lower_is_better else '>='} {self.threshold:g}"

    def legend(self) -> str:
        return (f"reached: {self.goal} within the epochs run (the first fit that logs "
                f"{self.metric}); stuck: {self.metric} within {STUCK_MARGIN:g} of its first "
                f"epoch's value (relative, at least 1) for {self.stuck_epochs}+ epochs from the "
                "start, and never reached")


@dataclass
class SeedOutcome:
    seed: int
    status: str  # completed | raised | failed (the script itself failed: see error)
    error: str | None = None
    values: list[float] = field(default_factory=list)  # the metric per epoch
    reached: int | None = None  # 1-based epoch at the threshold, None: never
    stuck: bool = False
    losses: list[float] = field(default_factory=list)  # the judged fit's loss per epoch
    learning_rate: float | None = None  # its first epoch's, as Keras logs it


@dataclass
class ScriptSweepResult:
    spec: ScriptSweepSpec
    run_dir: str
    seeds: list[SeedOutcome]
    status: str = "completed"  # or interrupted
    engine: str = ""  # batched, or one process per seed and why

    def summary(self) -> dict:
        n = len(self.seeds)
        reached = [s.reached for s in self.seeds]
        share = lambda k: sum(k) / n if n else math.nan  # noqa: E731
        return dict(seeds=n, reached=share([r is not None for r in reached]),
                    median=censored_percentile(reached, 50), p10=censored_percentile(reached, 10),
                    p90=censored_percentile(reached, 90), stuck=share([s.stuck for s in self.seeds]),
                    failed=sum(s.status != "completed" for s in self.seeds))

    def format_table(self) -> str:
        """The scenario sweep's table (lr, seeds, reached, epochs to it, stuck, status)."""
        if not self.seeds:  # interrupted before any seed finished: no share to give
            return f"{self.spec.goal}: no seed finished"
        return self.as_sweep_result(0.0).format_table()

    def as_sweep_result(self, seconds: float):
        """The seeds as a scenario sweep's result (scen.sweep.stats.SweepResult): one
        configuration, at the script's own learning rate, so that the table, seeds.csv,
        sweep.png and the HParams row are the scenario sweep's."""
        import numpy as np

        from scen.sweep.stats import ConfigResult, SweepResult

        seeds, n = self.seeds, len(self.seeds)
        epochs = max([len(s.values) for s in seeds] + [len(s.losses) for s in seeds] + [1])

        def padded(rows):
            out = np.full((n, epochs), np.nan)
            for i, row in enumerate(rows):
                out[i, :len(row)] = row
            return out

        rates = [s.learning_rate for s in seeds if s.learning_rate is not None]
        rate = rates[0] if rates else float("nan")
        s = self.summary()
        finals = lambda rows: [r[-1] for r in rows if r]  # noqa: E731
        mean = lambda xs: float(np.mean(xs)) if xs else None  # noqa: E731
        records = [dict(learning_rate=rate, seed=o.seed, status=o.status,
                        epochs_run=len(o.values), epochs_to_threshold=o.reached,
                        stuck=o.stuck, stuck_epochs=None, chance=None,
                        final_loss=o.losses[-1] if o.losses else None,
                        final_accuracy=o.values[-1] if o.values else None) for o in seeds]
        summary = dict(learning_rate=rate, seeds=n, status=self.status,
                       success_share=s["reached"] if n else 0.0, median_epochs=s["median"],
                       p10_epochs=s["p10"], p90_epochs=s["p90"],
                       stuck_share=s["stuck"] if n else 0.0,
                       mean_final_loss=mean(finals([o.losses for o in seeds])),
                       mean_final_accuracy=mean(finals([o.values for o in seeds])))
        config = ConfigResult(rate, [o.seed for o in seeds], self.status, None, seconds,
                              padded([o.losses for o in seeds]),
                              padded([o.values for o in seeds]), np.full(n, np.nan),
                              [o.status for o in seeds], summary, records)
        return SweepResult(self.spec, self.run_dir, self.status, [config] if n else [], seconds,
                           epochs=epochs, vectorised=self.engine.startswith("batched"))


def judge(spec: ScriptSweepSpec, seed: int, result: ScriptResult | None,
          error: str | None) -> SeedOutcome:
    """One seed's outcome from its script's runs."""
    if result is None:
        return SeedOutcome(seed, "failed", error)
    run = next((r for r in result.runs if spec.metric in r.history), None)
    raised = next((r for r in result.runs if r.status == "raised"), None)
    if run is None and raised is not None:  # the user's real error, not a missing metric
        return SeedOutcome(seed, "failed", f"the fit raised {raised.error}")
    if run is None:
        logged = sorted({k for r in result.runs for k in r.history})
        return SeedOutcome(seed, "failed", f"no fit logged {spec.metric!r} (logged: "
                                           f"{', '.join(logged) or 'nothing'})")
    return outcome(spec, seed, run.status, run.error, run.history)


def outcome(spec: ScriptSweepSpec, seed: int, status: str, error: str | None,
            history: dict) -> SeedOutcome:
    """A seed's outcome from its judged fit's history (which logs spec.metric)."""
    values = [float(v) for v in history[spec.metric]]
    meets = (lambda v: v <= spec.threshold) if spec.lower_is_better else \
        (lambda v: v >= spec.threshold)
    reached = next((i + 1 for i, v in enumerate(values) if meets(v)), None)
    scale = max(abs(values[0]), 1.0) if values else 1.0
    still = 0
    for v in values:
        if abs(v - values[0]) > STUCK_MARGIN * scale:
            break
        still += 1
    stuck = still >= min(spec.stuck_epochs, len(values)) and reached is None
    rates = history.get("learning_rate") or [None]
    return SeedOutcome(seed, status, error, values, reached, stuck,
                       [float(v) for v in history.get("loss", [])],
                       None if rates[0] is None else float(rates[0]))


def run_one(spec: ScriptSweepSpec, seed: int, run_dir: str, live: set) -> SeedOutcome:
    """The script with this seed, in a worker process of its own session (kept in `live` while
    it runs, for run_script_sweep to stop); its output to seed-<s>.log."""
    script = ScriptSpec(spec.path, spec.args, spec.backend, "cpu", "fp32", seed,
                        os.path.join(run_dir, f"seed-{seed}"), verbose=0)
    result, error = run_worker(script, run_dir, f"seed-{seed}", live)
    return judge(spec, seed, result, error)


def run_worker(script: ScriptSpec, run_dir: str, tag: str,
               live: set) -> tuple[ScriptResult | None, str | None]:
    """The script as `script` says, in a worker process of its own session (in `live` while it
    runs); its output to <run_dir>/<tag>.log. (its result, None) or (None, why it has none)."""
    spec_path = os.path.join(run_dir, f"{tag}.spec.json")
    result_path = os.path.join(run_dir, f"{tag}.result.json")
    with open(spec_path, "w") as f:
        json.dump(asdict(script), f)
    with open(os.path.join(run_dir, f"{tag}.log"), "w") as log:
        proc = subprocess.Popen(python_module("scen.worker", "script", spec_path, result_path),
                                env=subprocess_env(BACKENDS[script.backend]), stdout=log,
                                stderr=log, start_new_session=True)
        live.add(proc)
        try:
            proc.wait()
        finally:
            live.discard(proc)
    os.remove(spec_path)
    if not os.path.exists(result_path):
        return None, f"the worker ended early (see {tag}.log)"
    with open(result_path) as f:
        answer = json.loads(f.read())
    os.remove(result_path)
    if "error" in answer:
        return None, answer["error"]
    return ScriptResult.from_json(json.dumps(answer)), None


def run_script_sweep(spec: ScriptSweepSpec, progress=None) -> ScriptSweepResult:
    """Every seed at once in the batched engine where it takes the script's first fit (on the
    native port); else a few processes at a time, sweep.json written as seeds finish. An
    interrupt stops the workers and keeps what finished (status 'interrupted')."""
    seeds = spec.check()
    started = time.perf_counter()
    run_dir = fresh_dir(spec.logdir, ScriptSpec(spec.path).name, f"sweep-{spec.backend}")
    result = ScriptSweepResult(spec, run_dir, [])
    why, failed = batched_refusal(spec), False
    if why is None:
        from scen.sweep.script_program import FailedBeforeFit

        try:
            return run_batched(spec, seeds, result, started, progress)
        except FailedBeforeFit as e:  # the script's own failure: one seed's process shows it
            why, failed = str(e), True
        except ScenError as e:  # the batched engine cannot take this fit: processes can
            why = str(e)
        except KeyboardInterrupt:  # before any seed trained: nothing to judge
            result.status = "interrupted"
            _write(result)
            return result
    result.engine = f"one process per seed: the batched engine cannot take it ({why})"
    if spec.seeds is None:
        seeds = list(parse_seeds(PROCESS_SEEDS))
    if failed:  # every seed would fail alike, each after a whole process's imports
        result.engine = (f"one seed only, in a process: {why}; the other {len(seeds) - 1} "
                         "seed(s) were not run")
        seeds = seeds[:1]
    workers = spec.workers or os.cpu_count() or 1
    pool, live = cf.ThreadPoolExecutor(max_workers=workers), set()
    try:
        futures = {pool.submit(run_one, spec, s, run_dir, live): s for s in seeds}
        for future in cf.as_completed(futures):
            result.seeds.append(future.result())
            result.seeds.sort(key=lambda o: o.seed)
            _write(result)
            if progress:
                progress(len(result.seeds), len(seeds))
    except KeyboardInterrupt:
        result.status = "interrupted"
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        stop_workers(live)
    _write(result)
    _write_reports(result.as_sweep_result(time.perf_counter() - started))
    return result


def batched_refusal(spec: ScriptSweepSpec) -> str | None:
    """Why the sweep cannot even try the batched engine (None: it can try)."""
    from scen.script import selected_backend

    backend = spec.backend if spec.backend != "auto" else selected_backend(spec.path)[0]
    if backend not in ("auto", "torch"):
        return f"it runs on {backend}, and the batched engine is the native port's"
    if "keras" in sys.modules and sys.modules["keras"].backend.backend() != "torch":
        return "this process's Keras is not on torch"
    return None


class EverySeedStopped(Exception):
    """Every seed's EarlyStopping has stopped it: the block ends."""


def run_batched(spec: ScriptSweepSpec, seeds: list[int], result: ScriptSweepResult,
                started: float, progress=None) -> ScriptSweepResult:
    """Every seed at once (scen.sweep.script_program): the script's preamble builds the model
    and data, the batched engine trains all seeds as one model. ScenError, before any
    training, where it cannot take the fit."""
    from scen.sweep import seeds as seeding
    from scen.sweep.engine import SeedTrainer
    from scen.sweep.script_program import ScriptProgram, SeedStopping

    keras = seeding.keras_on_torch()
    with seeding.global_generators_kept():  # the preambles and set-up reseed them
        program = ScriptProgram(spec.path, spec.args, spec.metric, keras, seeds)
        stopping = SeedStopping(program.early_stopping, len(seeds))
        monitors = [spec.metric] + [c.monitor for c in program.early_stopping]
        trainer = SeedTrainer(keras, program, program.variant, seeds,
                              validate=any(m.startswith("val_") for m in monitors))
        status, error = "completed", None
        epochs = trainer.epochs

        def on_epoch(epoch: int) -> None:
            if progress:
                progress(epoch + 1, epochs, "epochs")
            if program.early_stopping and stopping.on_epoch_end(epoch, [
                    {k: v for k, v in trainer.epoch_logs(i).items() if k in program.logs}
                    for i in range(len(seeds))]):
                raise EverySeedStopped

        try:
            trainer.fit(on_epoch)
        except EverySeedStopped:
            pass
        except KeyboardInterrupt:
            result.status = "interrupted"
        except RuntimeError as e:  # as a run would raise it (torch's label checks)
            status, error = "raised", f"{type(e).__name__}: {str(e).strip().splitlines()[0]}"
    result.engine = (f"batched: all {len(seeds)} seeds as one model on the native port "
                     f"({trainer.engine}), the script stopped at its first fit")
    if len(seeds) > 1 and bool((trainer.initial == trainer.initial[:1]).all()):
        result.engine += ("; every seed starts from the same weights: the script seeds itself "
                          "(keras.utils.set_random_seed), or its initializers draw nothing")
    cut = lambda history, n: {k: v[:n] for k, v in history.items()}  # noqa: E731
    result.seeds = [outcome(spec, s, status, error, cut(trainer.seed_history(i),
                                                          stopping.stopped[i]))
                    for i, s in enumerate(seeds)]
    _write(result)
    _write_reports(result.as_sweep_result(time.perf_counter() - started))
    return result


def _write_reports(sweep) -> None:
    """The scenario sweep's outputs beside sweep.json: seeds.csv, the HParams row and curves,
    the table as text, sweep.png (scen.sweep.reports)."""
    from scen.sweep.reports import (write_plot, write_seeds_csv, write_tensorboard_config,
                                    write_tensorboard_summary)

    write_seeds_csv(sweep)
    for config in sweep.configs:
        write_tensorboard_config(sweep, config)
    write_tensorboard_summary(sweep)
    sweep.plot = write_plot(sweep)


def stop_workers(live: set, grace_seconds: float = 10.0) -> None:
    """Interrupt the running workers once (each keeps its interrupted fit's logs), then kill
    what is left after the grace: no worker outlives the sweep."""
    procs = list(live)
    for proc in procs:
        proc.send_signal(signal.SIGINT)
    for proc in procs:
        try:
            proc.wait(timeout=grace_seconds)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _write(result: ScriptSweepResult) -> None:
    doc = dict(spec=asdict(result.spec), status=result.status, engine=result.engine,
               summary=result.summary(),
               seeds=[asdict(s) for s in result.seeds])
    write_atomically(os.path.join(result.run_dir, "sweep.json"),
                     json.dumps(doc, indent=1, default=float))
