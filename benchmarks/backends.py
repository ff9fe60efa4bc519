"""Steps per second of each backend on each scenario, in one run; ratios to keras-torch.

    python benchmarks/backends.py [--scenarios mnist-sigmoid,toy-blobs,convnet,lstm] [--steps 2000]

Besides the scenarios, two models of the kinds the port takes since the layers were added
(MODELS below): `convnet`, a small image classifier (Conv2D, pooling, Dense), and `lstm`, a
text classifier (Embedding, LSTM, Dense). Every backend trains the same model (a scenario as
posted) on the same data with the same batch size;
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

# MNIST as the tests find it: $SCEN_MNIST, else the shared copy beside the project.
_SHARED_MNIST = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared",
                             "data", "mnist.npz")
if os.path.isfile(_SHARED_MNIST):
    os.environ.setdefault("SCEN_MNIST", os.path.abspath(_SHARED_MNIST))

BACKENDS = ["keras-torch", "torch", "torch-compiled", "keras-tensorflow", "keras-jax"]


def _convnet(keras, rng):
    """(2048, 16, 16, 1) images, 10 classes: Conv2D-MaxPooling twice, Dense softmax."""
    L = keras.layers
    x = rng.normal(size=(2048, 16, 16, 1)).astype("float32")
    y = rng.integers(0, 10, 2048).astype("float32")
    model = keras.Sequential([keras.Input((16, 16, 1)), L.Conv2D(8, 3, activation="relu"),
                              L.MaxPooling2D(), L.Conv2D(16, 3, activation="relu"),
                              L.MaxPooling2D(), L.Flatten(), L.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return x, y, model, 64


def _lstm(keras, rng):
    """(2048, 20) token ids of a 100-word vocabulary, binary labels: Embedding-LSTM-Dense."""
    L = keras.layers
    x = rng.integers(0, 100, (2048, 20)).astype("float32")
    y = rng.integers(0, 2, (2048, 1)).astype("float32")
    model = keras.Sequential([keras.Input((20,)), L.Embedding(100, 16), L.LSTM(32),
                              L.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return x, y, model, 32


MODELS = {"convnet": _convnet, "lstm": _lstm}


def _workload(keras, name: str):
    """(data, compiled model, fit settings) of a scenario as posted, or of one of MODELS."""
    import numpy as np

    from scen import scenario as scenarios
    from scen.keras_run import seed_everything

    seed_everything(keras, 0)
    if name in MODELS:
        x, y, model, batch = MODELS[name](keras, np.random.default_rng(0))
        return scenarios.Dataset(x, y), model, scenarios.Fit(epochs=1, batch_size=batch)
    scenario = scenarios.get(name)
    config = scenario.config_for("as-posted")
    data = scenario.make_data(config, 0)
    return data, scenario.build_model(config), scenario.fit(config)


def measure(scenario_name: str, backend: str, steps: int, device: str) -> float:
    """Steps per second (runs in a process whose Keras is on the right backend)."""
    import keras

    from scen.keras_run import steps_per_epoch
    from scen.observe import Observers

    data, model, fit = _workload(keras, scenario_name)
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
    parser.add_argument("--scenarios",
                        default="mnist-sigmoid,toy-blobs,rating,plateau,convnet,lstm")
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
