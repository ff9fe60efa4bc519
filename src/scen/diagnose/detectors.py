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
from scen.diagnose.catalogue import (CAUSES, LABEL_FINDINGS, SECONDARY, SEVERITIES, Finding,
                                     as_consequence, finding, fmt)
from scen.diagnose.gradients import (detect_clipping_too_tight, detect_learning_rate_too_low,
                                     detect_no_gradient, detect_vanishing_gradients)
from scen.diagnose.loss_curve import (detect_cross_entropy_range, detect_divergence,
                                      detect_few_updates,
                                      detect_learning_rate_decayed, detect_oscillation,
                                      detect_plateau, detect_regularisation_dominates,
                                      detect_output_drowned, detect_slow_start,
                                      detect_stuck_at_chance,
                                      detect_still_improving_at_end,
                                      detect_stopped_while_improving, detect_worse_than_constant)
from scen.diagnose.metrics_fit import detect_loss_metric_disagreement, detect_metric_mismatch
from scen.diagnose.model import CROSS_ENTROPY, ONE_OF_K
from scen.diagnose.validation import (detect_overfitting, detect_validation_at_chance,
                                      detect_validation_copies, detect_validation_shift)
from scen.diagnose.predictions import (detect_linear_model, detect_majority_class,
                                       detect_mean_predictor, detect_weights_favour_majority,
                                       detect_zero_weight_class)
from scen.diagnose.trace import (Trace, raised_text, rate_raised, unlearned,
                                 validation_against_training)

# What the backend's error message says -> the catalogue entry that explains it (lower case;
# the first match wins). torch's binary_cross_entropy(input, target) names the predictions
# "input": Keras clips them into [eps, 1 - eps] first, so only NaN predictions fail its check.
BACKEND_MESSAGES = [
    ("input should be between 0 and 1", "predictions_out_of_range:raised"),
    ("between 0 and 1", "labels_out_of_range:raised"),
    ("same shape", "label_shape_mismatch:raised"),
    ("incompatible shapes", "label_shape_mismatch:raised_incompatible"),
    ("must match the size of tensor", "label_shape_mismatch:raised_incompatible"),  # torch
    ("index out of range in self", "embedding_index_out_of_range:raised"),  # torch's Embedding
    ("out of bounds", "sparse_label_out_of_range:raised"),
    ("outside the valid range", "sparse_label_out_of_range:raised"),
]


def detect_backend_error(t: Trace) -> list[Finding]:
    """fit raised: name the problem from the backend's message where it is a known one."""
    if t.status != "raised":
        return []
    msg = t.error or ""
    key = next((k for needle, k in BACKEND_MESSAGES if needle in msg.lower()), "backend_raised")
    if key.startswith("predictions_out_of_range"):
        return [_predictions_out_of_range(t, msg)]
    return [finding(key, f"the backend raised: {msg}")]


