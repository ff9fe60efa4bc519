"""The in-run detectors, all together: `DETECTORS` lists them in the order they run, and
`run_detectors` runs them over a trace and settles what is primary (the cause) and what is
secondary (its symptoms).

Here too the detectors that read the run as a whole: an error the backend raised, NaN/Inf,
and units saturated, dead or tied at the end. The others live by what they read: gradients.py
(weights and gradients) and loss_curve.py (loss and accuracy curves). To add a detector: write
`detect_x(trace) -> list[Finding]` in the module it reads from, add its texts to catalogue.py,
and list it in DETECTORS.
"""

from __future__ import annotations

import numpy as np

from scen.diagnose.activations import check_activations
from scen.diagnose.catalogue import LABEL_FINDINGS, SECONDARY, Finding, finding, fmt
from scen.diagnose.gradients import detect_no_gradient, detect_vanishing_gradients
from scen.diagnose.loss_curve import (detect_cross_entropy_range, detect_divergence,
                                      detect_oscillation, detect_overfitting, detect_plateau,
                                      detect_slow_start, detect_worse_than_constant)
from scen.diagnose.model import ONE_OF_K
from scen.diagnose.trace import Trace

# What the backend's error message says -> the catalogue entry that explains it (lower case).
BACKEND_MESSAGES = [
    ("between 0 and 1", "labels_out_of_range:raised"),
    ("same shape", "label_shape_mismatch:raised"),
    ("incompatible shapes", "label_shape_mismatch:raised_incompatible"),
    ("out of bounds", "sparse_label_out_of_range:raised"),
    ("outside the valid range", "sparse_label_out_of_range:raised"),
]


def detect_backend_error(t: Trace) -> list[Finding]:
    """fit raised: name the problem from the backend's message where it is a known one."""
    if t.status != "raised":
        return []
    msg = t.error or ""
    key = next((k for needle, k in BACKEND_MESSAGES if needle in msg.lower()), "backend_raised")
    return [finding(key, f"the backend raised: {msg}")]


def detect_nonfinite(t: Trace) -> list[Finding]:
    """The first epoch whose loss, weights or gradients hold NaN or Inf."""
    for r in t.records:
        where = []
        if not np.isfinite(r.logs.get("loss", 0.0)) or r.steps.get("nonfinite"):
            where.append("the loss")
        if any(w["nonfinite"] for w in r.weights.values()):
            where.append("the weights")
        if any(g["nonfinite"] for g in r.grads.values()):
            where.append("the gradients")
        if where:
            step = r.steps.get("first_nonfinite")
            at = f" (first at step {step + 1})" if step is not None else ""
            return [finding(
                "nonfinite_values",
                f"{', '.join(where)} became NaN or Inf in epoch {r.epoch + 1}{at}; learning "
                f"rate then {fmt(r.logs.get('learning_rate', float('nan')))}.",
                epoch=r.epoch + 1)]
    return []


def detect_units(t: Trace) -> list[Finding]:
    """Saturation, dead ReLUs and argmax ties on the last epoch with activation statistics."""
    recorded = [r for r in t.records if r.activations]
    if not recorded:
        return []
    last = recorded[-1]
    found = check_activations(last.activations, f"after epoch {last.epoch + 1}",
                              t.facts.output_layer, t.facts.loss_kind in ONE_OF_K)
    for f in found:
        if f.name == "saturated_units":
            f.severity = "warning"  # hidden units saturated mid-run: slow, not broken
        f.epoch = last.epoch + 1
    return found


DETECTORS = [detect_backend_error, detect_nonfinite, detect_no_gradient,
             detect_cross_entropy_range, detect_divergence, detect_worse_than_constant,
             detect_oscillation, detect_units, detect_vanishing_gradients, detect_slow_start,
             detect_plateau, detect_overfitting]


def run_detectors(trace: Trace, known: list[Finding] = ()) -> list[Finding]:
    """Every detector over the trace. `known`: findings already made (preflight), which count
    when deciding what is primary."""
    findings = []
    for detect in DETECTORS:
        findings += detect(trace)
    raised = [f for f in findings if f.evidence.startswith("the backend raised")]
    known_errors = [k for k in known if k.severity == "error"]
    for f in raised:  # preflight predicted it: one finding, with the backend's words added
        same = [k for k in known_errors if k.name == f.name] or [
            k for k in known_errors if k.name in LABEL_FINDINGS]
        if same:
            same[0].evidence += f" Training then raised: {trace.error}"
            findings.remove(f)
    names = {f.name for f in findings}
    if names & {"diverging_loss", "gradients_died", "no_gradient"}:
        # the cause is named: "worse than a constant" would only restate it
        findings = [f for f in findings if f.name != "worse_than_constant"]
    if any(f.severity == "error" and f.name not in SECONDARY for f in [*known, *findings]):
        # Slow progress, plateaus, overfitting, "worse than a constant" are symptoms once
        # something is broken: keep them, as info, so that the cause is read first.
        for f in findings:
            if f.name in SECONDARY and f.severity != "info":
                f.severity = "info"
                f.evidence += " (Shown as info: an error above explains the run first.)"
    return findings
