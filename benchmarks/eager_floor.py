"""How fast can eager PyTorch train mnist-sigmoid at all? A floor, without scen, in one run.

    python benchmarks/eager_floor.py [--steps 3000]

Issue 11 asks the eager native port to be ahead of Keras on JAX in steps/s. mnist-sigmoid is
the scenario where it is furthest behind, so this trains its model (Flatten, Dense(10,
sigmoid)) with Keras's categorical cross-entropy on probabilities (keras/src/backend/torch/
nn.py: normalise, clip to [1e-7, 1 - 1e-7], log) and plain SGD(0.01), batch 32, in the
shortest eager loop one can write by hand: no scen, no observers, no Keras, one thread. Twice:
with the kernel in Keras's (in, out) layout (what the port keeps, bit for bit Keras-on-torch's
matmul) and in nn.Linear's (out, in) layout (one addmm; MKL is faster in it on some CPUs, by a
rounding of its own). Then the port itself (backends.py's `torch`) and Keras-JAX's fit
(`keras-jax`), each in its own process. Nothing written here is faster than plain torch can be:
where the floor is below Keras-JAX, no eager port with Keras's loss reaches it.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def floor(layout: str, steps: int) -> float:
    """Best steps/s of three passes of `steps` steps on MNIST-shaped random pixels 0..255."""
    import torch

    torch.set_num_threads(1)
    n, eps, lr = 60_000, 1e-7, 0.01
    x = torch.rand(n, 28, 28) * 255
    y = torch.nn.functional.one_hot(torch.randint(0, 10, (n,)), 10).float()
    kernel = torch.zeros((784, 10) if layout == "keras" else (10, 784), requires_grad=True)
    bias = torch.zeros(10, requires_grad=True)
    best = 0.0
    for _ in range(3):
        order, start = torch.randperm(n), time.perf_counter()
        for i in range(steps):
            idx = order[(i * 32) % (n - 32):][:32]
            xb, yb = x.index_select(0, idx).view(32, 784), y.index_select(0, idx)
            z = xb @ kernel + bias if layout == "keras" else torch.nn.functional.linear(xb, kernel, bias)
            out = torch.sigmoid(z)
            out = (out / out.sum(-1, keepdim=True)).clamp(eps, 1 - eps)
            loss = -(yb * out.log()).sum(-1).sum() / 32
            kernel.grad = bias.grad = None
            loss.backward()
            with torch.no_grad():
                kernel.sub_(kernel.grad * lr)
                bias.sub_(bias.grad * lr)
        best = max(best, steps / (time.perf_counter() - start))
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=3000)
    args = parser.parse_args()
    print(f"mnist-sigmoid, steps/s, one run ({os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}):")
    for layout in ("keras", "linear"):
        print(f"  plain torch, hand-written loop, {layout + ' layout':<14} {floor(layout, args.steps):>8,.0f}")
    for backend in ("torch", "keras-jax"):
        env = dict(os.environ, KERAS_BACKEND="jax" if backend == "keras-jax" else "torch",
                   TF_CPP_MIN_LOG_LEVEL="3")
        out = subprocess.run([sys.executable, os.path.join(HERE, "backends.py"), "--worker",
                              "mnist-sigmoid", backend, "--steps", str(args.steps)],
                             env=env, capture_output=True, text=True, check=True)
        rate = json.loads(out.stdout.strip().splitlines()[-1])
        label = "scen's eager port" if backend == "torch" else "Keras on JAX (jitted fit)"
        print(f"  {label:<46} {rate:>8,.0f}")


if __name__ == "__main__":
    main()
