"""The same scenario on several backends, from the same start: where and why they part.

Every backend starts from the reference run's initial weights and takes the batches in data
order (no shuffling: each backend shuffles with its own random numbers), so any difference is
the backend's arithmetic. The verdict reasons from what the runs show (a backend that raised,
a loss that went negative, losses orders of magnitude apart, the model's output activation and
loss), not from the scenario's name.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from scen import scenario as scenarios
from scen.runner import RunResult, RunSpec, run

PORT_AS_TF = "torch/tf-semantics"  # the native port, computing losses as Keras's TF backend
# Rounding makes two backends part slowly: ~1e-7 at the first step, growing step by step. A first
# difference this many times the tolerance at once (or any at step 1, from the same weights and
# batch) is a different computation, whatever the run's length.
DIFFERENT_COMPUTATION = 100
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
    interrupted: bool = False  # Ctrl-C stopped it: the runs so far, the last perhaps partial


def compare(scenario: str, variant: str, backends: list[str], epochs: int | None = None,
            steps_per_epoch: int | None = None, seed: int = 0, logdir: str = "runs",
            tolerance: float = 1e-4,
            progress: Callable[[int, int, str], None] | None = None) -> Comparison:
    """Run `scenario` on each of `backends` from the first one's initial weights, in data order.

    Every argument is checked before the first run (ScenError, one line). `progress(i, total,
    label)` is called as each run starts."""
    s = scenarios.get(scenario)
    s.variant(variant)
    check_backends(backends)
    if not (math.isfinite(tolerance) and tolerance > 0):
        raise scenarios.ScenError(f"--tolerance must be a positive relative difference, "
                                  f"not {tolerance}")
    common = dict(scenario=scenario, variant=variant,
                  epochs=s.quick_epochs if epochs is None else epochs,
                  steps_per_epoch=steps_per_epoch, seed=seed, logdir=logdir, verbose=0,
                  shuffle=False)
    specs = {b: RunSpec(backend=b, **common) for b in backends}
    if "torch" in backends and "keras-tensorflow" in backends:
        # The port can take the TensorFlow backend's view of the losses: show that it explains it.
        specs[PORT_AS_TF] = RunSpec(backend="torch", semantics="tensorflow", **common)
    for spec in specs.values():
        spec.check()
    runs: dict[str, RunResult] = {}
    start, interrupted = None, False
    try:  # Ctrl-C at any moment (in a run, or between two) ends with the runs so far
        for i, (label, spec) in enumerate(specs.items(), start=1):
            if progress:
                progress(i, len(specs), label)
            runs[label] = run(replace(spec, initial_weights=start))
            start = start or f"{runs[label].run_dir}/initial_weights.npz"
            if runs[label].status == "interrupted":
                interrupted = True
                break
    except KeyboardInterrupt:
        interrupted = True
    if not runs:
        raise KeyboardInterrupt  # nothing ran: nothing to show
    return measure(Comparison(scenario, variant, runs, tolerance, interrupted=interrupted))


def measure(c: Comparison) -> Comparison:
    """Fill in where each run parts from the reference, the largest difference and the
    verdict; steps are compared with the first run that trained at all."""
    trained = [r for r in c.runs.values() if r.step_losses] or list(c.runs.values())
    for label, r in c.runs.items():
        if r.step_losses:
            same, largest = first_parting(trained[0].step_losses, r.step_losses, c.tolerance)
            c.parted_at[label] = None if same == len(r.step_losses) else same + 1
            c.largest[label] = largest
    c.verdict = explain(c)
    return c


def check_backends(backends: list[str]) -> None:
    """At least two, each known and installed, none twice."""
    from scen.runner import BACKENDS, require_installed

    if len(backends) < 2 or not all(backends):
        raise scenarios.ScenError("--backends needs at least two backends, comma-separated")
    for b in backends:
        if b not in BACKENDS:
            raise scenarios.ScenError(f"unknown backend {b!r}; choose from {', '.join(BACKENDS)}")
        require_installed(BACKENDS[b])
    twice = sorted({b for b in backends if backends.count(b) > 1})
    if twice:
        raise scenarios.ScenError(f"--backends names {', '.join(twice)} twice")


def first_parting(a, b, tolerance: float) -> tuple[int, float]:
    """How many leading steps agree within `tolerance` (relative), and the largest difference."""
    n = min(len(a), len(b))
    a, b = np.asarray(a[:n], dtype=float), np.asarray(b[:n], dtype=float)
    with np.errstate(invalid="ignore"):
        diff = np.abs(a - b) / np.maximum(1.0, np.abs(a))
    # NaN in both (TerminateOnNaN's last step), or the same infinity: the same loss
    diff[(np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b))] = 0.0
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
    loss_name = next(iter(c.runs.values())).info.get("loss", "")
    reference = next((k for k, r in trained.items() if r.step_losses), None)
    agreeing = [k for k, p in c.parted_at.items() if p is None and k in trained]
    parting = {k: p for k, p in c.parted_at.items() if p is not None and k in trained}
    if len(agreeing) > 1:
        lines.append(f"{', '.join(agreeing)} agree within {c.tolerance:g} at every step.")
    for label, step in parting.items():
        if label in (PORT_AS_TF, reference) or any(label in x for x in lines):
            continue  # the port-as-TF run speaks in TensorFlow's line; raised/negative said
        ours, theirs = c.runs[reference].step_losses, c.runs[label].step_losses
        gap = abs(theirs[step - 1] - ours[step - 1]) / max(1.0, abs(ours[step - 1]))
        if step > 1 and gap < DIFFERENT_COMPUTATION * c.tolerance:
            lines.append(f"{label} parts from {reference} at step {step} and drifts to a "
                         f"relative {c.largest[label]:.2g}: different rounding, amplified by "
                         "training.")
            continue
        line = (f"{label} computes the loss differently from {reference}: they part at step "
                f"{step} by a relative {gap:.2g}, at once, where rounding (about 1e-7 a step) "
                f"would part slowly. Final loss {c.runs[label].history['loss'][-1]:.4g} against "
                f"{c.runs[reference].history['loss'][-1]:.4g}.")
        if "tensorflow" in label and loss_name in CROSS_ENTROPIES:
            line += (" Keras's TensorFlow backend computes this cross-entropy from the "
                     "pre-activation logits, which are unbounded; the torch and JAX backends "
                     "clip the probabilities to [1e-7, 1 - 1e-7], so their loss stays small "
                     "while the outputs saturate.")
            port = c.runs.get(PORT_AS_TF)
            if port is not None and port.step_losses:
                same, _ = first_parting(theirs, port.step_losses, c.tolerance)
                line += (f" The native port computing losses as the TensorFlow backend does "
                         f"({PORT_AS_TF}) reproduces it: final loss "
                         f"{port.history['loss'][-1]:.4g}, step losses within {c.tolerance:g} "
                         f"of {label}'s for the first {same} of {len(theirs)} steps.")
        lines.append(line)
    return lines
