"""The GPU path, proven in one run: every scenario, engine and precision on one device.

    python benchmarks/gpu_smoke.py [--device cuda] [--json smoke.json] [--seeds 64]

On a lent GPU machine (docs/backends.md says how to carry Keras there), from outside the
checkout. With `--device cpu` it is a test of itself (tests/test_gpu_smoke.py, slow set).

For each scenario as posted (the golden runs' short lengths, scen.golden.SHORT), in fp32, bf16
and fp16, on three engines: the native port eager, the native port compiled (torch.compile;
on CUDA "reduce-overhead", whose CUDA graphs are reported as used or skipped), and Keras's own
fit on torch. Per run: its status and steps/s (whole run: a compiled engine's includes its
compilation, tens of seconds on a first compile, so its short runs here say little about its
speed; benchmarks/backends.py times steady state). Per scenario, in fp32 with TF32 off: the first
50 step losses of the port against Keras's fit on the same device, from the same initial
weights (the largest relative difference; within 1e-5 passes). Then `toy-blobs --variant
labels-1-2` (labels outside the classes: a device-side assert on CUDA if nothing checks them
first) in a process of its own, and a sweep of N seeds. One table, one JSON; the exit status is
1 if any run crashed, any parity failed, or labels-1-2 crashed its process.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
_SHARED_MNIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                             "data", "mnist.npz")
if os.path.isfile(_SHARED_MNIST):
    os.environ.setdefault("SCEN_MNIST", os.path.abspath(_SHARED_MNIST))

ENGINES = {"native eager": dict(backend="torch", compile=False),
           "native compiled": dict(backend="torch", compile=True),
           "keras fit": dict(backend="keras-torch")}
PRECISIONS = ("fp32", "bf16", "fp16")
PARITY_STEPS, PARITY_TOLERANCE = 50, 1e-5


def graph_skips() -> int:
    """Inductor's count of steps it could not capture in a CUDA graph so far."""
    from torch._dynamo.utils import counters

    return counters["inductor"].get("cudagraph_skips", 0)


def one_run(scenario: str, engine: str, precision: str, device: str, logdir: str,
            initial_weights: str | None = None, shuffle: bool = True) -> dict:
    from scen import golden
    from scen.runner import RunSpec, run

    skips = graph_skips()
    started = time.perf_counter()
    try:
        r = run(RunSpec(scenario, backend=ENGINES[engine]["backend"], device=device,
                        precision=precision, seed=0, logdir=logdir, verbose=0,
                        compile=ENGINES[engine].get("compile"), shuffle=shuffle,
                        initial_weights=initial_weights, **golden.SHORT[scenario]))
    except Exception as e:  # a crash is what this script is here to find: record it, go on
        return dict(scenario=scenario, engine=engine, precision=precision, status="crashed",
                    error=f"{type(e).__name__}: {str(e).strip().splitlines()[0][:300]}",
                    seconds=time.perf_counter() - started)
    steps = len(r.step_losses)
    graphs = "n/a"
    if engine == "native compiled":
        graphs = ("not on the CPU" if not device.startswith("cuda") else
                  "used" if graph_skips() == skips else f"skipped ({graph_skips() - skips})")
    return dict(scenario=scenario, engine=engine, precision=precision, status=r.status,
                error=r.error, steps=steps, seconds=r.seconds,
                steps_per_s=steps / r.seconds if r.seconds else None, cuda_graphs=graphs,
                step_losses=r.step_losses[:PARITY_STEPS], run_dir=r.run_dir,
                final_loss=(r.history.get("loss") or [None])[-1])


def parity(scenario: str, device: str, logdir: str) -> dict:
    """The port's first step losses against Keras's fit on torch: fp32, TF32 off, the same
    start, batches in data order."""
    import numpy as np

    keras_fit = one_run(scenario, "keras fit", "fp32", device, logdir, shuffle=False)
    if keras_fit["status"] != "completed":
        return dict(scenario=scenario, status="not run", why=keras_fit.get("error"))
    start = os.path.join(keras_fit["run_dir"], "initial_weights.npz")
    port = one_run(scenario, "native eager", "fp32", device, logdir, start, shuffle=False)
    if port["status"] != "completed":
        return dict(scenario=scenario, status="not run", why=port.get("error"))
    a, b = np.asarray(keras_fit["step_losses"]), np.asarray(port["step_losses"])
    n = min(len(a), len(b), PARITY_STEPS)
    worst = float(np.max(np.abs(a[:n] - b[:n]) / np.maximum(np.abs(a[:n]), 1e-12)))
    return dict(scenario=scenario, steps=n, largest_relative=worst,
                status="passes" if worst <= PARITY_TOLERANCE else "FAILS")


