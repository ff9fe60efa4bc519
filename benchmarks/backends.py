"""Steps per second of each backend on each scenario, in one run; ratios to keras-torch.

    python benchmarks/backends.py [--scenarios mnist-sigmoid,toy-blobs] [--steps 2000]

Every backend trains the same scenario (as posted) on the same data with the same batch size;
each Keras backend runs in a process of its own. What is timed is training alone: Keras's
`fit(verbose=0)` without callbacks, and the native loop without observers, after one warm-up
epoch each (compilation, caches).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import time

BACKENDS = ["keras-torch", "torch", "torch-compiled", "keras-tensorflow", "keras-jax"]


def measure(scenario_name: str, backend: str, steps: int, device: str) -> float:
    """Steps per second (runs in a process whose Keras is on the right backend)."""
    import keras

    from scen import scenario as scenarios
    from scen.keras_run import seed_everything, steps_per_epoch
    from scen.observe import Observers

    scenario = scenarios.get(scenario_name)
    config = scenario.config_for("as-posted")
    seed_everything(keras, 0)
    data = scenario.make_data(config, 0)
    model = scenario.build_model(config)
    fit = scenario.fit(config)
    per_epoch = steps_per_epoch(data, fit)
    epochs = max(1, round(steps / per_epoch))
    if backend.startswith("torch"):
        import dataclasses

        from scen.native import Trainer

        trainer = Trainer(model, data, dataclasses.replace(fit, validation_split=0.0),
                          device=device, compile=backend == "torch-compiled")
        trainer.val = None  # time training alone
        trainer.fit(1, Observers([]))
        sync = (lambda: __import__("torch").cuda.synchronize()) if device == "cuda" else (lambda: None)
        sync()
        start = time.perf_counter()
        trainer.fit(epochs, Observers([]))
        sync()
        seconds = time.perf_counter() - start
    else:
        kwargs = dict(batch_size=fit.batch_size, steps_per_epoch=fit.steps_per_epoch, verbose=0)
        model.fit(data.x, data.y, epochs=1, **kwargs)
        start = time.perf_counter()
        model.fit(data.x, data.y, epochs=epochs, **kwargs)
        seconds = time.perf_counter() - start
    return epochs * per_epoch / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", default="mnist-sigmoid,toy-blobs,rating,plateau")
    parser.add_argument("--steps", type=int, default=3000, help="steps timed per run")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        scenario, backend = args.worker
        print(json.dumps(measure(scenario, backend, args.steps, args.device)))
        return

    installed = [b for b in BACKENDS if not b.startswith("keras-") or b == "keras-torch"
                 or importlib.util.find_spec(b.split("-")[1]) is not None]
    print(f"steps/s, batch as posted, device {args.device}, {os.cpu_count()} CPUs")
    print(f"{'scenario':<15}" + "".join(f"{b:>17}" for b in installed)
          + "   best torch / keras-torch")
    for name in args.scenarios.split(","):
        rates = {}
        for backend in installed:
            keras_backend = backend.split("-")[1] if backend.startswith("keras-") else "torch"
            env = dict(os.environ, KERAS_BACKEND=keras_backend, TF_CPP_MIN_LOG_LEVEL="3")
            out = subprocess.run(
                [sys.executable, __file__, "--worker", name, backend, "--steps", str(args.steps),
                 "--device", args.device],
                env=env, capture_output=True, text=True, check=True)
            rates[backend] = float(out.stdout.strip().splitlines()[-1])
        ratio = max(rates["torch"], rates["torch-compiled"]) / rates["keras-torch"]
        print(f"{name:<15}" + "".join(f"{rates[b]:>17,.0f}" for b in installed)
              + f"{ratio:>25.1f}x")


if __name__ == "__main__":
    main()
