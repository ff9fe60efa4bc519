"""The same scenario on several backends, from the same start: where and why they part.

Every backend starts from the reference run's initial weights and takes the batches in data
order (no shuffling: each backend shuffles with its own random numbers), so any difference is
the backend's arithmetic. The verdict reasons from what the runs show (a backend that raised,
a loss that went negative, losses orders of magnitude apart, the model's output activation and
loss), not from the scenario's name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from scen import scenario as scenarios
from scen.runner import RunResult, RunSpec, run

PORT_AS_TF = "torch/tf-semantics"  # the native port, computing losses as Keras's TF backend
CROSS_ENTROPIES = ("binary_crossentropy", "categorical_crossentropy",
                   "sparse_categorical_crossentropy")


@dataclass
class Comparison:
    scenario: str
    variant: str
    runs: dict[str, RunResult]  # label -> run; the first is the reference
    tolerance: float
    parted_at: dict[str, int | None] = field(default_factory=dict)  # first step beyond tolerance
    largest: dict[str, float] = field(default_factory=dict)  # largest per-step loss difference
    verdict: list[str] = field(default_factory=list)


def compare(scenario: str, variant: str, backends: list[str], epochs: int | None = None,
            steps_per_epoch: int | None = None, seed: int = 0, logdir: str = "runs",
            tolerance: float = 1e-4) -> Comparison:
    s = scenarios.get(scenario)
    s.variant(variant)
    if len(backends) < 2:
        raise scenarios.ScenError("--backends needs at least two backends, comma-separated")
    common = dict(scenario=scenario, variant=variant, epochs=epochs or s.quick_epochs,
                  steps_per_epoch=steps_per_epoch, seed=seed, logdir=logdir, quiet=True,
                  shuffle=False)
    runs: dict[str, RunResult] = {}
    reference = run(RunSpec(backend=backends[0], **common))
    runs[backends[0]] = reference
    start = f"{reference.run_dir}/initial_weights.npz"
    for backend in backends[1:]:
        runs[backend] = run(RunSpec(backend=backend, initial_weights=start, **common))
    # The port can take the TensorFlow backend's view of the losses: show that it explains it.
    if "torch" in backends and "keras-tensorflow" in backends:
        runs[PORT_AS_TF] = run(
            RunSpec(backend="torch", semantics="tensorflow", initial_weights=start, **common))
    result = Comparison(scenario, variant, runs, tolerance)
    # Steps are compared with the first backend that trained at all.
    trained = [r for r in runs.values() if r.step_losses] or [reference]
    for label, r in runs.items():
        if r.step_losses:
            same, largest = first_parting(trained[0].step_losses, r.step_losses, tolerance)
            result.parted_at[label] = None if same == len(r.step_losses) else same + 1
            result.largest[label] = largest
    result.verdict = explain(result)
    return result


def first_parting(a, b, tolerance: float) -> tuple[int, float]:
    """How many leading steps agree within `tolerance` (relative), and the largest difference."""
    n = min(len(a), len(b))
    a, b = np.asarray(a[:n]), np.asarray(b[:n])
    diff = np.abs(a - b) / np.maximum(1.0, np.abs(a))
    beyond = np.flatnonzero(~(diff <= tolerance))
    return (int(beyond[0]) if len(beyond) else n), float(np.nanmax(diff)) if n else math.nan


def explain(c: Comparison) -> list[str]:
    """Say in words why the backends differ."""
    lines = []
    raised = {k: r for k, r in c.runs.items() if r.status == "raised"}
    trained = {k: r for k, r in c.runs.items() if r.status != "raised"}
    for label, r in raised.items():
        lines.append(f"{label} refused the program: {r.error}.")
    for label, r in trained.items():
        lowest = min(r.history.get("loss", [0.0]) + [0.0])
        if lowest < 0:
            lines.append(
                f"{label} trained on and its loss went negative ({lowest:.4g}): a cross-entropy "
                "is never negative for labels in [0, 1], so the labels are outside that range "
                "and this backend does not check them.")
    finals = {k: r.history["loss"][-1] for k, r in trained.items() if r.history.get("loss")}
    loss_name = next(iter(c.runs.values())).info.get("loss", "")
    if len(finals) >= 2:
        big = max(finals, key=lambda k: abs(finals[k]))
        small = min(finals, key=lambda k: abs(finals[k]))
        ratio = abs(finals[big]) / max(abs(finals[small]), 1e-12)
        if ratio > 10:
            line = (f"{big}'s loss ({finals[big]:.4g}) is {ratio:.0f}x {small}'s "
                    f"({finals[small]:.4g}).")
            if "tensorflow" in big and loss_name in CROSS_ENTROPIES:
                line += (" Keras's TensorFlow backend computes this cross-entropy from the "
                         "pre-activation logits, which are unbounded; the torch and JAX backends "
                         "clip the probabilities to [1e-7, 1 - 1e-7], so their loss stays small "
                         "while the outputs saturate.")
                port = c.runs.get(PORT_AS_TF)
                if port is not None and port.step_losses:
                    same, rel = first_parting(c.runs[big].step_losses, port.step_losses,
                                              c.tolerance)
                    line += (f" The native port computing losses as the TensorFlow backend does "
                             f"({PORT_AS_TF}) reproduces it: final loss {port.history['loss'][-1]:.4g}, "
                             f"step losses within {c.tolerance:g} of {big}'s for the first "
                             f"{same} steps.")
            lines.append(line)
    agreeing = [k for k, p in c.parted_at.items() if p is None and k in trained]
    parting = {k: p for k, p in c.parted_at.items() if p is not None and k in trained}
    if len(agreeing) > 1:
        lines.append(f"{', '.join(agreeing)} agree within {c.tolerance:g} at every step.")
    for label, step in parting.items():
        if label != PORT_AS_TF and not any(label in x for x in lines):
            lines.append(f"{label} parts from {next(iter(trained))} at step {step} and drifts to "
                         f"a relative {c.largest[label]:.2g}: different rounding, amplified by "
                         "training.")
    return lines
