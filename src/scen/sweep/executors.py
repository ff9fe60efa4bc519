"""Where a sweep's units of work run: this process, a pool of Keras worker processes, or Ray.

A unit of work (a task: plain data, the same for every executor) is a block of seeds of one
configuration on the native backend (scen.sweep.engine.native_block), or one seed on a Keras
backend (keras_seed: Keras's own fit, in a process whose Keras runs on that backend; one
process per CPU, fed one seed at a time). `executor="ray"` hands the same tasks to Ray, with
GPUs per task on CUDA.
"""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Sequence

import numpy as np

from scen import scenario as scenarios
from scen.runner import SAFE_PATH, is_cuda
from scen.scenario import ScenError
from scen.sweep.engine import native_block
from scen.sweep.reports import json_default
from scen.sweep.spec import SweepSpec, with_learning_rate
from scen.sweep.stats import chance_level


def blocks(seeds: Sequence[int], size: int | None) -> list[list[int]]:
    seeds = list(seeds)
    size = size or len(seeds)
    return [seeds[i:i + size] for i in range(0, len(seeds), size)]


def make_task(spec: SweepSpec, lr: float, seeds: list[int], epochs: int | None, device: str) -> dict:
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
    if not runner.keras_matches(keras_backend, task["device"]):
        raise ScenError(f"this worker's Keras runs on another backend, not {keras_backend}")
    from scen import keras_run
    from scen.observe import Observers

    (seed,) = task["seeds"]
    scenario = with_learning_rate(scenarios.get(task["scenario"]), task["variant"], task["lr"])
    spec = runner.RunSpec(task["scenario"], variant=task["variant"], backend=task["backend"],
                          device=task["device"], epochs=task["epochs"], seed=seed, verbose=0)
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
        out.write(json.dumps(reply, default=json_default) + "\n")
        out.flush()


class WorkerPool:
    """Processes that each run one seed at a time on a Keras backend (a fresh interpreter: Keras
    fixes its backend at import), fed by one thread each."""

    def __init__(self, keras_backend: str, workers: int):
        import concurrent.futures as cf
        import threading

        from scen.runner import subprocess_env

        self.env = subprocess_env(keras_backend)
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
                [sys.executable, SAFE_PATH, "-c",
                 "from scen.sweep import worker_main; worker_main()"],
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


def local_native(spec, lrs, seeds, epochs, device, progress):
    for lr in lrs:
        parts = []
        for block in blocks(seeds, spec.seed_block):
            on_epoch = None
            if progress is not None:
                on_epoch = lambda e, lr=lr: progress(dict(event="epoch", learning_rate=lr,
                                                          epoch=e + 1, epochs=epochs))
            parts.append(native_block(make_task(spec, lr, block, spec.epochs, device), on_epoch))
        yield lr, parts


def pool(spec, lrs, seeds, epochs, device, workers: int):
    from scen.runner import BACKENDS as KERAS_BACKENDS

    pool = WorkerPool(KERAS_BACKENDS[spec.backend], workers)
    try:
        futures = {lr: [pool.submit(make_task(spec, lr, [s], spec.epochs, device)) for s in seeds]
                   for lr in lrs}
        for lr in lrs:
            yield lr, [f.result() for f in futures[lr]]
    finally:
        pool.close()


def ray_tasks(spec, lrs, seeds, epochs, device):
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
    if is_cuda(device):
        options["num_gpus"] = spec.gpus_per_task
    per_task = spec.seed_block if spec.backend == "torch" else 1
    pending = []
    try:
        refs = {lr: [remote.options(**options).remote(make_task(spec, lr, block, spec.epochs, device))
                     for block in blocks(seeds, per_task)] for lr in lrs}
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


