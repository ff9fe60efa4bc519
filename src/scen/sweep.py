"""Sweeps: one scenario variant over many seeds and several learning rates.

    result = run_sweep(SweepSpec("toy-blobs", seeds=256, learning_rates=[0.001, 0.01, 0.1]))
    print(result.format_table())  # or result.summary_table(): one dict per configuration
    result.run_dir  # sweep.json, seeds.csv, histories.npz, sweep.png, TensorBoard runs

A *configuration* is the variant with its config's `learning_rate` replaced by one of the
learning rates. "Seed s" means exactly what `scen run <scenario> --seed s` means: the data of
`make_data(config, s)`, the initial weights of the Keras model built after seeding with s, and
the batch order Keras's torch DataLoader draws after seeding with s.

Vectorised seeds (backend "torch"). All seeds of a configuration train together as one batched
model, each on the trajectory of its own single run (tests/test_sweep.py checks seeds against
`scen.runner.run`: per-epoch loss within 1e-5, accuracy equal):
* Every tensor gets a trailing seed axis: kernels (in, out, S), batches (batch, features, S).
  Keras's update rules are elementwise, so scen.keras_exact's optimizers update all seeds at
  once, over one flat (weights, S) tensor. A trailing seed axis keeps every kernel vectorised
  over the seeds (a leading one makes softmax, argmax and small matmuls crawl on the CPU).
* The loss is scen.keras_exact's (Keras's torch backend), op for op, with one mean per seed
  (SeedLoss). A chain of small Dense layers gets its backward pass written out (_ByHand, with
  autograd's own backward kernels); anything else goes through autograd.
* Each seed has its own torch generator, started from the state a run's fit() finds, and
  replays scen.native.Trainer's draws (Keras's DataLoader: one int64 per iterator, a randperm
  seeded by another); a thread prepares the next epochs' orders and batches.
* Initial weights: the Keras model is built once per configuration; each seed's weights come
  from re-running its initializers with the default seeds Python's random draws after seeding
  with s (checked against real builds of two seeds; every seed is built if they ever differ).
* Setup reseeds the global generators as a run does, and restores them afterwards.

Keras backends ("keras-torch", ...) run each seed as Keras's own fit in worker processes (one
per CPU), fed one seed at a time. `executor="ray"` hands the same units of work (a block of
seeds of one configuration; one seed on a Keras backend) to Ray, with GPUs per task on CUDA.

Definitions (from each seed's per-epoch training accuracy, as Keras logs it):
* epochs to threshold: the first (1-based) epoch whose accuracy is >= `threshold` (default
  0.95); `success_share` is the share of seeds that reach it within the epochs run.
* median / p10 / p90 epochs: percentiles (numpy's linear interpolation) over *all* seeds, a seed
  that never reaches the threshold counting as later than the last epoch; a percentile that
  falls on such seeds is None (shown as ">E").
* stuck at chance: accuracy <= chance + `stuck_margin` (default 0.05) for at least
  `stuck_epochs` (default 10) epochs from the first, where chance is the majority-class share
  of that seed's training labels (0.5 for toy-blobs, so: accuracy <= 0.55 for 10+ epochs).

Before starting, the memory a sweep needs is estimated (weights, gradients, optimizer slots,
a batch's activations, data, per seed; every seed's histories) and a sweep that would take more
than half of the available memory is refused with a ScenError. An interrupted sweep
(KeyboardInterrupt) keeps, and writes, the configurations it finished.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import dataclasses
import json
import math
import os
import random
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from scen import scenario as scenarios
from scen.scenario import ScenError, epochs_stuck_from_start, first_epoch_reaching

BACKENDS = ("torch", "keras-torch", "keras-tensorflow", "keras-jax")
EXECUTORS = ("local", "ray")
DEVICES = ("auto", "cpu", "cuda")
MEMORY_SHARE = 0.5  # refuse a sweep whose estimate exceeds this share of the free memory
MAX_SEED = 2**32 - 1  # numpy's default_rng and Python's random take larger ones; Keras-TF not
PREGATHER_BYTES = 64 << 20  # gather a whole epoch's batches at once below this size
RAY_HINT = 'pip install "ray>=2.9"  (or: pip install ".[ray]")'


# ---------------------------------------------------------------------------- parsing
def parse_learning_rates(text: str | Sequence[float]) -> list[float]:
    """"0.001,0.01,0.1" -> [0.001, 0.01, 0.1]; ScenError (one line) on anything else."""
    if isinstance(text, str):
        items = [t.strip() for t in text.split(",")]
        if not text.strip():
            raise ScenError("--lr: no learning rates given; write them like 0.001,0.01,0.1")
        values = []
        for item in items:
            if not item:
                raise ScenError(f"--lr {text!r}: an empty item; write them like 0.001,0.01,0.1")
            try:
                values.append(float(item))
            except ValueError:
                raise ScenError(f"--lr {text!r}: {item!r} is not a number") from None
    else:
        try:
            values = [float(v) for v in text]
        except (TypeError, ValueError):
            raise ScenError(f"learning rates must be numbers, not {text!r}") from None
        if not values:
            raise ScenError("no learning rates given; pass at least one, like [0.01]")
    for v in values:
        if not math.isfinite(v) or v <= 0:
            raise ScenError(f"a learning rate must be a positive number, not {v:g}")
    if len(set(values)) != len(values):
        raise ScenError(f"learning rates repeat: {', '.join(f'{v:g}' for v in values)}")
    return values


def parse_seeds(text: str | int | Sequence[int]) -> Sequence[int]:
    """The seeds of a sweep: "256" -> seeds 0..255 (a count), "0-9" -> 0..9 (inclusive),
    "1,2,5" or "0-3,7" -> those seeds; an int is a count, a list or range the seeds themselves.
    Malformed input raises ScenError with a one-line message."""
    if isinstance(text, bool):
        raise ScenError(f"seeds must be a count or a list of seeds, not {text!r}")
    if isinstance(text, int):
        if text <= 0:
            raise ScenError(f"--seeds: the number of seeds must be positive, not {text}")
        return range(text)
    if isinstance(text, range):
        if len(text) == 0 or min(text[0], text[-1]) < 0 or max(text[0], text[-1]) > MAX_SEED:
            raise ScenError(f"seeds {text!r}: empty, or seeds outside 0..{MAX_SEED}")
        return text
    if isinstance(text, str):
        s = text.strip()
        if not s:
            raise ScenError("--seeds: nothing given; write a count (256), a range (0-9) or a "
                            "list (1,2,5)")
        if s.isdigit():
            return parse_seeds(_seed_int(s, text))
        items = [t.strip() for t in s.split(",")]
        seeds: list[int] = []
        for item in items:
            if not item:
                raise ScenError(f"--seeds {text!r}: an empty item; write a count (256), a range "
                                "(0-9) or a list (1,2,5)")
            lo, dash, hi = item.partition("-")
            if dash:
                a, b = _seed_int(lo, text), _seed_int(hi, text)
                if b < a:
                    raise ScenError(f"--seeds {text!r}: the range {item} runs backwards")
                if len(items) == 1:
                    return range(a, b + 1)
                seeds.extend(range(a, b + 1))
            else:
                seeds.append(_seed_int(item, text))
        return _checked_seed_list(seeds, repr(text))
    try:
        seeds = [int(v) for v in text]
    except (TypeError, ValueError):
        raise ScenError(f"seeds must be whole numbers, not {text!r}") from None
    return _checked_seed_list(seeds, repr(list(seeds)))


def _seed_int(item: str, text: str) -> int:
    item = item.strip()
    if not item.isdigit():
        raise ScenError(f"--seeds {text!r}: {item!r} is not a non-negative whole number; write a "
                        "count (256), a range (0-9) or a list (1,2,5)")
    value = int(item)
    if value > MAX_SEED:
        raise ScenError(f"--seeds {text!r}: {value} is larger than the largest seed, {MAX_SEED}")
    return value


def _checked_seed_list(seeds: list[int], text: str) -> list[int]:
    if not seeds:
        raise ScenError(f"seeds {text}: no seeds given")
    bad = [s for s in seeds if s < 0 or s > MAX_SEED]
    if bad:
        raise ScenError(f"seeds {text}: {bad[0]} is outside 0..{MAX_SEED}")
    if len(set(seeds)) != len(seeds):
        raise ScenError(f"seeds {text}: a seed repeats")
    return seeds


# ---------------------------------------------------------------------------- the spec
@dataclass
class SweepSpec:
    scenario: str
    variant: str = scenarios.AS_POSTED
    seeds: int | str | Sequence[int] = 256  # a count, "0-9", "1,2,5" or a list
    learning_rates: str | Sequence[float] = (0.001, 0.01, 0.1)
    backend: str = "torch"  # torch: vectorised native loop; keras-*: one process per seed
    device: str = "cpu"  # auto, cpu or cuda (the torch backend)
    epochs: int | None = None  # None: as posted
    executor: str = "local"  # local or ray
    ray_address: str | None = None  # None: a local Ray cluster
    logdir: str = "runs"
    threshold: float = 0.95  # accuracy that counts as success
    stuck_margin: float = 0.05  # stuck: accuracy <= chance + margin ...
    stuck_epochs: int = 10  # ... for at least this many epochs from the start
    seed_block: int | None = None  # seeds per batched model / Ray task; None: all at once
    workers: int | None = None  # Keras backends' process pool; None: os.cpu_count()
    gpus_per_task: float = 1.0  # Ray, device cuda

    def seed_list(self) -> Sequence[int]:
        return parse_seeds(self.seeds)

    def lr_list(self) -> list[float]:
        return parse_learning_rates(self.learning_rates)

    def check(self) -> scenarios.Scenario:
        """Every bad input becomes one ScenError before anything heavy happens."""
        scenario = scenarios.get(self.scenario)
        scenario.variant(self.variant)
        _one_of("backend", self.backend, BACKENDS)
        _one_of("executor", self.executor, EXECUTORS)
        _one_of("device", self.device, DEVICES)
        if "learning_rate" not in scenario.config:
            raise ScenError(f"{scenario.name} has no learning_rate setting to sweep")
        self.seed_list()
        self.lr_list()
        if self.epochs is not None and (isinstance(self.epochs, bool) or self.epochs <= 0):
            raise ScenError(f"--epochs must be a positive number of epochs, not {self.epochs}")
        if self.seed_block is not None and self.seed_block <= 0:
            raise ScenError(f"--seed-block must be positive, not {self.seed_block}")
        if self.workers is not None and self.workers <= 0:
            raise ScenError(f"--workers must be positive, not {self.workers}")
        if not 0 < self.threshold <= 1:
            raise ScenError(f"the success threshold must lie in (0, 1], not {self.threshold}")
        if self.stuck_epochs <= 0:
            raise ScenError(f"stuck_epochs must be positive, not {self.stuck_epochs}")
        if self.backend != "torch" and self.device == "cuda":
            raise ScenError(f"--device cuda is supported by the torch backend, not {self.backend}")
        if self.executor == "ray":
            import importlib.util

            if importlib.util.find_spec("ray") is None:
                raise ScenError(f"--executor ray: Ray is not installed; {RAY_HINT}")
        return scenario

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        seeds = self.seed_list()
        d["seeds"] = (f"{seeds.start}-{seeds.stop - 1}"
                      if isinstance(seeds, range) and seeds.step == 1 else list(seeds))
        d["learning_rates"] = self.lr_list()
        return d


def _one_of(what: str, value, choices) -> None:
    if value not in choices:
        raise ScenError(f"unknown {what} {value!r}; choose from {', '.join(choices)}")


# ---------------------------------------------------------------------------- results
@dataclass
class ConfigResult:
    """One learning rate: every seed's history and what they add up to."""

    learning_rate: float
    seeds: list[int]
    status: str  # completed | raised
    error: str | None
    seconds: float
    loss: np.ndarray  # (seeds, epochs), NaN after a seed stopped
    accuracy: np.ndarray  # (seeds, epochs)
    chance: np.ndarray  # (seeds,): majority-class share of each seed's training labels
    seed_status: list[str]
    summary: dict = field(default_factory=dict)
    records: list[dict] = field(default_factory=list)