def labels_out_of_range(device: str, logdir: str) -> dict:
    """toy-blobs labels-1-2 through the CLI, in a process of its own."""
    scen = [sys.executable, "-m", "scen.cli.main"]
    done = subprocess.run([*scen, "run", "toy-blobs", "--variant", "labels-1-2", "--device", device,
                           "--epochs", "2", "--logdir", logdir, "--verbose", "0"],
                          capture_output=True, text=True, timeout=600)
    text = done.stdout + done.stderr
    crashed = done.returncode not in (0, 1) or any(
        s in text for s in ("device-side assert", "CUDA error", "Traceback"))
    last = (text.strip().splitlines() or ["(no output)"])[-1]
    return dict(returncode=done.returncode, crashed=crashed, last_line=last[:300])


def sweep(device: str, seeds: int, logdir: str) -> dict:
    from scen.sweep import SweepSpec, run_sweep

    started = time.perf_counter()
    r = run_sweep(SweepSpec("toy-blobs", seeds=str(seeds), learning_rates=[0.01], epochs=50,
                            device=device, logdir=logdir))
    (c,) = r.configs
    return dict(seeds=seeds, epochs=50, status=c.status, seconds=time.perf_counter() - started,
                success_share=c.summary.get("success_share"))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--device", default="cuda")
    p.add_argument("--json", default="gpu_smoke.json")
    p.add_argument("--seeds", type=int, default=64)
    p.add_argument("--scenarios", default="toy-blobs,rating,mnist-sigmoid,plateau")
    args = p.parse_args(argv)

    import torch

    torch.backends.cuda.matmul.allow_tf32 = False  # fp32 parity: TF32 rounds to 10 bits
    torch.backends.cudnn.allow_tf32 = False
    where = (torch.cuda.get_device_name(args.device) if args.device.startswith("cuda")
             else "CPU")
    print(f"torch {torch.__version__} (CUDA {torch.version.cuda}), {where}", flush=True)
    scenarios = [s for s in args.scenarios.split(",")
                 if s != "mnist-sigmoid" or os.path.isfile(os.environ.get("SCEN_MNIST", ""))]
    report = dict(device=args.device, name=where, torch=torch.__version__, runs=[], parity=[])
    with tempfile.TemporaryDirectory() as logdir:
        print(f"\n{'scenario':<14} {'engine':<16} {'precision':<9} {'status':<10} "
              f"{'steps/s':>9}  CUDA graphs", flush=True)
        for scenario in scenarios:
            for engine in ENGINES:
                for precision in PRECISIONS:
                    r = one_run(scenario, engine, precision, args.device, logdir)
                    report["runs"].append({k: v for k, v in r.items() if k != "step_losses"})
                    rate = f"{r['steps_per_s']:,.0f}" if r.get("steps_per_s") else "-"
                    print(f"{scenario:<14} {engine:<16} {precision:<9} {r['status']:<10} "
                          f"{rate:>9}  {r.get('cuda_graphs', '')}"
                          + (f"  {r['error']}" if r.get("error") else ""), flush=True)
        print(f"\nparity, fp32, first {PARITY_STEPS} steps, port vs Keras's fit on torch:")
        for scenario in scenarios:
            report["parity"].append(parity(scenario, args.device, logdir))
            q = report["parity"][-1]
            print(f"  {scenario:<14} {q['status']}" + (
                f" (largest relative difference {q['largest_relative']:.2g} over {q['steps']} "
                f"steps)" if "largest_relative" in q else f": {q.get('why')}"), flush=True)
        report["labels_1_2"] = labels_out_of_range(args.device, logdir)
        print(f"\nlabels-1-2, own process: exit {report['labels_1_2']['returncode']}, "
              f"{'CRASHED' if report['labels_1_2']['crashed'] else 'no crash'}: "
              f"{report['labels_1_2']['last_line']}", flush=True)
        report["sweep"] = sweep(args.device, args.seeds, logdir)
        s = report["sweep"]
        print(f"sweep: {s['seeds']} seeds x 50 epochs of toy-blobs in {s['seconds']:.1f} s, "
              f"{s['status']}, success share {s['success_share']}", flush=True)
    failed = ([r for r in report["runs"] if r["status"] == "crashed"]
              + [q for q in report["parity"] if q["status"] == "FAILS"])
    report["ok"] = not failed and not report["labels_1_2"]["crashed"]
    with open(args.json, "w") as f:
        json.dump(report, f, indent=1, default=str)
    print(f"\n{'ok' if report['ok'] else 'NOT ok'}; wrote {args.json}")
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