def _predictions_out_of_range(t: Trace, msg: str) -> Finding:
    """torch's "all elements of input should be between 0 and 1": the predictions were NaN."""
    last = t.records[-1] if t.records else None
    seen = []
    if last is not None and any(w["nonfinite"] for w in last.weights.values()):
        seen.append(f"the weights were NaN/Inf when it raised (epoch {last.epoch + 1})")
    if last is not None and last.outputs and last.outputs.get("nonfinite"):
        seen.append("the predictions on the sample were NaN/Inf")
    labels = (" The labels are all 0 or 1, so they are not at fault."
              if t.facts.targets_binary else "")
    return finding(
        "predictions_out_of_range:raised",
        f"the backend raised: {msg}. torch's binary_cross_entropy(input, target) calls the "
        "predictions 'input' and the labels 'target'; Keras clips the predictions into "
        "[1e-7, 1 - 1e-7] before the call, so only NaN predictions fail this check"
        + (f"; {'; '.join(seen)}" if seen else "") + "." + labels,
        epoch=last.epoch + 1 if last is not None else None)


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
        if r.outputs and r.outputs.get("nonfinite"):
            where.append("the predictions")
        if where:
            step = r.steps.get("first_nonfinite")
            at = f" (first at step {step + 1})" if step is not None else ""
            at += " (the epoch raised before it ended)" if r.partial else ""
            evidence = f"{', '.join(where)} became NaN or Inf in epoch {r.epoch + 1}{at}"
            raised = rate_raised(t, r.epoch)
            if raised:
                return [finding("nonfinite_values:rate_raised",
                                evidence + raised_text(*raised) + ".", epoch=r.epoch + 1,
                                start=fmt(raised[0]), end=fmt(raised[1]))]
            return [finding("nonfinite_values", evidence + "; learning rate then "
                            f"{fmt(r.logs.get('learning_rate', float('nan')))}.",
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


BN_SHIFT = 1.0  # moving mean this many of the inputs' standard deviations off their mean, or
BN_SCALE = 2.0  # a moving variance whose root is off by this factor either way, and...
BN_CHANGED = 0.1  # ...a tenth of the sample's predicted classes change between the two views
BN_RELATIVE = 0.5  # (regression: a median change of half the outputs' standard deviation).


def detect_batchnorm_statistics(t: Trace) -> list[Finding]:
    """BatchNormalization's moving averages far from the statistics of what it is fed, so that
    inference (validation, evaluate, predict) computes another model than training did: too
    few steps for the averages (momentum 0.99: ~100 steps each 1/e of the way) from inputs far
    from their start (mean 0, variance 1). Measured on the last epoch with statistics: the
    averages against the sample's moments, and the sample's predictions in the two views."""
    recorded = [r for r in t.records if r.activations and "(batchnorm)" in r.activations]
    if not recorded:
        return []
    last = recorded[-1]
    views = last.activations["(batchnorm)"]
    classes = t.facts.loss_kind in CROSS_ENTROPY
    if (views["changed"] if classes else views["relative"]) <= (
            BN_CHANGED if classes else BN_RELATIVE):
        return []
    norms = {name: s for name, s in last.activations.items() if s.get("kind") == "batchnorm"}
    off = {name: s for name, s in norms.items()
           if s["shift"] > BN_SHIFT or not 1 / BN_SCALE < s["scale"] < BN_SCALE}
    if not off:
        return []
    name, s = max(off.items(), key=lambda kv: kv[1]["shift"] + abs(np.log(kv[1]["scale"])))
    steps = sum(r.steps.get("n", 0) for r in t.records[:last.epoch + 1])
    effect = (f"{views['changed']:.0%} of the sample's predicted classes differ" if classes
              else f"the predictions move by {views['relative']:.2f} of their spread")
    seen = validation_against_training(t)
    return [finding(
        "batchnorm_statistics_unsettled",
        f"after epoch {last.epoch + 1} ({steps:,} steps), BatchNormalization '{name}' keeps a "
        f"moving mean {s['shift']:.2g} standard deviations away from its inputs' mean (median "
        f"|mean| {fmt(s['moving_mean'])} against {fmt(s['input_mean'])}) and a moving spread "
        f"x{s['scale']:.2g} theirs; between training's view (batch statistics) and "
        f"inference's (the moving averages) {effect}{seen}.",
        layer=name, momentum=s["momentum"], steps=round(1 / (1 - s["momentum"]))
        if s["momentum"] < 1 else 0, epoch=last.epoch + 1)]


DETECTORS = [detect_backend_error, detect_nonfinite, detect_no_gradient,
             detect_regularisation_dominates, detect_cross_entropy_range, detect_divergence,
             detect_learning_rate_decayed, detect_clipping_too_tight, detect_learning_rate_too_low,
             detect_zero_weight_class, detect_weights_favour_majority, detect_linear_model,
             detect_majority_class, detect_worse_than_constant, detect_output_drowned,
             detect_mean_predictor, detect_oscillation, detect_units, detect_batchnorm_statistics,
             detect_vanishing_gradients, detect_few_updates, detect_slow_start,
             detect_stuck_at_chance,
             detect_plateau, detect_validation_shift, detect_validation_copies,
             detect_validation_at_chance,
             detect_stopped_while_improving, detect_still_improving_at_end,
             detect_overfitting, detect_metric_mismatch, detect_loss_metric_disagreement]


# Findings of the run read as symptoms once a cause of theirs is reported: the SECONDARY ones,
# validation at chance (it follows from dropout, class weights, copies...) and ReLUs that died
# of huge errors or steps. Whether a run shows them hangs on the draw, where their cause does
# not: one backend's draw leaves 62% of a layer's units dead, another's 45%.
SHOWN_AS_CAUSED = SECONDARY | {"validation_at_chance", "dead_relu"}


def run_detectors(trace: Trace, known: list[Finding] = ()) -> list[Finding]:
    """Every detector over the trace. `known`: findings already made (preflight), which count
    when deciding what is primary."""
    findings = []
    for detect in DETECTORS:
        findings += detect(trace)
    raised = [f for f in findings if f.evidence.startswith("the backend raised")]
    known_errors = [k for k in known if k.severity == "error"]
    for f in raised:  # preflight predicted it: one finding, with the backend's words added
        about_labels = f.name in LABEL_FINDINGS or f.name == "backend_raised"
        same = [k for k in known_errors if k.name == f.name] or [
            k for k in known_errors if about_labels and k.name in LABEL_FINDINGS]
        if same:
            same[0].evidence += f" Training then raised: {trace.error}"
            findings.remove(f)
    _reconcile_risks(trace, known)
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
    settle_causes([*known, *findings])
    for f in findings:
        if f.name in SHOWN_AS_CAUSED and f.cause is not None and f.severity != "info":
            # A symptom whose cause is reported reads as that cause's consequence: info, so
            # that the report leads with what to fix. (Symptoms like these also hang on the
            # initial draw - one backend's run still climbing where another's has levelled -
            # while their cause does not.)
            f.severity = "info"
    return findings


# Preflight's findings that predict trouble from the untrained model (rather than state a
# mismatch that stays wrong): a run can prove them too pessimistic.
RISKS = {"unscaled_inputs", "saturated_units", "dead_relu"}
LEARNED_ACCURACY = 0.8  # learned: not trace.unlearned, and (with an accuracy) 80% of the way
# from chance to 1.


def _reconcile_risks(t: Trace, known: list[Finding]) -> None:
    """A preflight risk said as an error, in a run that learned well anyway (08: raw pixels
    saturating 93% of the sigmoid units at initialisation, and 97% accuracy by epoch 8): a
    warning, with what the run did. The risk is real (a less lucky seed or a deeper model
    does stall), the "cannot learn" of an error is not."""
    loss, base = t.series("loss"), t.facts.baseline_loss
    if t.status != "completed" or not base or not len(loss) or unlearned(t):
        return
    key, chance = t.accuracy_key(), t.facts.chance_accuracy
    accuracy = t.records[-1].logs.get(key) if key else None
    if accuracy is not None and chance is not None and \
            accuracy < chance + LEARNED_ACCURACY * (1 - chance):
        return
    for f in known:
        if f.name in RISKS and f.severity == "error":
            f.severity = "warning"
            f.evidence += (f" This run learned regardless: its loss ended at {fmt(loss[-1])} "
                           f"against {fmt(base)} for a constant prediction"
                           + (f", {key} {accuracy:.3f}" if accuracy is not None else "")
                           + "; the fix still makes training faster and less seed-dependent.")


def settle_causes(findings: list[Finding]) -> None:
    """Word each consequence as following from its cause (catalogue.CAUSES), in place; the
    cause becomes at least as severe as its consequence, so that the report reads it first.
    Two passes: a cause promoted in the first (float16 once NaN appeared) counts in the second
    for the consequences that need it to be an error ("name!" in CAUSES)."""
    first = {}
    for f in findings:
        first.setdefault(f.name, f)
    for _ in range(2):
        for f in findings:
            if f.cause is not None:
                continue  # settled already (findings() may run the detectors more than once)
            cause = next((first[c.rstrip("!")] for c in CAUSES.get(f.name, ())
                          if _counts(first.get(c.rstrip("!")), f, c.endswith("!"))), None)
            if cause is None:
                continue
            as_consequence(f, cause)
            if SEVERITIES.index(f.severity) < SEVERITIES.index(cause.severity):
                cause.severity = f.severity


def _counts(cause: Finding | None, f: Finding, error_only: bool) -> bool:
    """Whether `cause` (reported, not itself f) explains f: an error, or (unless error_only)
    a warning, and not one the run showed later than f was seen before training (ReLUs dead
    at initialisation did not die of the divergence that followed)."""
    if cause is None or cause is f or cause.severity == "info":
        return False
    if f.epoch == 0 and cause.epoch != 0:
        return False
    return cause.severity == "error" or not error_only
