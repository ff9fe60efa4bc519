"""The finding catalogue: every finding scen.diagnose can report, as data.

A `Finding` has a stable snake_case name, a severity, a one-line summary, the evidence and a
fix. The evidence is measured, so the check or detector that sees the problem writes it; the
rest is fixed and lives here, in CATALOGUE: the usual severity, and the summary and fix as
`str.format` templates over the fields the check passes to `finding(...)`.

To add a finding: add an `Entry` below, then return `finding(key, evidence, **fields)` from a
check (preflight.py, activations.py) or a detector (detectors.py, gradients.py, loss_curve.py).
Where one finding has several wordings (say, seen by preflight and then in the backend's own
error message) the key is "name:variant"; the finding is still called "name".

Two sets classify findings for `detectors.run_detectors`: LABEL_FINDINGS (the labels do not fit
the output and loss) and SECONDARY (symptoms, shown as info once an error explains the run).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

SEVERITIES = ("error", "warning", "info")  # the report's order


@dataclass
class Finding:
    name: str  # stable snake_case id
    severity: str  # error | warning | info
    summary: str
    evidence: str
    fix: str
    layer: str | None = None
    epoch: int | None = None  # 1-based, as Keras prints epochs

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Entry:
    key: str  # the finding's name, or "name:variant" for a second wording
    severity: str  # the usual severity; where a check decides otherwise, it says why
    summary: str  # str.format template over the check's fields (and `layer`)
    fix: str  # str.format template, likewise

    @property
    def name(self) -> str:
        return self.key.split(":")[0]


_BY_SCALING = ("Scale the inputs: x / 255 for pixels, or standardise per feature ((x - mean) / "
               "std, e.g. a keras.layers.Normalization layer adapted on the training data as the "
               "model's first layer).")
_LOWER_LR = ("Lower the learning rate 10x{lr_hint}, clip gradients (clipnorm=1.0), and scale the "
             "inputs.")
_WORSE_FIX = ("Check that the output layer can produce the targets (activation, units) and the "
              "learning rate; for large regression targets standardise them.")
_SHAPE = "labels of width {width} for an output of {units} units"

ENTRIES = [
    # --- Preflight: the data ---------------------------------------------------------------
    Entry("nonfinite_inputs", "error", "{name} contains NaN or Inf",
          "Clean the data (np.nan_to_num, imputation) before fit: one NaN makes every weight "
          "NaN after the first step."),
    Entry("unscaled_inputs", "warning", "{name} is not scaled: values far from unit scale",
          _BY_SCALING),
    Entry("nonfinite_targets", "error", "the targets contain NaN or Inf",
          "Remove or impute those samples before fit."),
    # --- Preflight: output layer against loss ----------------------------------------------
    Entry("softmax_single_unit", "error",
          "{act} over a single unit: the output is constantly {const} and cannot learn",
          "For a regression use Dense(1) with no activation (linear) and "
          "loss='mean_squared_error'; for K classes use Dense(K, activation='softmax') with "
          "categorical_crossentropy (one-hot) or sparse_categorical_crossentropy (integer "
          "labels); for two classes Dense(1, activation='sigmoid') with binary_crossentropy."),
    Entry("cross_entropy_on_unbounded_output", "error",
          "{loss} on a '{act}' output, which is not a probability",
          "Use activation='{probability}' on the output, or keep it linear and pass "
          "from_logits=True to the loss."),
    Entry("probabilities_as_logits", "warning",
          "from_logits=True on a '{act}' output: the activation is applied twice",
          "Remove the output activation (keep from_logits=True), or set from_logits=False."),
    Entry("sigmoid_with_categorical_crossentropy", "warning",
          "{units} sigmoid outputs with {loss}: the outputs are not a distribution",
          "For one-of-K classes use Dense(K, activation='softmax'); for independent labels use "
          "binary_crossentropy."),
    Entry("categorical_crossentropy_single_unit", "error",
          "categorical_crossentropy over a single output unit: the loss is always 0",
          "For two classes use Dense(1, activation='sigmoid') with binary_crossentropy, or "
          "Dense(2, activation='softmax') with one-hot labels."),
    # --- Preflight: labels against output and loss -----------------------------------------
    Entry("labels_out_of_range:binary", "error", "{loss} labels outside [0, 1]",
          "Map the labels to 0/1, e.g. y = (y == positive_class).astype('float32') (for labels "
          "1/2: y - 1)."),
    Entry("labels_out_of_range:categorical", "error", "categorical labels outside [0, 1]",
          "One-hot encode the class indices with keras.utils.to_categorical."),
    Entry("label_shape_mismatch:binary", "error", _SHAPE,
          "Give one 0/1 column per output unit, or use Dense(1, activation='sigmoid') for a "
          "single label."),
    Entry("label_shape_mismatch:categorical", "error", _SHAPE,
          "Make the one-hot labels {units} wide, or the output Dense({width})."),
    Entry("integer_labels_with_categorical_crossentropy", "error",
          "categorical_crossentropy with class indices instead of one-hot labels",
          "Use loss='sparse_categorical_crossentropy' with the integer labels, or one-hot them: "
          "keras.utils.to_categorical(y, {units})."),
    Entry("integer_labels_with_categorical_crossentropy:not_integer", "error",
          "categorical_crossentropy with class indices instead of one-hot labels",
          "Check which loss the labels were made for."),
    Entry("labels_not_one_hot", "warning", "categorical labels whose rows do not sum to 1",
          "For several labels per sample use sigmoid outputs with binary_crossentropy."),
    Entry("one_hot_labels_with_sparse_crossentropy", "error",
          "sparse_categorical_crossentropy with one-hot labels",
          "Use loss='categorical_crossentropy', or pass y.argmax(axis=-1)."),
    Entry("sparse_label_out_of_range", "error",
          "class indices outside 0..{last} for {units} output units",
          "Relabel classes as 0..K-1 (e.g. y - y.min()) and give the output Dense(K, "
          "activation='softmax') with K the number of classes."),
    Entry("output_cannot_reach_targets", "error", "a '{act}' output cannot produce the targets",
          "For a regression use a linear output, Dense(units) with no activation, or scale the "
          "targets into [{low}, {high}] and back after predict."),
    Entry("softmax_on_regression", "warning",
          "softmax output with {loss}: the outputs are forced to sum to 1",
          "Use a linear output, Dense(units) with no activation, for a regression."),
    Entry("unscaled_targets", "warning", "regression targets far from unit scale",
          "Standardise the targets (y - mean) / std and invert after predict, or initialise the "
          "output bias at the target mean (bias_initializer=keras.initializers.Constant(mean))."),
    # --- Units, before training and during it (activations.py) -----------------------------
    Entry("activations_not_checked", "info", "could not run the model's layers on the sample",
          "none needed"),
    Entry("nonfinite_activations", "error", "NaN or Inf in the outputs of layer '{layer}' {when}",
          "Look for NaN in the inputs, or weights that diverged (lower the learning rate; "
          "clipnorm=1.0)."),
    Entry("saturated_units", "error", "{kind} units in layer '{layer}' are saturated {when}",
          "Scale the inputs (x / 255 or standardise); keep the default initialisation; consider "
          "relu for hidden layers."),
    Entry("dead_relu", "warning", "{dead:.0%} of the ReLUs in layer '{layer}' never fire {when}",
          "Lower the learning rate, scale the inputs, use LeakyReLU or "
          "kernel_initializer='he_normal', or add a small positive bias."),
    Entry("argmax_ties", "warning", "tied outputs: the accuracy metric is unreliable",
          "Fix the saturation (scale the inputs; softmax for one-of-K classes); judge the model "
          "on argmax of the pre-activation logits meanwhile."),
    # --- The backend raised (detectors.detect_backend_error) --------------------------------
    Entry("labels_out_of_range:raised", "error", "labels outside [0, 1] for binary cross-entropy",
          "Map the labels to 0/1 (for labels 1/2: y - 1)."),
    Entry("label_shape_mismatch:raised", "error", "the labels' shape does not match the output",
          "One-hot labels for categorical_crossentropy (keras.utils.to_categorical), or "
          "sparse_categorical_crossentropy for integer labels; match the output's units."),
    Entry("label_shape_mismatch:raised_incompatible", "error",
          "the labels' shape does not match the output",
          "Match the labels to the output's shape (one-hot width = output units)."),
    Entry("sparse_label_out_of_range:raised", "error", "a class index is out of range",
          "Class indices must be 0..K-1 for an output of K units."),
    Entry("backend_raised", "error", "training raised an error",
          "Read the error; check the labels' shape and range against the output layer and loss."),
    # --- Values and gradients during the run ------------------------------------------------
    Entry("nonfinite_values", "error", "NaN or Inf during training",
          "Lower the learning rate (10x), clip gradients (optimizer clipnorm=1.0), scale the "
          "inputs, and check the data and any custom loss for log(0) or division by 0."),
    Entry("weights_never_change", "error", "no weight changed during training",
          "Check the output layer and loss: the gradient is zero."),
    Entry("no_gradient", "error", "every gradient is exactly zero: the model cannot learn",
          "Check the output layer and loss (see the other findings); for a regression use "
          "Dense(1) with no activation."),
    Entry("gradients_died", "error", "every gradient became exactly zero: training stopped",
          _LOWER_LR),
    Entry("weights_without_gradient", "warning",
          "{count} weight(s) got exactly zero gradient all run",
          "Look for dead ReLUs or saturated units feeding them."),
    Entry("vanishing_gradients", "warning", "gradients vanish towards the first layers",
          "Use relu (or gelu) hidden activations with he_normal initialisation, add "
          "BatchNormalization, or residual connections."),
    Entry("exploding_gradients", "warning", "gradients explode towards the first layers",
          "Clip gradients (clipnorm=1.0), lower the learning rate, normalise the inputs."),
    # --- The loss and accuracy curves -------------------------------------------------------
    Entry("negative_cross_entropy", "error", "the cross-entropy went negative",
          "Map the labels to 0/1 (or one-hot); for labels 1/2 use y - 1."),
    Entry("huge_cross_entropy", "error", "the cross-entropy is enormous: unbounded logits",
          "Scale the inputs if they are not (x / 255, or standardise) and lower the learning "
          "rate (it was {lr}); for one-of-K classes use a softmax output."),
    Entry("loss_spikes", "warning", "the loss blew up, then recovered: unstable training",
          "Lower the learning rate (3-10x) or clip gradients (clipnorm=1.0)."),
    Entry("diverging_loss", "error", "the training loss is rising: the learning rate is too high",
          _LOWER_LR),
    Entry("worse_than_constant:stuck", "error",
          "the model does worse than a constant prediction and is not improving", _WORSE_FIX),
    Entry("worse_than_constant:slow", "warning",
          "the model does worse than a constant prediction, and improves slowly", _WORSE_FIX),
    Entry("oscillating_loss", "warning", "the epoch loss jumps up and down: learning rate too high",
          "Lower the learning rate (3-10x) or add ReduceLROnPlateau; a larger batch also smooths "
          "the steps."),
    Entry("slow_start", "warning", "accuracy stuck at chance for {epochs} epochs",
          "Raise the learning rate{lr_hint}, or give the hidden layer more units; with few "
          "sigmoid units the start is slow and seed-dependent."),
    Entry("loss_levelled_off", "info", "the loss has levelled off",
          "If the level is higher than the task should allow, add capacity; otherwise stop "
          "earlier (EarlyStopping(monitor='val_loss', restore_best_weights=True))."),
    Entry("plateau", "warning", "the loss crawls: fast at first, then barely improving",
          "Add ReduceLROnPlateau(monitor='val_loss', factor=0.2, patience=3) so the learning "
          "rate drops when progress stalls, and/or more capacity (wider Dense layers)."),
    Entry("overfitting", "warning", "validation loss rising while training loss falls",
          "EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True), Dropout or "
          "L2 regularisation, a smaller model or more data."),
    Entry("train_val_gap", "warning", "large gap between training and validation accuracy",
          "Regularise (Dropout, L2), augment or add data, or stop earlier."),
]
CATALOGUE: dict[str, Entry] = {e.key: e for e in ENTRIES}

# The labels do not fit the output and loss: the backend's error about labels is one of these.
LABEL_FINDINGS = {"labels_out_of_range", "label_shape_mismatch", "sparse_label_out_of_range",
                  "integer_labels_with_categorical_crossentropy",
                  "one_hot_labels_with_sparse_crossentropy", "nonfinite_targets"}
# Symptoms rather than causes: shown as info when an error-level cause is found.
SECONDARY = {"slow_start", "plateau", "loss_levelled_off", "oscillating_loss", "overfitting",
             "train_val_gap", "vanishing_gradients", "weights_without_gradient",
             "worse_than_constant"}


def finding(key: str, evidence: str, *, severity: str | None = None, layer: str | None = None,
            epoch: int | None = None, **fields) -> Finding:
    """The Finding for CATALOGUE[key], its summary and fix filled in from `fields` (and
    `layer`); `severity` overrides the entry's usual one."""
    entry = CATALOGUE[key]
    return Finding(entry.name, severity or entry.severity,
                   entry.summary.format(layer=layer, **fields), evidence,
                   entry.fix.format(layer=layer, **fields), layer=layer, epoch=epoch)


def fmt(v) -> str:
    """A number as evidence prints it: floats to 4 significant digits, the rest as str()."""
    return f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)