@dataclass
class SweepResult:
    spec: SweepSpec
    run_dir: str
    status: str  # completed | interrupted
    configs: list[ConfigResult]
    seconds: float
    device: str = "cpu"
    epochs: int = 0
    vectorised: bool = True  # the torch backend's batched loop (else one process per seed)
    plot: str | None = None  # sweep.png, None without matplotlib

    def summary_table(self) -> list[dict]:
        """One row per configuration: learning_rate, seeds, success_share, median_epochs,
        p10_epochs, p90_epochs, stuck_share (and status)."""
        return [dict(c.summary) for c in self.configs]

    def format_table(self) -> str:
        """The summary as aligned text, for a terminal."""
        head = ["lr", "seeds", "reached", "median ep", "p10 ep", "p90 ep", "stuck", "status"]
        rows = [head]
        for s in self.summary_table():
            rows.append([f"{s['learning_rate']:g}", str(s["seeds"]), f"{s['success_share']:.1%}",
                         _epochs_text(s["median_epochs"], self.epochs),
                         _epochs_text(s["p10_epochs"], self.epochs),
                         _epochs_text(s["p90_epochs"], self.epochs),
                         f"{s['stuck_share']:.1%}", s["status"]])
        widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
        return "\n".join("  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows)

    def seed_records(self) -> list[dict]:
        return [r for c in self.configs for r in c.records]


def _epochs_text(value, epochs: int) -> str:
    return f">{epochs}" if value is None else f"{value:g}"


def chance_level(y) -> float:
    """The majority-class share of the labels: what always guessing one class scores."""
    y = np.asarray(y)
    if len(y) == 0:
        return float("nan")
    if y.ndim >= 2 and y.shape[-1] > 1:
        labels = y.reshape(len(y), -1, y.shape[-1]).argmax(-1).reshape(len(y), -1)[:, 0]
    else:
        labels = y.reshape(len(y), -1)[:, 0]
    _, counts = np.unique(labels, return_counts=True)
    return float(counts.max() / len(labels))


def censored_percentile(values: Sequence[int | None], q: float) -> float | None:
    """Percentile q of epochs-to-threshold over all seeds, None (never reached) counting as
    later than any epoch; None when the percentile falls on such seeds."""
    xs = sorted(math.inf if v is None else float(v) for v in values)
    if not xs:
        return None
    pos = (len(xs) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    a, b = xs[lo], xs[hi]
    if math.isinf(a) or math.isinf(b):
        return None
    return a + (b - a) * (pos - lo)


def summarize(learning_rate: float, seeds: Sequence[int], accuracy: np.ndarray,
              loss: np.ndarray, chance: Sequence[float], threshold: float = 0.95,
              stuck_margin: float = 0.05, stuck_epochs: int = 10,
              seed_status: Sequence[str] | None = None, status: str = "completed"):
    """Per-seed records and the configuration's summary, from per-epoch histories
    (rows: seeds; NaN marks epochs a seed did not run)."""
    records, reached = [], []
    n_stuck = 0
    for i, seed in enumerate(seeds):
        acc = [float(a) for a in accuracy[i] if not math.isnan(a)]
        losses = [float(v) for v in loss[i] if not math.isnan(v)]
        first = first_epoch_reaching(acc, threshold)
        ceiling = float(chance[i]) + stuck_margin
        stuck_for = epochs_stuck_from_start(acc, ceiling) if acc else 0
        stuck = stuck_for >= stuck_epochs
        n_stuck += stuck
        reached.append(first)
        records.append(dict(
            learning_rate=learning_rate, seed=int(seed),
            status=seed_status[i] if seed_status else status,
            epochs_run=len(acc), epochs_to_threshold=first, stuck=bool(stuck),
            stuck_epochs=stuck_for, chance=float(chance[i]),
            final_loss=losses[-1] if losses else None, final_accuracy=acc[-1] if acc else None,
        ))
    n = len(records)
    finals = [r["final_loss"] for r in records if r["final_loss"] is not None]
    accs = [r["final_accuracy"] for r in records if r["final_accuracy"] is not None]
    summary = dict(
        learning_rate=learning_rate, seeds=n, status=status,
        success_share=sum(r is not None for r in reached) / n if n else 0.0,
        median_epochs=censored_percentile(reached, 50),
        p10_epochs=censored_percentile(reached, 10),
        p90_epochs=censored_percentile(reached, 90),
        stuck_share=n_stuck / n if n else 0.0,
        mean_final_loss=float(np.mean(finals)) if finals else None,
        mean_final_accuracy=float(np.mean(accs)) if accs else None,
    )
    return records, summary


# ---------------------------------------------------------------------------- configurations
def with_learning_rate(scenario: scenarios.Scenario, variant: str, lr: float):
    """The scenario with `variant`'s config using learning rate `lr`."""
    if "learning_rate" not in scenario.config:
        raise ScenError(f"{scenario.name} has no learning_rate setting to sweep")
    variants = tuple(
        dataclasses.replace(v, changes={**v.changes, "learning_rate": lr}) if v.name == variant
        else v for v in scenario.variants)
    return dataclasses.replace(scenario, variants=variants)


def _blocks(seeds: Sequence[int], size: int | None) -> list[list[int]]:
    seeds = list(seeds)
    size = size or len(seeds)
    return [seeds[i:i + size] for i in range(0, len(seeds), size)]


def _task(spec: SweepSpec, lr: float, seeds: list[int], epochs: int | None, device: str) -> dict:
    return dict(scenario=spec.scenario, variant=spec.variant, lr=lr, seeds=list(seeds),
                backend=spec.backend, device=device, epochs=epochs)


def run_task(task: dict) -> dict:
    """One unit of work, the same for every executor: a block of seeds of one configuration on
    the native backend, or one seed on a Keras backend. Returns plain data."""
    if task["backend"] == "torch":
        return native_block(task)
    return keras_seed(task)


# ---------------------------------------------------------------------------- Keras backends
def keras_seed(task: dict) -> dict:
    """One seed with Keras's own fit, in a process whose Keras runs on the task's backend."""
    import tempfile

    from scen import runner

    keras_backend = runner.BACKENDS[task["backend"]]
    if "keras" not in sys.modules:
        os.environ.update(KERAS_BACKEND=keras_backend, **runner.QUIET_TF)
    import keras

    if keras.backend.backend() != keras_backend:
        raise ScenError(f"this worker runs Keras on {keras.backend.backend()}, not {keras_backend}")
    from scen import keras_run
    from scen.observe import Observers

    (seed,) = task["seeds"]
    scenario = with_learning_rate(scenarios.get(task["scenario"]), task["variant"], task["lr"])
    spec = runner.RunSpec(task["scenario"], variant=task["variant"], backend=task["backend"],
                          device=task["device"], epochs=task["epochs"], seed=seed, quiet=True)
    config = scenario.config_for(task["variant"])
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as run_dir:  # the run's weights files: not kept
        out = keras_run.run(spec, scenario, run_dir, Observers([]))
    fit = keras_run.fit_for(spec, scenario, config)
    data = scenario.make_data(config, seed)
    n = keras_run.train_size(data, fit)
    h = out["history"]
    return dict(seeds=[seed], loss=_padded([h.get("loss", [])], fit.epochs),
                accuracy=_padded([h.get("accuracy", [])], fit.epochs),
                chance=np.array([chance_level(data.y[:n])]), status=[out["status"]],
                error=out["error"], seconds=time.perf_counter() - started, epochs=fit.epochs)


def _padded(rows: list[list[float]], epochs: int) -> np.ndarray:
    out = np.full((len(rows), epochs), np.nan)
    for i, r in enumerate(rows):
        out[i, :len(r)] = r[:epochs]
    return out


def worker_main() -> None:
    """A Keras-backend worker: `python -c "from scen.sweep import worker_main; worker_main()"`
    with KERAS_BACKEND set. Reads one task per line (JSON) on stdin, answers one result per line
    on stdout (anything Keras prints goes to stderr)."""
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            r = run_task(json.loads(line))
            reply = dict(r, loss=r["loss"].tolist(), accuracy=r["accuracy"].tolist(),
                         chance=np.asarray(r["chance"]).tolist())
        except ScenError as e:
            reply = dict(failed=str(e), scen_error=True)
        except Exception as e:
            reply = dict(failed=f"{type(e).__name__}: {str(e).strip().splitlines()[0] if str(e).strip() else ''}",
                         scen_error=False)
        out.write(json.dumps(reply, default=_json_default) + "\n")
        out.flush()


class _WorkerPool:
    """Processes that each run one seed at a time on a Keras backend (a fresh interpreter: Keras
    fixes its backend at import), fed by one thread each."""

    def __init__(self, keras_backend: str, workers: int):
        import concurrent.futures as cf
        import threading

        from scen.runner import QUIET_TF

        self.env = dict(os.environ, KERAS_BACKEND=keras_backend, **QUIET_TF)
        if keras_backend != "torch":
            self.env["CUDA_VISIBLE_DEVICES"] = ""
        self.local = threading.local()
        self.procs: list = []
        self.lock = threading.Lock()
        self.closed = False
        self.threads = cf.ThreadPoolExecutor(max_workers=workers,
                                             thread_name_prefix="scen-sweep-worker")

    def _proc(self):
        import subprocess
        import tempfile

        proc = getattr(self.local, "proc", None)
        if proc is None or proc.poll() is not None:
            err = tempfile.TemporaryFile(mode="w+")
            proc = subprocess.Popen(
                [sys.executable, "-c", "from scen.sweep import worker_main; worker_main()"],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=err, env=self.env,
                text=True, start_new_session=True)  # Ctrl-C reaches the parent, which stops them
            proc.err_file = err
            with self.lock:
                if self.closed:
                    proc.kill()
                    raise ScenError("the sweep was stopped")
                self.procs.append(proc)
            self.local.proc = proc
        return proc

    def _call(self, task: dict) -> dict:
        proc = self._proc()
        try:
            proc.stdin.write(json.dumps(task) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except (BrokenPipeError, OSError):
            line = ""
        if not line:
            proc.err_file.seek(0)
            lines = [ln for ln in proc.err_file.read().strip().splitlines() if ln.strip()]
            raise ScenError(f"a {self.env['KERAS_BACKEND']} sweep worker failed: "
                            f"{lines[-1] if lines else 'no output'}")
        reply = json.loads(line)
        if "failed" in reply:
            if reply.get("scen_error"):
                raise ScenError(reply["failed"])
            raise ScenError(f"seed {task['seeds'][0]} failed: {reply['failed']}")
        for k in ("loss", "accuracy", "chance"):
            reply[k] = np.asarray(reply[k], dtype=float)
        return reply

    def submit(self, task: dict):
        return self.threads.submit(self._call, task)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            procs = list(self.procs)
        self.threads.shutdown(wait=False, cancel_futures=True)
        for proc in procs:  # an idle worker exits at the end of its input
            try:
                proc.stdin.close()
            except OSError:
                pass
        deadline = time.monotonic() + 1.0
        for proc in procs:  # a busy one (the sweep was stopped) is killed
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except Exception:
                proc.kill()
                proc.wait()
            proc.err_file.close()


# ---------------------------------------------------------------------------- native backend
def _keras_on_torch():
    from scen import runner

    if not runner._keras_matches("torch", "cpu"):
        import keras

        raise ScenError("the vectorised sweep needs Keras on its torch backend; this process "
                        f"imported Keras on {keras.backend.backend()}")
    import keras

    return keras


class _Replay:
    """Every seed's batch order: scen.native.Trainer's draws from torch's global generator,
    replayed from each seed's own generator. The seeds draw in lockstep (the same fit, so the
    same sequence of draws), so the bookkeeping is done once for all of them. The int64 draws
    come in blocks (one random_ over k elements draws what k scalar random_ calls draw); each
    randperm has its own generator, seeded by one of them, as Keras's RandomSampler does."""

    BLOCK = 256

    def __init__(self, generators, n: int, batches: int, steps: int, carry: bool,
                 shuffle: bool):
        import torch

        self.torch, self.generators = torch, generators
        self.n, self.batches, self.steps = n, batches, steps
        self.carry, self.shuffle = carry, shuffle
        self.buf, self.pos = None, 0
        self.order, self.seen, self.fresh = None, 0, True
        self.perm_gen = torch.Generator()

    def _draw(self) -> np.ndarray:
        """The next int64 of every seed's generator."""
        torch = self.torch
        if self.buf is None or self.pos == self.BLOCK:
            self.buf = np.stack([torch.empty((self.BLOCK,), dtype=torch.int64)
                                 .random_(generator=g).numpy() for g in self.generators])
            self.pos = 0
        self.pos += 1
        return self.buf[:, self.pos - 1]

    def _new_iterator(self) -> None:
        self._draw()
        self.order, self.seen = None, 0

    def _draw_order(self):
        torch = self.torch
        if not self.shuffle:
            return torch.arange(self.n).expand(len(self.generators), self.n)
        g, n = self.perm_gen, self.n
        perms = []
        for seed in self._draw().tolist():
            g.manual_seed(seed)
            perms.append(torch.randperm(n, generator=g))
        return torch.stack(perms)

    def start(self) -> None:
        """fit() peeks at one batch to build the model, then resets the iterator."""
        self._new_iterator()
        self._draw_order()
        self.order, self.seen, self.fresh = None, 0, True

    def epoch(self):
        """(orders (S, n), first batch, number of batches) of the next epoch:
        Trainer._epoch_batches, which stops where the pass runs out of batches."""
        if self.fresh or not self.carry:
            self._new_iterator()
            self.fresh = False
        first = self.seen
        count = min(self.steps, self.batches - self.seen)
        if count > 0 and self.order is None:
            self.order = self._draw_order()
        self.seen += count
        order = self.order
        if self.seen >= self.batches:
            self._new_iterator()
        return order, first, count

    def evaluate(self) -> None:
        self._draw()  # evaluate's iterator, and the one made at the end of its pass
        self._draw()


def _reference_build(keras, scenario, config: dict, seed: int):
    """Build the Keras model as scen.native.run does (seed, float32, make_data, build), noting
    which initializer made each weight and which initializers drew a default seed."""
    from keras.src.backend.common import variables
    from keras.src.initializers import random_initializers

    from scen.keras_run import seed_everything

    created, made = [], {}
    original_init = random_initializers.RandomInitializer.__init__
    original_make = variables.Variable._initialize_with_initializer

    def record_init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        created.append(self)

    def record_make(self, initializer):
        made[id(self)] = initializer
        return original_make(self, initializer)

    keras.backend.clear_session(free_memory=False)  # as a run does, less its gc.collect()
    seed_everything(keras, seed)
    keras.config.set_dtype_policy("float32")
    data = scenario.make_data(config, seed)
    random_initializers.RandomInitializer.__init__ = record_init
    variables.Variable._initialize_with_initializer = record_make
    try:
        with keras.device("cpu"):
            model = scenario.build_model(config)
    finally:
        random_initializers.RandomInitializer.__init__ = original_init
        variables.Variable._initialize_with_initializer = original_make
    return model, data, created, made


def _seed_cpu(seed: int) -> None:
    """scen.keras_run.seed_everything on Keras-torch, for the CPU generator only: torch's
    manual_seed also queues a lazy seeding of every accelerator, with a stack trace each time
    (~1 ms, and memory, per seed)."""
    import torch
    from keras.src.backend.common import global_state
    from keras.src.random import seed_generator
    from keras.src.utils import rng_utils

    global_state.set_global_attribute(rng_utils.GLOBAL_RANDOM_SEED, seed)
    global_state.set_global_attribute(seed_generator.GLOBAL_SEED_GENERATOR, None)
    random.seed(seed)
    np.random.seed(seed)
    torch.default_generator.manual_seed(seed)


def _build_weights(keras, scenario, config, seed) -> list[np.ndarray]:
    """A seed's initial weights the slow, sure way: a Keras build."""
    from scen.keras_run import seed_everything

    seed_everything(keras, seed)
    scenario.make_data(config, seed)
    with keras.device("cpu"):
        return [np.asarray(w) for w in scenario.build_model(config).get_weights()]


class _InitialWeights:
    """Every seed's initial weights without building a Keras model per seed (a build costs
    ~10 ms): after seed_everything(s) and make_data(config, s), draw the
    initializers' default seeds from Python's random in the order the build created them
    (RandomInitializer calls random.randint(1, 1e9) when given no seed), then call each weight's
    initializer as Keras's Variable does. Checked against real builds by the caller."""

    def __init__(self, keras, model, created, made):
        from keras.src.initializers import random_initializers

        self.keras = keras
        self.defaults = [i for i in created
                         if isinstance(i, random_initializers.RandomInitializer)
                         and i._init_seed is None]
        self.weights = [(v, made.get(id(v))) for v in model.weights]
        self.ok = all(init is not None for _, init in self.weights)

    def after_seeding(self) -> list[np.ndarray]:
        drawn = {id(i): random.randint(1, int(1e9)) for i in self.defaults}  # creation order
        out = []
        with self.keras.device("cpu"):
            for v, init in self.weights:
                if id(init) in drawn:
                    seed = drawn[id(init)]
                    init = copy.copy(init)
                    init.seed = seed
                value = init(tuple(v.shape), dtype=v.dtype)
                out.append(np.array(self.keras.ops.convert_to_numpy(value)))
        return out


def _same(a, b) -> bool:
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a is b or (np.shape(a) == np.shape(b) and np.array_equal(a, b))


class _Prefetch:
    """Runs a generator in a thread, up to `depth` items ahead; errors come out of next()."""

    _END = object()

    def __init__(self, source, depth: int = 2):
        import queue
        import threading

        self.queue = queue.Queue(maxsize=depth)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(source,), daemon=True,
                                       name="scen-sweep-prefetch")
        self.thread.start()

    def _put(self, item) -> bool:
        import queue

        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def _run(self, source) -> None:
        try:
            for item in source:
                if not self._put((True, item)):
                    return
            self._put((True, self._END))
        except BaseException as e:  # handed to the consumer
            self._put((False, e))

    def __next__(self):
        ok, item = self.queue.get()
        if not ok:
            raise item
        if item is self._END:
            raise StopIteration
        return item

    def close(self) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


class BatchedTrainer:
    """scen.native.Trainer for a block of seeds at once: a trailing seed axis on every weight,
    batch and activation. Setting up reseeds Python's, NumPy's and torch's global generators
    for every seed, as a run does (native_block restores them afterwards)."""

    def __init__(self, keras, scenario, variant: str, seeds: Sequence[int],
                 epochs: int | None = None, device: str = "cpu"):
        import torch

        from scen import keras_exact
        from scen.keras_run import fit_for, loss_name, train_size
        from scen.native import accuracy_kind
        from scen.port import _Dropout, translate
        from scen.runner import RunSpec

        started = time.perf_counter()
        self.torch = torch
        self.device = torch.device(device)
        self.seeds = [int(s) for s in seeds]
        S = len(self.seeds)
        config = scenario.config_for(variant)
        fit = fit_for(RunSpec(scenario.name, variant=variant, epochs=epochs), scenario, config)
        if fit.reduce_lr_on_plateau:
            raise ScenError(f"{scenario.name} {variant} uses ReduceLROnPlateau, which gives each "
                            "seed its own learning rate: sweep it with --backend keras-torch")
        self.fit_args, self.epochs = fit, fit.epochs

        model, data0, created, made = _reference_build(keras, scenario, config, self.seeds[0])
        with torch.random.fork_rng(devices=[]):
            ported = translate(model)
        for m in ported.layer_modules.values():
            if isinstance(m, _Dropout) and m.p > 0:
                raise ScenError(f"{scenario.name} {variant} has dropout, whose masks come from the "
                                "same generator as the batch order: sweep it with --backend "
                                "keras-torch")
        reference = [np.asarray(w) for w in model.get_weights()]

        # Per seed: the data, the torch generator as the run's fit() finds it, the weights.
        initial = _InitialWeights(keras, model, created, made)
        n = self.n = train_size(data0, fit)
        as_list = lambda x: list(x) if isinstance(x, (list, tuple)) else [x]
        first_x, first_y = as_list(data0.x), data0.y
        distinct: list[tuple | None] = []  # None: the same data as the first seed
        generators, weights, chance = [], [], []
        for s in self.seeds:
            _seed_cpu(s)
            data = scenario.make_data(config, s)
            g = torch.Generator()
            g.set_state(torch.default_generator.get_state())
            generators.append(g)
            weights.append(initial.after_seeding() if initial.ok else None)
            x = as_list(data.x)
            distinct.append(None if _same(x, first_x) and _same(data.y, first_y)
                            else ([a[:n] for a in x], data.y[:n]))
            chance.append(chance_level(data.y[:n]))
        self.chance = np.asarray(chance)
        self.has_validation = data0.validation is not None or bool(fit.validation_split)

        # The replay must give the weights a Keras build gives: check the first seed (built
        # above) and the last; fall back to building every seed if they differ.
        self.replayed = initial.ok and _same(weights[0], reference)
        if self.replayed and S > 1:
            self.replayed = _same(weights[-1], _build_weights(keras, scenario, config,
                                                              self.seeds[-1]))
        if not self.replayed:
            weights = [_build_weights(keras, scenario, config, s) for s in self.seeds]

        dev = self.device
        f32 = lambda a: torch.as_tensor(np.ascontiguousarray(a, dtype="float32"), device=dev)
        # All inputs and the labels side by side in one table, so that one index op per epoch
        # (or per step) fetches every seed's batches: (n, width), or (S * n, width) seed after
        # seed when the seeds' data differ.
        self.shared = all(d is None for d in distinct)
        if self.shared:
            parts = [a[:n] for a in first_x] + [first_y[:n]]
        else:
            per = [d or ([a[:n] for a in first_x], first_y[:n]) for d in distinct]
            parts = [np.concatenate([p[0][i] for p in per]) for i in range(len(first_x))]
            parts.append(np.concatenate([p[1] for p in per]))
        self.shapes = [tuple(a.shape[1:]) for a in parts]
        self.widths = [int(np.prod(sh, dtype=int)) for sh in self.shapes]
        self.table = f32(np.concatenate([np.asarray(a, dtype="float32").reshape(len(a), -1)
                                         for a in parts], axis=1))
        del parts
        del distinct
        self.S = S
        self.offsets = torch.arange(S, device=dev) * n
        # Weights with the seed axis last, (*Keras shape, S). The trainable ones live in one
        # (count, S) tensor, each a view of it, so that the optimizer's foreach ops run over one
        # tensor instead of one per weight.
        self.params: dict[str, Any] = {}
        specs = [(i, w) for i, w in enumerate(ported._weights) if w.param is not None]
        sizes = [int(np.prod(weights[0][i].shape, dtype=int)) if w.param.requires_grad else 0
                 for i, w in specs]
        self.flat = torch.zeros((sum(sizes), S), device=dev)
        self.grad = torch.zeros_like(self.flat)
        grad_views = {}
        offset = 0
        for (i, w), size in zip(specs, sizes):
            value = f32(np.stack([ws[i] for ws in weights], axis=-1))
            if size:
                view = self.flat[offset:offset + size].view(value.shape)
                view.copy_(value)
                view.requires_grad_(True)
                self.params[w.path] = view
                grad_views[w.path] = self.grad[offset:offset + size].view(value.shape)
                offset += size
            else:
                self.params[w.path] = value  # frozen
        del weights
        self.forward = _BatchedForward(ported, self.params)
        self.trainable = [p for p in self.params.values() if p.requires_grad]
        inner = getattr(model.optimizer, "inner_optimizer", model.optimizer)
        # What keras.optimizers.serialize gives, without its import of TensorFlow.
        serialized = {"class_name": type(inner).__name__, "config": inner.get_config()}
        self.optimizer = keras_exact.get_optimizer(serialized, [self.flat])
        self.loss = SeedLoss(loss_name(model))
        # A chain of Dense layers gets its backward pass written out (half the time per step);
        # anything else goes through autograd.
        self.by_hand = _ByHand.build(ported, self.params, grad_views, self.loss)
        with torch.no_grad():
            width = ported(*[torch.as_tensor(np.asarray(a[:1], dtype="float32"))
                             for a in first_x]).shape[-1]
        self.accuracy = accuracy_kind(data0.y, width)

        b = fit.batch_size
        self.batches = math.ceil(n / b)
        self.steps = fit.steps_per_epoch or self.batches
        self.replay = _Replay(generators, n, self.batches, self.steps,
                              fit.steps_per_epoch is not None, fit.shuffle)
        row = self.table.shape[1]
        self.pregather = S * n * row * 4 <= PREGATHER_BYTES
        # Small tensors: one thread (a second one only waits at every kernel's barrier).
        self.threads = 1 if S * b * max(row, ported_width(ported)) < (1 << 18) else None
        self.loss_rows: list[np.ndarray] = []
        self.accuracy_rows: list[np.ndarray] = []
        self.setup_seconds = time.perf_counter() - started

    # ---- one epoch -----------------------------------------------------------------------
    def _gather(self, rows, contiguous=False):
        """Each seed's rows of the data, rows (r, S) -> inputs and labels, each (r, ..., S)."""
        if not self.shared:  # seed s's rows start at s * n
            rows = rows + self.offsets
        got = self.table[rows]  # (r, S, width)
        out = []
        for part, shape in zip(got.split(self.widths, dim=-1), self.shapes):
            part = part.reshape(*rows.shape, *shape).movedim(1, -1)
            out.append(part.contiguous() if contiguous else part)
        return out[:-1], out[-1]

    def _labels(self, y):
        """What accuracy compares: the labels' classes where Keras takes an argmax."""
        return self._argmax(y) if self.accuracy == "categorical" else y

    @staticmethod
    def _argmax(out):
        """argmax over the class axis (-2): torch.argmax's rule (the first maximum; NaN counts
        as the maximum) without its slow strided kernel."""
        if out.shape[-2] == 2:
            a, b = out[..., 0, :], out[..., 1, :]
            return ((b > a) | ((b != b) & (a == a))).long()
        return out.max(-2).indices  # max's indices follow argmax's first-maximum rule

    def _matches(self, labels, out):
        S = self.S
        if self.accuracy == "binary":
            y2 = labels.reshape(out.shape) if labels.numel() == out.numel() else labels
            m = y2 == (out > 0.5).to(y2.dtype)
        elif self.accuracy == "sparse":
            pred = self._argmax(out)
            m = labels.reshape(-1, S) == pred.reshape(-1, S).to(labels.dtype)
        else:
            m = labels == self._argmax(out)
        return m.reshape(-1, S).sum(0)

    def fit(self, on_epoch: Callable[[int], None] | None = None) -> None:
        torch = self.torch
        threads = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            self._fit(on_epoch)
        finally:
            torch.set_num_threads(threads)

    def _plans(self):
        """Each epoch's batches: (rows (r, S), inputs, labels, classes, count), the inputs
        gathered for the whole epoch when small enough (else None: gathered per step)."""
        b = self.fit_args.batch_size
        self.replay.start()
        for _ in range(self.epochs):
            orders, first, count = self.replay.epoch()
            if self.has_validation:
                self.replay.evaluate()
            orders = orders.to(self.device, non_blocking=True)
            lo, hi = first * b, min((first + count) * b, self.n)
            rows = orders[:, lo:hi].t()  # (r, S)
            if self.pregather:
                xe, ye = self._gather(rows, contiguous=True)
                yield rows, xe, ye, self._labels(ye), count
            else:
                yield rows, None, None, None, count

    def _fit(self, on_epoch) -> None:
        torch = self.torch
        b, S = self.fit_args.batch_size, self.S
        # The batch orders and gathered batches of the next epochs come from a thread: their
        # torch ops release the GIL, so they overlap the training steps where a core is free.
        plans = _Prefetch(self._plans(), depth=2)
        try:
            for epoch in range(self.epochs):
                rows, xe, ye, le, count = next(plans)
                r_all = rows.shape[0]
                losses, sizes = [], []
                correct = torch.zeros(S, dtype=torch.int64, device=self.device)
                for j in range(count):
                    r0, r1 = j * b, min((j + 1) * b, r_all)
                    if xe is not None:
                        xb, yb, lb = [e[r0:r1] for e in xe], ye[r0:r1], le[r0:r1]
                    else:
                        xb, yb = self._gather(rows[r0:r1])
                        lb = self._labels(yb)
                    if self.by_hand is not None:
                        with torch.no_grad():
                            per_seed, out = self.by_hand.step(xb[0], yb)
                        grad = self.grad
                    else:
                        out, _ = self.forward(xb)
                        per_seed = self.loss(yb, out)
                        grads = torch.autograd.grad(per_seed.sum(), self.trainable,
                                                    allow_unused=True)
                        grad = torch.cat([
                            torch.zeros_like(p).reshape(-1, S) if g is None else g.reshape(-1, S)
                            for p, g in zip(self.trainable, grads)])
                        per_seed, out = per_seed.detach(), out.detach()
                    with torch.no_grad():  # KerasOptimizer.step, less torch.optim's wrapper
                        self.optimizer._update([grad], [self.flat])
                        self.optimizer._iterations.add_(1)
                    losses.append(per_seed)
                    sizes.append(r1 - r0)
                    correct += self._matches(lb, out)
                # One host transfer per epoch; the epoch's numbers as scen.native computes them.
                step_losses = torch.stack(losses).cpu().numpy().astype(float)  # (steps, S)
                w = np.asarray(sizes, dtype=float)
                self.loss_rows.append((step_losses * w[:, None]).sum(0) / w.sum())
                self.accuracy_rows.append(correct.cpu().numpy().astype(float) / w.sum())
                if on_epoch is not None:
                    on_epoch(epoch)
        finally:
            plans.close()

    def histories(self) -> tuple[np.ndarray, np.ndarray]:
        """(loss, accuracy), each (seeds, epochs), NaN after the last epoch run."""
        loss = np.full((self.S, self.epochs), np.nan)
        acc = np.full((self.S, self.epochs), np.nan)
        k = len(self.loss_rows)
        if k:
            loss[:, :k] = np.stack(self.loss_rows, axis=1)
            acc[:, :k] = np.stack(self.accuracy_rows, axis=1)
        return loss, acc


class SeedLoss:
    """scen.keras_exact's losses as Keras's torch backend computes them, with a trailing seed
    axis: (batch, ..., S) in, one mean per seed out. The same formulas op for op (rank fixes,
    normalisation, clipping, F.binary_cross_entropy and its label check), the class axis at -2
    and the final mean taken per seed instead of over everything."""

    KINDS = ("binary_crossentropy", "categorical_crossentropy",
             "sparse_categorical_crossentropy", "mean_squared_error")

    def __init__(self, name: str):
        from scen import keras_exact

        key = name.lower()
        key = keras_exact._LOSS_ALIASES.get(key, key)
        if key not in self.KINDS:
            raise ScenError(f"the vectorised sweep does not know the loss {name!r}")
        self.kind = key

    @staticmethod
    def _prepare(y, out):
        """keras_exact._prepare (LossFunctionWrapper's rank fixes), the seed axis aside."""
        r_true, r_pred = y.dim() - 1, out.dim() - 1
        if r_true == r_pred + 1 and y.shape[-2] == 1:
            if r_pred == 1:
                out = out.unsqueeze(-2)
            else:
                y = y.squeeze(-2)
        if r_pred == r_true + 1 and out.shape[-2] == 1:
            if r_true == 1:
                y = y.unsqueeze(-2)
            else:
                out = out.squeeze(-2)
        return y, out

    def __call__(self, y, out):
        import torch
        import torch.nn.functional as F

        from scen.keras_exact import EPSILON

        y, out = self._prepare(y, out)
        if self.kind == "sparse_categorical_crossentropy":
            labels = y.to(torch.long)
            if labels.dim() == out.dim() and labels.shape[-2] == 1:
                labels = labels.squeeze(-2)
            p = out / torch.sum(out, dim=-2, keepdim=True)
            logp = torch.log(torch.clip(p, EPSILON, 1.0 - EPSILON))
            values = -torch.gather(logp, -2, labels.unsqueeze(-2)).squeeze(-2)
        else:
            if y.shape != out.shape:
                raise ValueError(f"shapes differ: {tuple(y.shape[:-1])} vs {tuple(out.shape[:-1])}")
            if self.kind == "binary_crossentropy":
                p = torch.clip(out, EPSILON, 1.0 - EPSILON)
                values = torch.mean(F.binary_cross_entropy(p, y, reduction="none"), dim=-2)
            elif self.kind == "categorical_crossentropy":
                p = out / torch.sum(out, dim=-2, keepdim=True)
                p = torch.clip(p, EPSILON, 1.0 - EPSILON)
                values = -torch.sum(y * torch.log(p), dim=-2)
            else:
                values = torch.mean(torch.square(y - out), dim=-2)
        S = values.shape[-1]
        if values.dim() == 1:  # one value per seed already
            return values
        return values.reshape(-1, S).sum(0) / (values.numel() // S)


class _ByHand:
    """Forward and backward written out for a chain of small Dense (and Activation, Flatten)
    layers with elementwise activations or softmax, under a cross-entropy or squared-error loss,
    where autograd's bookkeeping costs more than the arithmetic.
    Autograd's own backward kernels (aten::sigmoid_backward, tanh_backward, ...) or formulas,
    and its chain rule, op for op, without its graph: each step's gradients land in the flat
    gradient buffer the optimizer reads."""

    ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh", "softmax")
    LOSSES = ("binary_crossentropy", "categorical_crossentropy", "mean_squared_error")

    def __init__(self, layers, loss: SeedLoss):
        self.layers, self.kind = layers, loss.kind

    @classmethod
    def build(cls, ported, params: dict, grads: dict, loss: SeedLoss):
        from scen.port import _Activation, _Dense, _Dropout, _Flatten

        if len(ported.input_names) != 1 or loss.kind not in cls.LOSSES:
            return None
        path_of = {id(w.param): w.path for w in ported._weights if w.param is not None}
        layers, slot, used = [], 0, set()
        for s in ported._steps:
            m = ported.layer_modules[s.key]
            if s.inputs != (slot,) or s.key in used:
                return None  # not a chain, or a layer used twice
            used.add(s.key)
            slot = s.output
            if isinstance(m, _Dense):
                if m.act.name not in cls.ACTIVATIONS or m.bias is None:
                    return None
                kp, bp = path_of[id(m.weight)], path_of[id(m.bias)]
                if kp not in grads or bp not in grads:
                    return None  # frozen weights: autograd
                if m.in_features * m.out_features > _BatchedForward.SMALL:
                    return None  # big layers are compute-bound: autograd's matmuls are as fast
                layers.append(("dense", (params[kp], params[bp], grads[kp], grads[bp],
                                         m.act.name, True)))
            elif isinstance(m, _Activation):
                if m.act.name not in cls.ACTIVATIONS:
                    return None
                layers.append(("activation", m.act.name))
            elif isinstance(m, _Flatten):
                if m.channels_first:
                    return None
                layers.append(("flatten", None))
            elif isinstance(m, _Dropout):
                layers.append(("identity", None))
            else:
                return None
        if slot != ported._output_slot or not any(k == "dense" for k, _ in layers):
            return None
        return cls(layers, loss)

    @staticmethod
    def _act(name, z):
        import torch

        if name == "sigmoid":
            return torch.sigmoid(z)
        if name == "softmax":
            return torch.softmax(z, dim=-2)
        if name == "relu":
            return torch.relu(z)
        if name == "tanh":
            return torch.tanh(z)
        return z

    @staticmethod
    def _act_backward(name, g, out):
        import torch

        aten = torch.ops.aten
        if name == "sigmoid":
            return aten.sigmoid_backward(g, out)
        if name == "softmax":  # _softmax_backward_data's formula; its strided kernel is slow
            return out * (g - (g * out).sum(-2, keepdim=True))
        if name == "relu":
            return aten.threshold_backward(g, out, 0)
        if name == "tanh":
            return aten.tanh_backward(g, out)
        return g

    def step(self, x, y):
        """One training step's forward and backward: (per-seed loss, output); the gradients
        are in the buffers given to build()."""
        import torch

        saved = []
        a = x
        for kind, arg in self.layers:
            if kind == "dense":
                kernel, bias, _, _, act, small = arg
                z = _BatchedForward.dense(a, kernel, bias, small)
                out = self._act(act, z)
                saved.append((a, out))
                a = out
            elif kind == "activation":
                out = self._act(arg, a)
                saved.append((None, out))
                a = out
            elif kind == "flatten":
                saved.append((a.shape, None))
                a = a.reshape(a.shape[0], -1, a.shape[-1])
            else:
                saved.append((None, None))
        per_seed, g = self._loss(y, a)
        first_dense = next(i for i, (k, _) in enumerate(self.layers) if k == "dense")
        for i in range(len(self.layers) - 1, first_dense - 1, -1):
            kind, arg = self.layers[i]
            inp, out = saved[i]
            if kind == "dense":
                kernel, _, gk, gb, act, small = arg
                g = self._act_backward(act, g, out)
                batch_dims = tuple(range(g.dim() - 2))
                torch.sum(g, dim=batch_dims, out=gb)
                if small:  # (..., in, 1, S) * (..., 1, out, S), summed over the batch
                    torch.sum(inp.unsqueeze(-2) * g.unsqueeze(-3), dim=batch_dims, out=gk)
                    if i > first_dense:
                        g = (g.unsqueeze(-3) * kernel).sum(-2)
                else:
                    gk.copy_(torch.einsum("...is,...os->ios", inp, g))
                    if i > first_dense:
                        g = torch.einsum("...os,ios->...is", g, kernel)
            elif kind == "activation":
                g = self._act_backward(arg, g, out)
            elif kind == "flatten":
                g = g.reshape(inp)
        return per_seed, a

    def _loss(self, y, out):
        """SeedLoss's value and its gradient with respect to `out`, as autograd computes it."""
        import torch
        import torch.nn.functional as F

        from scen.keras_exact import EPSILON

        shape = out.shape
        y, o = SeedLoss._prepare(y, out)
        if y.shape != o.shape:
            raise ValueError(f"shapes differ: {tuple(y.shape[:-1])} vs {tuple(o.shape[:-1])}")
        S = o.shape[-1]
        if self.kind == "categorical_crossentropy":
            total = torch.sum(o, dim=-2, keepdim=True)
            p = o / total
            pc = torch.clip(p, EPSILON, 1.0 - EPSILON)
            logp = torch.log(pc)
            values = -torch.sum(y * logp, dim=-2)
            count = values.numel() // S
            per_seed = values.reshape(-1, S).sum(0) / count
            g = (torch.ones_like(per_seed) / count).expand(values.shape)
            g = (-g).unsqueeze(-2).expand(logp.shape)
            g = (g * y) / pc
            g = torch.where((p >= EPSILON) & (p <= 1.0 - EPSILON), g, 0.0)
            g_total = torch.sum(-g * o / (total * total), dim=-2, keepdim=True)
            g = g / total + g_total
        elif self.kind == "binary_crossentropy":
            pc = torch.clip(o, EPSILON, 1.0 - EPSILON)
            per_elem = F.binary_cross_entropy(pc, y, reduction="none")
            values = torch.mean(per_elem, dim=-2)
            count = values.numel() // S
            per_seed = values.reshape(-1, S).sum(0) / count
            g = (torch.ones_like(per_seed) / count).expand(values.shape)
            g = g.unsqueeze(-2).expand(per_elem.shape) / per_elem.shape[-2]
            g = torch.ops.aten.binary_cross_entropy_backward(g, pc, y, None, 0)
            g = torch.where((o >= EPSILON) & (o <= 1.0 - EPSILON), g, 0.0)
        else:  # mean_squared_error
            diff = y - o
            values = torch.mean(torch.square(diff), dim=-2)
            count = values.numel() // S
            per_seed = values.reshape(-1, S).sum(0) / count
            g = (torch.ones_like(per_seed) / count).expand(values.shape)
            g = g.unsqueeze(-2).expand(diff.shape) / diff.shape[-2]
            g = -(g * 2 * diff)
        return per_seed, g.reshape(shape)


def ported_width(ported) -> int:
    """The widest Dense layer's output."""
    from scen.port import _Dense

    return max([m.out_features for m in ported.layer_modules.values() if isinstance(m, _Dense)],
               default=1)


class _BatchedForward:
    """PortedModel.forward_with_logits with a trailing seed axis on every tensor: inputs
    (batch, ..., S), kernels (in, out, S), biases (out, S)."""

    SMALL = 256  # in*out up to this: broadcast products summed over `in`; above: batched matmul

    def __init__(self, ported, params: dict):
        import torch.nn.functional as F

        from scen.port import _Activation, _Concatenate, _Dense, _Dropout, _Flatten

        along_classes = {"softmax": lambda x: F.softmax(x, dim=-2),
                         "log_softmax": lambda x: F.log_softmax(x, dim=-2)}
        act = lambda a: along_classes.get(a.name, a.fn)  # the rest are elementwise
        path_of = {id(w.param): w.path for w in ported._weights if w.param is not None}
        self.ops = []
        for s in ported._steps:
            m = ported.layer_modules[s.key]
            if isinstance(m, _Dense):
                kernel = params[path_of[id(m.weight)]]
                bias = params[path_of[id(m.bias)]] if m.bias is not None else None
                small = m.in_features * m.out_features <= self.SMALL
                self.ops.append(("dense", s, (kernel, bias, act(m.act), small)))
            elif isinstance(m, _Activation):
                self.ops.append(("activation", s, act(m.act)))
            elif isinstance(m, _Flatten):
                self.ops.append(("flatten", s, m.channels_first))
            elif isinstance(m, _Concatenate):
                self.ops.append(("concatenate", s, m.axis if m.axis >= 0 else m.axis - 1))
            elif isinstance(m, _Dropout):  # p == 0 here (checked): the identity
                self.ops.append(("identity", s, None))
            else:
                raise ScenError(f"the vectorised sweep cannot batch layer {s.key!r} "
                                f"({type(m).__name__})")
        self.output_slot = ported._output_slot
        self.logits = ported.final_activation in ("sigmoid", "softmax")

    @staticmethod
    def dense(x, kernel, bias, small: bool):
        import torch

        if small:  # (..., in, 1, S) * (in, out, S), summed over in
            z = (x.unsqueeze(-2) * kernel).sum(-3)
        else:
            z = torch.einsum("...is,ios->...os", x, kernel)
        return z if bias is None else z + bias

    def __call__(self, xs):
        import torch

        values = list(xs) + [None] * len(self.ops)
        pre = {}
        for kind, s, arg in self.ops:
            x = values[s.inputs[0]]
            if kind == "dense":
                kernel, bias, act, small = arg
                z = self.dense(x, kernel, bias, small)
                pre[s.output] = z
                values[s.output] = act(z)
            elif kind == "activation":
                pre[s.output] = x
                values[s.output] = arg(x)
            elif kind == "flatten":  # (batch, ..., S) -> (batch, features, S)
                if arg and x.dim() > 3:  # channels_first: channels to the end first, as Keras
                    x = x.permute(0, *range(2, x.dim() - 1), 1, x.dim() - 1)
                values[s.output] = x.reshape(x.shape[0], -1, x.shape[-1])
            elif kind == "concatenate":
                values[s.output] = torch.cat([values[i] for i in s.inputs], dim=arg)
            else:
                values[s.output] = x
                if s.inputs[0] in pre:
                    pre[s.output] = pre[s.inputs[0]]
        out = values[self.output_slot]
        return out, (pre.get(self.output_slot) if self.logits else None)


@contextlib.contextmanager
def _global_generators_kept():
    """Python's, NumPy's and torch's CPU generator as they were: setting up a sweep reseeds them
    for every seed, as a run does."""
    import torch

    py_state, np_state = random.getstate(), np.random.get_state()
    try:
        with torch.random.fork_rng(devices=[]):
            yield
    finally:
        random.setstate(py_state)
        np.random.set_state(np_state)


def native_block(task: dict, on_epoch: Callable[[int], None] | None = None) -> dict:
    """Train a block of seeds of one configuration as one batched model."""
    keras = _keras_on_torch()
    scenario = with_learning_rate(scenarios.get(task["scenario"]), task["variant"], task["lr"])
    started = time.perf_counter()
    with _global_generators_kept():
        trainer = BatchedTrainer(keras, scenario, task["variant"], task["seeds"],
                                 epochs=task["epochs"], device=task["device"])
    status, error = "completed", None
    try:
        trainer.fit(on_epoch)
    except RuntimeError as e:  # e.g. torch's label check in binary cross-entropy, as in a run
        status, error = "raised", f"{type(e).__name__}: {str(e).strip().splitlines()[0]}"
    loss, accuracy = trainer.histories()
    return dict(seeds=list(task["seeds"]), loss=loss, accuracy=accuracy, chance=trainer.chance,
                status=[status] * len(task["seeds"]), error=error,
                seconds=time.perf_counter() - started, epochs=trainer.epochs,
                setup_seconds=trainer.setup_seconds, replayed=trainer.replayed)


# ---------------------------------------------------------------------------- memory
def _available_memory(device: str) -> tuple[int, str]:
    """Free bytes where the batched model lives, and where that number came from."""
    if device == "cuda":
        import torch

        free, _ = torch.cuda.mem_get_info()
        return int(free), "free GPU memory (torch.cuda.mem_get_info)"
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024, "MemAvailable in /proc/meminfo"
    except OSError:
        pass
    pages = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    return int(pages), "free physical memory (sysconf)"


def _size(n: float) -> str:
    for unit in ("B", "kB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"


@dataclass
class MemoryEstimate:
    per_seed: int  # bytes one seed needs while its block trains (weights, slots, batches, data)
    shared: int  # bytes once per block (data all seeds share)
    per_result: int  # bytes each finished seed's histories and record keep
    live_seeds: int  # seeds training at once
    total_seeds: int  # seeds x configurations, kept until the end
    available: int
    source: str
    configs: int = 1

    @property
    def needed(self) -> int:
        return self.live_seeds * self.per_seed + self.shared + self.total_seeds * self.per_result

    def check(self, what: str) -> None:
        limit = MEMORY_SHARE * self.available
        if self.needed <= limit:
            return
        fit = max(0, int((limit - self.shared)
                         // max(1, self.per_seed + self.configs * self.per_result)))
        raise ScenError(
            f"{what} needs about {_size(self.needed)} of memory ({_size(self.per_seed)} per seed "
            f"training, {_size(self.per_result)} per seed's results); {_size(self.available)} is "
            f"available ({self.source}) and a sweep may use {MEMORY_SHARE:.0%} of it: use at "
            f"most ~{fit} seeds per learning rate, or fewer learning rates")


def _native_estimate(spec: SweepSpec, scenario, seeds, n_lrs: int, device: str,
                     epochs: int) -> MemoryEstimate:
    """Weights, gradients and optimizer slots, a batch's activations, the data, the epoch's
    gathered batches and orders, per seed; the histories of every seed of every configuration."""
    keras = _keras_on_torch()
    import torch

    from scen.keras_run import fit_for, train_size
    from scen.port import _Dense, translate
    from scen.runner import RunSpec

    config = scenario.config_for(spec.variant)
    fit = fit_for(RunSpec(scenario.name, variant=spec.variant, epochs=epochs), scenario, config)
    with _global_generators_kept():
        model, data, _, _ = _reference_build(keras, scenario, config, seeds[0])
    with torch.random.fork_rng(devices=[]):
        ported = translate(model)
    params = sum(p.numel() for p in ported.parameters())
    as_list = lambda x: list(x) if isinstance(x, (list, tuple)) else [x]
    n = train_size(data, fit)
    width = sum(int(np.prod(np.shape(a)[1:], dtype=int)) for a in as_list(data.x))
    width += int(np.prod(np.shape(data.y)[1:], dtype=int))
    data_bytes = 4 * n * width
    shared = False
    if len(seeds) > 1:
        other = scenario.make_data(config, seeds[1])
        shared = _same(as_list(other.x), as_list(data.x)) and _same(other.y, data.y)
    b = fit.batch_size
    activations = 0
    for m in ported.layer_modules.values():
        if isinstance(m, _Dense):
            small = m.in_features * m.out_features <= _BatchedForward.SMALL
            activations += (m.in_features * m.out_features if small else 0) + 3 * m.out_features
    live = len(seeds) if spec.seed_block is None else min(spec.seed_block, len(seeds))
    per_seed = (4 * params * 7  # weights, gradients, up to 3 slots, update temporaries
                + 4 * b * (width + 2 * activations)  # a batch, its activations and gradients
                + (0 if shared else data_bytes)
                + (2 * data_bytes if 4 * n * width * live <= PREGATHER_BYTES else 0)
                + 40 * n + 8 * _Replay.BLOCK  # orders (drawn, stacked, queued), draws
                + 2 * data_bytes + 4 * params + 16384)  # setup: data, weights, generator
    per_result = 2 * 8 * epochs * 2 + 1024  # loss and accuracy rows, twice while assembled
    available, source = _available_memory(device)
    return MemoryEstimate(per_seed, data_bytes if shared else 0, per_result, live,
                          len(seeds) * n_lrs, available, source, n_lrs)


# ---------------------------------------------------------------------------- executors
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


def _local_native(spec, lrs, seeds, epochs, device, progress):
    for lr in lrs:
        parts = []
        for block in _blocks(seeds, spec.seed_block):
            on_epoch = None
            if progress is not None:
                on_epoch = lambda e, lr=lr: progress(dict(event="epoch", learning_rate=lr,
                                                          epoch=e + 1, epochs=epochs))
            parts.append(native_block(_task(spec, lr, block, spec.epochs, device), on_epoch))
        yield lr, parts


def _pool(spec, lrs, seeds, epochs, device, workers: int):
    from scen.runner import BACKENDS as KERAS_BACKENDS

    pool = _WorkerPool(KERAS_BACKENDS[spec.backend], workers)
    try:
        futures = {lr: [pool.submit(_task(spec, lr, [s], spec.epochs, device)) for s in seeds]
                   for lr in lrs}
        for lr in lrs:
            yield lr, [f.result() for f in futures[lr]]
    finally:
        pool.close()


def _ray(spec, lrs, seeds, epochs, device):
    import ray

    from scen.runner import BACKENDS as KERAS_BACKENDS
    from scen.runner import QUIET_TF

    started_here = not ray.is_initialized()
    if started_here:
        env = {"env_vars": {"KERAS_BACKEND": KERAS_BACKENDS[spec.backend], **QUIET_TF}}
        try:
            if spec.ray_address:
                ray.init(address=spec.ray_address, runtime_env=env, log_to_driver=False)
            else:
                ray.init(num_cpus=os.cpu_count(), include_dashboard=False, runtime_env=env,
                         log_to_driver=False)
        except Exception as e:
            raise ScenError(f"--executor ray: cannot start or reach Ray"
                            f"{' at ' + spec.ray_address if spec.ray_address else ''}: "
                            f"{str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__}"
                            ) from None
    remote = ray.remote(run_task)
    options = dict(num_cpus=1, max_retries=0)
    if device == "cuda":
        options["num_gpus"] = spec.gpus_per_task
    per_task = spec.seed_block if spec.backend == "torch" else 1
    pending = []
    try:
        refs = {lr: [remote.options(**options).remote(_task(spec, lr, block, spec.epochs, device))
                     for block in _blocks(seeds, per_task)] for lr in lrs}
        pending = [ref for lr in lrs for ref in refs[lr]]
        for lr in lrs:
            try:
                parts = ray.get(refs[lr])
            except ray.exceptions.RayTaskError as e:
                cause = getattr(e, "cause", None)
                if isinstance(cause, ScenError):
                    raise ScenError(str(cause)) from None
                raise
            pending = pending[len(refs[lr]):]
            yield lr, parts
    finally:
        for ref in pending:  # stopped early: the configurations not collected yet
            try:
                ray.cancel(ref, force=True)
            except Exception:
                pass
        if started_here:
            ray.shutdown()


# ---------------------------------------------------------------------------- the sweep
def new_sweep_dir(spec: SweepSpec) -> str:
    """<logdir>/<scenario>/<time>-sweep-<variant>-<backend>, never reusing an existing one."""
    from scen.runner import fresh_dir

    return fresh_dir(spec.logdir, spec.scenario, f"sweep-{spec.variant}-{spec.backend}")


def _resolve_device(spec: SweepSpec) -> str:
    from scen.runner import RunSpec, resolve_device

    if spec.executor == "ray" and spec.ray_address and spec.device == "cuda":
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
            _native_estimate(spec, scenario, seeds, len(lrs), device, epochs).check(what)
    else:
        from scen.runner import BACKENDS as KERAS_BACKENDS
        from scen.runner import _require

        _require(KERAS_BACKENDS[spec.backend])
        workers = _keras_workers(spec, len(seeds) * len(lrs), epochs, what)
    run_dir = new_sweep_dir(spec)
    if progress is not None:
        progress(dict(event="start", run_dir=run_dir, seeds=len(seeds), learning_rates=lrs,
                      epochs=epochs, backend=spec.backend, executor=spec.executor, device=device))
    result = SweepResult(spec=spec, run_dir=run_dir, status="running", configs=[], seconds=0.0,
                         device=device, epochs=epochs, vectorised=spec.backend == "torch")
    started = time.perf_counter()
    if spec.executor == "ray":
        source = _ray(spec, lrs, seeds, epochs, device)
    elif spec.backend == "torch":
        source = _local_native(spec, lrs, seeds, epochs, device, progress)
    else:
        source = _pool(spec, lrs, seeds, epochs, device, workers)
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
    available, source = _available_memory("cpu")
    wanted = min(spec.workers or os.cpu_count() or 1, total)
    room = MEMORY_SHARE * available - total * per_result
    fits = int(room // per_worker)
    if spec.executor == "local" and fits < 1:
        MemoryEstimate(per_worker, 0, per_result, 1, total, available, source).check(what)
    return max(1, min(wanted, fits))


# ---------------------------------------------------------------------------- outputs
DEFINITIONS = {
    "epochs_to_threshold": "first 1-based epoch whose training accuracy is >= threshold",
    "success_share": "share of seeds that reach the threshold within the epochs run",
    "median_epochs/p10_epochs/p90_epochs": "percentiles over all seeds, never reaching counting "
                                           "as later than the last epoch; null if it falls there",
    "stuck": "training accuracy <= chance + stuck_margin for at least stuck_epochs epochs from "
             "the first",
    "chance": "majority-class share of the seed's training labels",
}
CSV_FIELDS = ("learning_rate", "seed", "status", "epochs_run", "epochs_to_threshold", "stuck",
              "stuck_epochs", "chance", "final_loss", "final_accuracy")


def _atomic_write(path: str, text: str) -> None:
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def write_tables(result: SweepResult) -> None:
    """sweep.json (settings, definitions, one summary per configuration with its seeds) and
    seeds.csv (one row per seed and configuration); rewritten after every configuration."""
    spec = result.spec
    doc = dict(
        scenario=spec.scenario, variant=spec.variant, backend=spec.backend,
        device=result.device, executor=spec.executor, epochs=result.epochs,
        status=result.status, seconds=round(result.seconds, 3),
        threshold=spec.threshold, stuck_margin=spec.stuck_margin, stuck_epochs=spec.stuck_epochs,
        vectorised=result.vectorised, definitions=DEFINITIONS, spec=spec.as_dict(),
        configurations=[dict(c.summary, seed_results=c.records) for c in result.configs],
    )
    _atomic_write(os.path.join(result.run_dir, "sweep.json"),
                  json.dumps(_finite(doc), indent=1, default=_json_default, allow_nan=False))
    tmp = os.path.join(result.run_dir, "seeds.csv.tmp")
    with open(tmp, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=CSV_FIELDS, extrasaction="ignore")
        w.writeheader()
        for r in result.seed_records():
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in CSV_FIELDS})
    os.replace(tmp, os.path.join(result.run_dir, "seeds.csv"))


def _finite(o):
    """NaN and infinities become null: strict JSON has no token for them."""
    if isinstance(o, dict):
        return {k: _finite(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [_finite(v) for v in o]
    if isinstance(o, (float, np.floating)) and not math.isfinite(o):
        return None
    return o


def _json_default(o):
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating,)):
        return float(o)
    if isinstance(o, np.ndarray):
        return o.tolist()
    return str(o)


def write_histories(result: SweepResult) -> None:
    """histories.npz: per configuration i, loss_i and accuracy_i (seeds x epochs) and seeds_i."""
    arrays = {"learning_rates": np.array([c.learning_rate for c in result.configs])}
    for i, c in enumerate(result.configs):
        arrays[f"loss_{i}"] = c.loss.astype("float32")
        arrays[f"accuracy_{i}"] = c.accuracy.astype("float32")
        arrays[f"seeds_{i}"] = np.asarray(c.seeds, dtype="int64")
    np.savez_compressed(os.path.join(result.run_dir, "histories.npz"), **arrays)


def config_run_name(lr: float) -> str:
    return f"lr-{lr:g}"


def write_tensorboard_config(result: SweepResult, c: ConfigResult) -> None:
    """One TensorBoard run per configuration: its hparams and metrics for the HParams view,
    and curves over epochs (mean and median loss, mean accuracy, share of seeds at the
    threshold, share still at chance)."""
    from scen.tensorboard import summary_writer_class

    SummaryWriter = summary_writer_class()  # first: it keeps TensorBoard from importing TF
    from torch.utils.tensorboard.summary import hparams

    spec, s = result.spec, c.summary
    writer = SummaryWriter(os.path.join(result.run_dir, config_run_name(c.learning_rate)))
    try:
        settings = dict(learning_rate=float(c.learning_rate), variant=spec.variant,
                        seeds=len(c.seeds), backend=spec.backend, scenario=spec.scenario,
                        epochs=result.epochs, threshold=float(spec.threshold))
        metrics = {"success_rate": float(s["success_share"]), "stuck_share": float(s["stuck_share"])}
        for k in ("median_epochs", "p10_epochs", "p90_epochs", "mean_final_loss",
                  "mean_final_accuracy"):
            if s.get(k) is not None:
                metrics[k] = float(s[k])
        for summary in hparams(settings, metrics):
            writer.file_writer.add_summary(summary)
        for tag, value in metrics.items():
            writer.add_scalar(tag, value, 0)
        with np.errstate(all="ignore"):
            import warnings

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                mean_loss = np.nanmean(c.loss, axis=0)
                median_loss = np.nanmedian(c.loss, axis=0)
                mean_acc = np.nanmean(c.accuracy, axis=0)
        reached = np.array([r["epochs_to_threshold"] or 0 for r in c.records])
        at_chance = c.accuracy <= (c.chance[:, None] + spec.stuck_margin)
        still = np.cumprod(np.nan_to_num(at_chance, nan=0).astype(bool), axis=1).mean(axis=0)
        for e in range(c.loss.shape[1]):
            step = e + 1
            if np.isfinite(mean_loss[e]):
                writer.add_scalar("epoch_loss_mean", float(mean_loss[e]), step)
                writer.add_scalar("epoch_loss_median", float(median_loss[e]), step)
            if np.isfinite(mean_acc[e]):
                writer.add_scalar("epoch_accuracy_mean", float(mean_acc[e]), step)
            writer.add_scalar("epoch_reached_share",
                              float(np.mean((reached > 0) & (reached <= step))), step)
            writer.add_scalar("epoch_at_chance_share", float(still[e]), step)
    finally:
        writer.close()


def write_tensorboard_summary(result: SweepResult) -> None:
    """The sweep's own run (its directory): the summary table as text."""
    from scen.tensorboard import summary_writer_class

    writer = summary_writer_class()(result.run_dir)
    try:
        lines = ["| lr | seeds | reached | median ep | p10 | p90 | stuck at chance |",
                 "|---|---|---|---|---|---|---|"]
        for s in result.summary_table():
            lines.append(f"| {s['learning_rate']:g} | {s['seeds']} | {s['success_share']:.1%} | "
                         f"{_epochs_text(s['median_epochs'], result.epochs)} | "
                         f"{_epochs_text(s['p10_epochs'], result.epochs)} | "
                         f"{_epochs_text(s['p90_epochs'], result.epochs)} | "
                         f"{s['stuck_share']:.1%} |")
        spec = result.spec
        head = (f"**{spec.scenario}** {spec.variant}, backend {spec.backend}, {result.epochs} "
                f"epochs, threshold {spec.threshold:g}: **{result.status}**\n\n")
        writer.add_text("sweep", head + "\n".join(lines), 0)
    finally:
        writer.close()


def write_plot(result: SweepResult) -> str | None:
    """sweep.png: success and stuck-at-chance shares vs learning rate; epochs to threshold
    (median, 10-90% band) vs learning rate; share of seeds at the threshold by epoch, one curve
    per learning rate; a fan of per-seed loss curves per learning rate. None without
    matplotlib (or without a finished configuration)."""
    if not result.configs:
        return None
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    spec, E = result.spec, result.epochs
    configs = sorted(result.configs, key=lambda c: c.learning_rate)
    lrs = np.array([c.learning_rate for c in configs])
    fig = Figure(figsize=(12, 9), layout="constrained")
    FigureCanvasAgg(fig)
    (a, b), (c_ax, d) = fig.subplots(2, 2)
    colours = [f"C{i % 10}" for i in range(len(configs))]
    summ = [c.summary for c in configs]

    a.plot(lrs, [s["success_share"] for s in summ], "o-", label=f"reached acc >= {spec.threshold:g}")
    a.plot(lrs, [s["stuck_share"] for s in summ], "s--", color="C3",
           label=f"stuck at chance (>= {spec.stuck_epochs} epochs)")
    a.set(xscale="log", ylim=(-0.03, 1.03), xlabel="learning rate", ylabel="share of seeds",
          title="Success and stuck-at-chance share")
    a.legend(loc="best")
    a.grid(alpha=0.3)

    med = np.array([np.nan if s["median_epochs"] is None else s["median_epochs"] for s in summ])
    lo = np.array([np.nan if s["p10_epochs"] is None else s["p10_epochs"] for s in summ])
    hi = np.array([E if s["p90_epochs"] is None else s["p90_epochs"] for s in summ])
    b.fill_between(lrs, np.where(np.isnan(lo), E, lo), hi, alpha=0.25, label="10-90%")
    b.plot(lrs, med, "o-", label="median")
    b.set(xscale="log", xlabel="learning rate", ylabel="epochs",
          title=f"Epochs to accuracy >= {spec.threshold:g} (band top at {E}: not reached)")
    b.set_ylim(0.8, E * 1.15)
    b.set_yscale("log")
    b.legend(loc="best")
    b.grid(alpha=0.3)

    epochs = np.arange(1, E + 1)
    for cfg, colour in zip(configs, colours):
        reached = np.array([r["epochs_to_threshold"] or 0 for r in cfg.records])
        share = [(np.count_nonzero((reached > 0) & (reached <= e)) / max(1, len(reached)))
                 for e in epochs]
        c_ax.plot(epochs, share, color=colour, label=f"lr {cfg.learning_rate:g}")
    c_ax.set(xlabel="epoch", ylabel="share of seeds", ylim=(-0.03, 1.03), xscale="log",
             title=f"Seeds at accuracy >= {spec.threshold:g} by epoch")
    c_ax.legend(loc="best")
    c_ax.grid(alpha=0.3)

    rng = np.random.default_rng(0)
    for cfg, colour in zip(configs, colours):
        loss = cfg.loss
        pick = rng.choice(len(loss), size=min(64, len(loss)), replace=False)
        for i in pick:
            d.plot(epochs, loss[i], color=colour, alpha=0.12, lw=0.7)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            d.plot(epochs, np.nanmedian(loss, axis=0), color=colour, lw=2.2,
                   label=f"lr {cfg.learning_rate:g} (median of {len(loss)})")
    d.set(xlabel="epoch", ylabel="training loss", xscale="log",
          title="Loss per seed (up to 64 per learning rate) and median")
    d.legend(loc="best")
    d.grid(alpha=0.3)
    fig.suptitle(f"{spec.scenario} {spec.variant}: {len(configs[0].seeds)} seeds, backend "
                 f"{spec.backend}, {E} epochs ({result.status})")
    path = os.path.join(result.run_dir, "sweep.png")
    fig.savefig(path, dpi=90)
    return path
