"""Diagnostics: "my loss won't go down: why?"

Two halves, both generic (they reason from what a run shows, never from which program it is):
checks on a compiled Keras model and a data sample before training (`preflight`), and an
observer (`Diagnostics`) that records each epoch and, when training ends, runs the in-run
detectors over that trace. `DiagnoseCallback` adapts Keras's callback events into a
`Diagnostics`, for users' own models:

    from scen.diagnose import DiagnoseCallback
    model.fit(x, y, epochs=20, callbacks=[diag := DiagnoseCallback(x, y)])
    print(diag.report())

The map: which file to open

    catalogue.py   every finding: name, usual severity, summary and fix texts (add a finding here);
                   CAUSES (which finding explains which), BACKEND_BEHAVIOUR (what each backend does)
    preflight.py   checks before training: inputs, the model's make-up (add a check here)
    data.py        ... the training data as a whole: a feature that copies the target, rows
                   sorted by class that fit does not shuffle, features on scales apart
    labels.py      ... the labels and targets against the output and the loss
    wiring.py      ... how the model is put together: a layer made in call, an input no output
                   reads, inputs joined along the steps, NonNeg everywhere, token 0 under a mask
    precision.py   float16 throughout (not mixed precision): the preflight check
    activations.py activation statistics on a sample; saturated, dead, tied units
    trace.py       what detectors read: Trace, EpochRecord, Facts (chance, constant-prediction loss)
    detectors.py   DETECTORS, run_detectors (cause vs symptom, settle_causes); backend errors,
                   NaN/Inf, units
    gradients.py   detectors over gradients and updates: exactly zero, vanishing/exploding,
                   a learning rate far too low (updates tiny against the weights)
    predictions.py what the model predicts on the sample: majority-class and mean predictors
    metrics_fit.py compiled metrics that cannot measure the task (accuracy on a regression...)
    loss_curve.py  detectors over the loss/accuracy curves: divergence, plateau, a slow start,
                   a run stopped or ending while still improving...
    validation.py  ... over the validation side: at chance, unlike training, copies, overfitting
    observer.py    Diagnostics: ties preflight, recording, detectors and report together
    callback.py    DiagnoseCallback (the only module that imports Keras at the top)
    report.py      ordering findings and the text report
    model.py       reading a Keras model and data: samples, layer kinds, OutputSpec per output
    backend.py     per-backend helpers: to_numpy, recomputed_gradients (TF/JAX)

Each threshold is a named constant beside the check or detector that uses it, with the reason
for its value. Nothing here imports Keras at module level: `import scen.diagnose` stays cheap,
and callback.py is imported on first access to `DiagnoseCallback`.
"""

from scen.diagnose.activations import ActivationExtractor, activation_stats, check_activations
from scen.diagnose.backend import recomputed_gradients, to_numpy
from scen.diagnose.catalogue import (BACKEND_BEHAVIOUR, CATALOGUE, CAUSES, SEVERITIES, Finding,
                                     backend_note, finding)
from scen.diagnose.detectors import (DETECTORS, detect_backend_error, detect_nonfinite,
                                     detect_units, run_detectors, settle_causes)
from scen.diagnose.gradients import (detect_learning_rate_too_low, detect_no_gradient,
                                     detect_vanishing_gradients, update_ratios)
from scen.diagnose.metrics_fit import detect_metric_mismatch
from scen.diagnose.precision import check_precision, float16_throughout
from scen.diagnose.predictions import (detect_majority_class, detect_mean_predictor,
                                       predict_sample, prediction_stats)
from scen.diagnose.loss_curve import (detect_cross_entropy_range, detect_divergence,
                                      detect_oscillation, detect_plateau, detect_slow_start,
                                      detect_worse_than_constant)
from scen.diagnose.validation import detect_overfitting
from scen.diagnose.model import OutputSpec, activation_of, loss_kind, output_specs, sample
from scen.diagnose.observer import Diagnostics, wants_activations
from scen.diagnose.labels import (check_activation_fits_loss, check_binary_labels,
                                  check_categorical_labels, check_output_and_loss,
                                  check_regression_targets, check_sparse_labels)
from scen.diagnose.preflight import check_inputs, check_softmax_axes, preflight
from scen.diagnose.report import format_report, sorted_findings
from scen.diagnose.trace import (EpochRecord, Facts, Trace, facts_for, grad_stats, initial_loss,
                                 step_stats, weight_stats)

__all__ = [
    "BACKEND_BEHAVIOUR", "CAUSES", "backend_note", "check_precision",
    "detect_learning_rate_too_low", "detect_majority_class", "detect_mean_predictor",
    "detect_metric_mismatch", "float16_throughout", "predict_sample", "prediction_stats",
    "settle_causes", "update_ratios",
    "CATALOGUE", "DETECTORS", "SEVERITIES", "ActivationExtractor", "DiagnoseCallback",
    "Diagnostics", "EpochRecord", "Facts", "Finding", "OutputSpec", "Trace", "activation_of",
    "activation_stats", "check_activation_fits_loss", "check_activations", "check_binary_labels",
    "check_categorical_labels", "check_inputs", "check_output_and_loss",
    "check_regression_targets", "check_softmax_axes", "check_sparse_labels",
    "detect_backend_error", "detect_cross_entropy_range", "detect_divergence",
    "detect_no_gradient", "detect_nonfinite", "detect_oscillation", "detect_overfitting",
    "detect_plateau", "detect_slow_start", "detect_units", "detect_vanishing_gradients",
    "detect_worse_than_constant", "facts_for", "finding", "format_report", "grad_stats",
    "initial_loss", "loss_kind", "output_specs", "preflight", "recomputed_gradients",
    "run_detectors", "sample", "sorted_findings", "step_stats", "to_numpy", "wants_activations",
    "weight_stats",
]


def __getattr__(name):
    """`DiagnoseCallback` subclasses keras.callbacks.Callback, so its module is imported on
    first access: importing scen.diagnose does not import Keras."""
    if name == "DiagnoseCallback":
        from scen.diagnose.callback import DiagnoseCallback

        return DiagnoseCallback
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
