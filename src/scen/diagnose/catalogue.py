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
(Why ~600 lines: it is a table, one entry per finding; split, a reader could not see every
finding's words side by side.)
"""

from __future__ import annotations

import os
import re
import sys
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
    epoch: int | None = None  # 1-based, as Keras prints epochs; 0: seen before training
    cause: str | None = None  # the finding this one follows from (see CAUSES), if any

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
_RATE_RAISED = ("Keep the learning rate at or below its start ({start}, where training "
                "worked): a schedule that raises it ({start} -> {end}) is a warm-up only if it "
                "stops at a rate that trains; decay it instead (ExponentialDecay, "
                "ReduceLROnPlateau).")
_LOWER_LR = ("Lower the learning rate 10x{lr_hint}, clip gradients (clipnorm=1.0), and scale the "
             "inputs where they are far from unit scale.")
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
    Entry("embedding_ids_not_integer", "error",
          "an Embedding is given fractions, not token ids",
          "Feed the integer ids themselves (no scaling before an Embedding: x / vocab_size "
          "turns every id below vocab_size into 0); the Embedding learns each id's scale."),
    Entry("output_drowned", "warning", "output '{output}' barely counts in the loss",
          "Weigh the outputs so that each one's weighted loss is of one order: raise "
          "loss_weights for '{output}' (or lower '{heavy}''s), or scale '{heavy}''s targets "
          "(standardise a regression target) so its loss is not orders larger."),
    Entry("targets_swapped", "error", "the outputs' targets look swapped",
          "Give fit the targets in the order of the model's outputs (or as a dict by output "
          "name): output '{first}' and output '{second}' each got the other's."),
    Entry("label_smoothing_too_high", "error", "label_smoothing={smoothing} erases the labels",
          "Use label_smoothing=0.1 or less (0, the default, keeps the labels as they are)."),
    Entry("input_code", "warning", "feature {feature} holds a missing-value code ({code})",
          "Replace the code with a real value (the feature's median) and add a 0/1 column that "
          "says it was missing; then scale (a Normalization layer adapted on the cleaned data)."),
    Entry("rows_normalised", "warning", "{name} is normalised per row, not per feature",
          "Standardise each feature across samples: a keras.layers.Normalization() layer "
          "adapted on the training data, or keras.utils.normalize(x, axis=0) / (x - "
          "x.mean(axis=0)) / x.std(axis=0); keras.utils.normalize's default axis=-1 scales rows."),
    Entry("unscaled_inputs:columns_apart", "warning",
          "{name}'s features sit on scales orders of magnitude apart",
          "Standardise each feature on its own: a keras.layers.Normalization() layer adapted on "
          "the training data (or (x - x.mean(axis=0)) / x.std(axis=0)); one scale for the whole "
          "array (x / x.max()) keeps the features' ratios."),
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
    Entry("probabilities_as_logits:twice", "error",
          "'{act}' applied twice: the output squashes probabilities again",
          "Keep one activation: drop layer '{layer}' (or the activation of layer '{first}')."),
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
    Entry("validation_unlike_training", "warning",
          "the validation inputs are not prepared as the training inputs were",
          "Apply the training data's preprocessing to the validation (and test) data: fit the "
          "scaler (or keras.layers.Normalization's adapt) on the training inputs once and "
          "transform both with it."),
    Entry("classification_with_regression_loss", "warning",
          "a classifier trained with a regression loss",
          "Use loss='{loss}' with the {act} output (and metrics=['accuracy'])."),
    Entry("batches_sorted_by_class", "warning",
          "the training rows are sorted by class and fit does not shuffle them",
          "Let fit shuffle (shuffle=True, its default), or shuffle once before fit with one "
          "permutation for x and y (p = np.random.permutation(len(x)); x, y = x[p], y[p]) - "
          "before validation_split, which takes the last rows as they are."),
    Entry("bottleneck_of_one_unit", "warning",
          "a hidden layer of one unit squeezes each sample into one number",
          "Widen layer '{layer}' (to at least the {width} outputs, e.g. Dense(32)); a "
          "bottleneck needs as many units as the head has things to tell apart."),
    Entry("feature_copies_target", "warning",
          "an input feature gives the target away: too good to be true",
          "Find what feature {feature} is, and drop it if it is known only with or after the "
          "outcome (a fee billed when a customer leaves, a status set by the event, a window "
          "that includes the step to predict); a model that reads the answer from its input "
          "scores near-perfectly here and fails in use."),
    Entry("classification_with_regression_loss:class_ids", "warning",
          "class ids trained as one regression output",
          "Make it a classifier: Dense({classes}, activation='softmax') with "
          "loss='sparse_categorical_crossentropy' and metrics=['accuracy'] (the labels stay "
          "integers); keep {loss} only if the numbers are quantities, not classes (then drop "
          "accuracy)."),
    Entry("normalisation_of_one_value", "error",
          "a normalisation over a single value outputs a constant",
          "Normalise over an axis with several values (the feature axis of a layer with more "
          "than one unit), or drop the LayerNormalization there."),
    Entry("validation_copies_training", "warning",
          "the validation rows are copies of training rows: validation overstates the model",
          "Split first, then augment or oversample the training part only (and drop duplicate "
          "rows before splitting); judge the model on rows it never saw."),
    Entry("padding_read_last", "warning",
          "the recurrent layer reads the padding after the tokens, and forgets them",
          "Pad before the tokens (keras.utils.pad_sequences(..., padding='pre'), its default), "
          "or let the padding be skipped: Embedding(..., mask_zero=True)."),
    Entry("labels_one_class", "error", "every training label is the same class",
          "Check how the labels were made (a typo in the class name, a threshold no row "
          "passes, a filter that kept one class): a classifier needs examples of at least two "
          "classes, and its accuracy on one class says nothing."),
    Entry("sparse_labels_not_integer", "error", "fractional labels where class indices go",
          "Give integer class indices (for probabilities of the positive class: "
          "y = (y > 0.5).astype('int32')), or keep soft targets with one column per class and "
          "categorical_crossentropy (binary_crossentropy for one sigmoid unit)."),
    Entry("output_has_extra_axes", "error",
          "the output has a time (or position) axis that the labels do not have",
          "For one label per sample, let the last recurrent layer return one vector "
          "(return_sequences=False), or pool the steps (GlobalAveragePooling1D, Flatten) before "
          "the output; for a label per step, give labels of shape (samples, steps, ...)."),
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
    Entry("target_code", "error", "a missing-value code among the regression targets",
          "Drop (or mask with sample_weight=0) the rows whose target is {code}: it marks a "
          "missing value, and the loss fits it as one."),
    Entry("constraint_limits_model", "error",
          "NonNeg kernels make the model rise with every input, and the target does not",
          "Drop kernel_constraint=NonNeg() from the hidden layers. To keep predictions "
          "non-negative, constrain the output instead (a 'softplus' or 'relu' activation on "
          "the last layer, or predict log(price) and exponentiate)."),
    Entry("constant_inputs", "error", "{name} is the same in every row",
          "Check the step that built the inputs: rows made with [[0.0] * k] * n share one list "
          "(use np.zeros((n, k))), values divided into an integer array are truncated (make "
          "it float: np.empty_like(x, dtype='float32')), a clip or a cast meant for scaled "
          "values flattens raw ones. Print x[:3] and x.std(axis=0) before fit."),
    Entry("constant_inputs:columns", "warning", "features of {name} that hardly vary",
          "Check the step that built those features (a clip to [-3, 3] meant for z-scores "
          "applied to raw values, a cast that truncated them); print x.std(axis=0) before "
          "fit."),
    Entry("stuck_at_chance", "warning", "the run never left chance in {epochs} epochs",
          "Nothing learned, and no cause in the run shows: check that the labels belong to "
          "their rows and that the inputs reach the output as meant (attention and padding "
          "masks the right way round, positions visible where order matters); then see "
          "whether the model can overfit 100 training rows. If it can, raise the learning "
          "rate or train longer."),
    Entry("lambda_slices_alike", "error", "Lambda layers built in a loop all compute the same",
          "Bind the loop's variable when each Lambda is made: Lambda(lambda t, s=start: "
          "t[:, s:s + k]), or use layers that hold their own slice (a custom layer with the "
          "start as an attribute), or split the input with keras.ops.split."),
    Entry("loss_ignores_scale", "warning",
          "{loss} fits the targets' directions, not their lengths",
          "Train on a loss that sees the whole vector, 'mean_squared_error' (or 'huber'); "
          "keep cosine similarity as a metric, or use it only where the lengths do not "
          "matter (unit-length embeddings)."),
    Entry("dropout_after_output", "error",
          "{kind} after the output layer '{output}' changes what the loss sees",
          "Move the {kind} before the last Dense layer (or drop it): the output layer must be "
          "the model's last, so that training and inference compute the same predictions."),
    Entry("kernels_not_trainable", "error", "layer '{layer}' keeps its kernel out of training",
          "Create the kernel with add_weight(..., trainable=True) (the default), or freeze the "
          "whole layer on purpose with layer.trainable = False."),
    Entry("embedding_ids_clipped", "error",
          "a large share of the ids fall on Embedding '{layer}''s last row",
          "Re-index the ids to 0..n-1 (np.unique(ids, return_inverse=True), or a "
          "keras.layers.IntegerLookup / StringLookup layer) and size the Embedding "
          "input_dim=n (+1 for an out-of-vocabulary row), instead of clipping them into range."),
    Entry("outputs_identical", "error", "outputs {first} and {second} are computed alike",
          "Give each output its own layers: create the head's layers inside the loop (a new "
          "Dense per output), not once outside it; calling one layer object twice shares its "
          "weights."),
    Entry("negative_sample_weights", "error", "negative sample weights",
          "Give fit weights of 0 or more: pass the raw column (an exposure, a count) as "
          "sample_weight, not its standardised copy, and keep it out of the features you "
          "scale."),
    Entry("concatenated_on_the_wrong_axis", "warning",
          "two inputs' branches joined along axis {axis}, not side by side",
          "Join the branches on the feature axis: layers.Concatenate(axis=-1) (the default), "
          "so that each step carries both inputs' features."),
    Entry("batches_repeat_rows", "error",
          "consecutive batches share {shared} of {rows} rows: each epoch repeats a sliver",
          "In a PyDataset's __getitem__(self, idx), idx counts batches: slice rows "
          "x[idx * self.batch_size:(idx + 1) * self.batch_size], and let __len__ return "
          "math.ceil(len(x) / self.batch_size). In a generator, yield inside the loop over "
          "the batches, each its own slice of the rows."),
    Entry("padding_id_collides", "error",
          "a real token has id 0, the id that mask_zero masks as padding",
          "Number the vocabulary from 1 and keep 0 for padding only (Keras's TextVectorization "
          "and Tokenizer do: 0 padding, 1 out-of-vocabulary), then pad with 0."),
    Entry("input_not_used", "error", "input {name} never reaches the output",
          "Check the model's wiring: each branch's first layer should take that branch's "
          "input (in a functional model, the tensor passed to each layer; in a subclassed "
          "model, which key of inputs each tower reads)."),
    Entry("layer_created_in_call", "error",
          "{where} constructs a layer on every call: its weights are never trained",
          "Create the layer once, in __init__ (self.dense = layers.{layer_class}...), and only "
          "call it in call(): self.dense(inputs)."),
    Entry("loss_domain_excludes_targets", "error",
          "{loss} is not defined for targets below zero",
          "Use loss='mean_squared_error' (or 'huber') on these targets; keep {loss} for "
          "targets that cannot be negative (counts, prices), and do not standardise those: "
          "MSLE and Poisson need the raw, non-negative scale."),
    Entry("percentage_loss_near_zero_targets", "error",
          "{loss} on targets at or near zero: a few rows dominate the loss",
          "Use loss='mean_absolute_error' or 'mean_squared_error' (or 'huber'); keep a "
          "percentage error as a metric only for targets far from zero (prices, volumes)."),
    Entry("unscaled_targets", "warning", "regression targets far from unit scale",
          "Standardise the targets (y - mean) / std and invert after predict, or initialise the "
          "output bias at the target mean (bias_initializer=keras.initializers.Constant(mean))."),
    Entry("regression_with_classification_loss", "error",
          "{loss} on targets that are a regression ({distinct} distinct values over "
          "[{low}, {high}])",
          "This is a regression, not a classification: give the model a linear output, "
          "Dense({units}) with no activation, loss='mean_squared_error' (or "
          "'mean_absolute_error', or 'huber' for outliers), standardise the targets "
          "((y - mean) / std, and invert after predict), and track metrics=['mae'] or "
          "keras.metrics.RootMeanSquaredError() instead of accuracy."),
    Entry("float16_throughout", "warning",
          "the model computes and keeps its weights in float16",
          "Train in float32 (the default: keras.config.set_floatx('float32')) or in mixed "
          "precision (keras.mixed_precision.set_global_policy('mixed_float16')), which keeps the "
          "weights in float32 and scales the loss so that small gradients survive."),
    # --- Units, before training and during it (activations.py) -----------------------------
    Entry("activations_not_checked", "info", "could not run the model's layers on the sample",
          "none needed"),
    Entry("nonfinite_activations", "error", "NaN or Inf in the outputs of layer '{layer}' {when}",
          "Look for NaN in the inputs, or weights that diverged (lower the learning rate; "
          "clipnorm=1.0)."),
    Entry("saturated_units", "error", "{kind} units in layer '{layer}' are saturated {when}",
          "Scale the inputs (x / 255 or standardise); keep the default initialisation; consider "
          "relu for hidden layers."),
    Entry("saturated_units:initialiser", "error",
          "{kind} units in layer '{layer}' are saturated {when}",
          "Use Keras's default kernel_initializer (glorot_uniform) or one scaled to the fan-in "
          "(lecun_normal; he_normal before relu) in place of {init}: the weights, not the "
          "inputs, put the units at their limits."),
    Entry("dead_relu", "warning", "{dead:.0%} of the ReLUs in layer '{layer}' never fire {when}",
          "Lower the learning rate, scale the inputs, use LeakyReLU or "
          "kernel_initializer='he_normal', or add a small positive bias."),
    Entry("batchnorm_statistics_unsettled", "warning",
          "BatchNormalization's moving averages do not match its inputs: inference computes "
          "another model than training",
          "Give the averages steps to settle (about {steps} per 1/e at momentum {momentum}; more "
          "epochs or smaller batches), lower the momentum (BatchNormalization(momentum=0.9)), or "
          "standardise the inputs so that the averages start near them (mean 0, variance 1)."),
    Entry("argmax_ties:uniform", "warning", "tied outputs: the accuracy metric is unreliable",
          "Look upstream of the output for a layer whose units are all 0 on these rows (a "
          "narrow ReLU layer that died, zero kernels): widen it, or use LeakyReLU there."),
    Entry("argmax_ties", "warning", "tied outputs: the accuracy metric is unreliable",
          "Fix the saturation (scale the inputs; softmax for one-of-K classes); judge the model "
          "on argmax of the pre-activation logits meanwhile."),
    # --- The backend raised (detectors.detect_backend_error) --------------------------------
    Entry("labels_out_of_range:raised", "error", "labels outside [0, 1] for binary cross-entropy",
          "Map the labels to 0/1 (for labels 1/2: y - 1)."),
    Entry("predictions_out_of_range:raised", "error",
          "the predictions, not the labels, left [0, 1]: they were NaN",
          "Find why the predictions became NaN (see the finding that names the cause); the "
          "labels are not at fault."),
    Entry("label_shape_mismatch:raised", "error", "the labels' shape does not match the output",
          "One-hot labels for categorical_crossentropy (keras.utils.to_categorical), or "
          "sparse_categorical_crossentropy for integer labels; match the output's units."),
    Entry("label_shape_mismatch:raised_incompatible", "error",
          "the labels' shape does not match the output",
          "Match the labels to the output's shape (one-hot width = output units)."),
    Entry("sparse_label_out_of_range:raised", "error", "a class index is out of range",
          "Class indices must be 0..K-1 for an output of K units."),
    Entry("nothing_to_train", "error", "no weight of the model is trainable",
          "Set trainable = True on the layers to learn (for fine-tuning, freeze the base "
          "model and leave the new head trainable), then compile again: Keras reads the "
          "trainable flags at compile time."),
    Entry("monitor_mode_reversed", "error", "{callback} watches {monitor} the wrong way round",
          "Use mode='{wants}' (or mode='auto', which Keras infers from the metric's name)."),
    Entry("inputs_fed_the_same_array", "error", "two inputs are fed the same array",
          "Give each input its own data (fit({{'{first}': ..., '{second}': ...}}) with the "
          "array each was built for)."),
    Entry("class_weights_favour_majority", "warning",
          "the class weights favour the common class: imbalance made worse",
          "Weigh each class by the inverse of its frequency, e.g. class_weight={{c: n / (k * "
          "count_c)}} (sklearn's compute_class_weight('balanced', ...)): class {rare} up, "
          "class {common} down."),
    Entry("zero_weight_class", "error", "class(es) {classes} weigh nothing in the loss",
          "Give every class a weight above 0: sample_weight = np.where(y == 1, w, 1.0) (not "
          "y * w, which zeroes class 0), or class_weight={{0: 1.0, 1: w}}."),
    Entry("linear_model", "warning", "no activation between the Dense layers: the model is linear",
          "Give the hidden Dense layers an activation (activation='relu'); without one, "
          "stacking them adds nothing a single Dense layer does not."),
    Entry("symmetric_units", "error", "the units of layer '{layer}' are identical and stay so",
          "Initialise kernels at random: Keras's default (glorot_uniform), or he_normal before "
          "relu; zeros or a constant suit biases, not kernels."),
    Entry("dropout_too_high", "warning", "{layer_type} drops {rate:.0%} of its inputs in training",
          "Use a rate of 0.1-0.5 (Dropout(0.5) is already strong); a rate is the share "
          "dropped, not kept."),
    Entry("embedding_index_out_of_range", "error",
          "token ids beyond the Embedding's {dim} rows (ids up to {top})",
          "Give the Embedding input_dim = the largest id + 1 (the vocabulary's size, padding "
          "and out-of-vocabulary ids included), e.g. Embedding(input_dim=int(x.max()) + 1, "
          "...), or map the ids into 0..{last}."),
    Entry("embedding_index_out_of_range:raised", "error",
          "an Embedding got token ids beyond its rows",
          "Give each Embedding input_dim = the largest token id + 1 (the vocabulary's size), "
          "or map the ids into 0..input_dim-1."),
    Entry("backend_raised", "error", "training raised an error",
          "Read the error; check the labels' shape and range against the output layer and loss."),
    # --- Values and gradients during the run ------------------------------------------------
    Entry("nonfinite_values:rate_raised", "error",
          "NaN or Inf during training, after a schedule or callback raised the learning rate",
          _RATE_RAISED),
    Entry("nonfinite_values", "error", "NaN or Inf during training",
          "Lower the learning rate (10x), clip gradients (optimizer clipnorm=1.0), scale the "
          "inputs where they are far from unit scale, and check the data and any custom loss "
          "for log(0) or division by 0."),
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
    Entry("regularisation_dominates", "error",
          "the weight penalty outweighs the data loss: training mostly shrinks the weights",
          "Divide the regulariser's factor by 100-1000 (l2(1e-4) to l2(1e-3) is usual; "
          "Keras's l2(f) adds f * sum(w**2) over every weight of the layer), or drop it until "
          "the model fits."),
    Entry("clipping_too_tight", "error",
          "gradient clipping ({name}={limit}) cuts every update to a sliver",
          "Clip at about the gradients' usual size or above (clipnorm=1.0 is the common "
          "choice): clipping is a guard against rare spikes, not a brake on every step."),
    Entry("learning_rate_decayed", "error",
          "the learning-rate schedule decayed the rate to almost nothing: training stopped",
          "Decay more slowly (Keras schedules count decay_steps in optimizer steps, not "
          "epochs: steps per epoch x the epochs a decay should take), or give the rate a "
          "floor (CosineDecay(..., alpha=0.01), PiecewiseConstantDecay)."),
    Entry("learning_rate_too_low", "error",
          "the learning rate is far too low: the weights barely move and so does the loss",
          "Raise the learning rate 10-100x{lr_hint} (Adam's default is 1e-3; SGD usually needs "
          "0.01-0.1), or use Adam; then watch that the loss falls within the first epochs."),
    # --- The predictions on the sample (predictions.py) ------------------------------------
    Entry("majority_class_predictor", "error",
          "the model predicts the majority class for (almost) every sample",
          "Weight the classes (fit(..., class_weight={{c: n / (k * n_c)}}) or oversample the "
          "minority), tune the decision threshold on validation data instead of 0.5, and judge "
          "the model with metrics that see every class: keras.metrics.AUC(), Precision(), "
          "Recall() (or per-class recall); accuracy rewards predicting the majority."),
    Entry("mean_predictor", "warning",
          "the model is no better than predicting the mean target",
          "Check that the inputs carry information about the target (correlations, a simple "
          "linear fit), then the learning rate (too low a rate moves the weights by under ~1e-4 of "
          "their norm a step), input and target "
          "scaling (standardise both), and capacity; a loss stuck at the target's variance "
          "means the model has learned only its mean."),
    # --- Loss and metrics against the task (metrics_fit.py) --------------------------------
    Entry("metric_does_not_fit_task:regression", "warning",
          "'{metric}' measures nothing on a regression target",
          "Track regression metrics: metrics=['mae', keras.metrics.RootMeanSquaredError()] "
          "(or R2Score); accuracy compares predictions and targets for exact equality or "
          "after a 0.5 threshold, which a continuous target never meets."),
    Entry("metric_does_not_fit_task:binary_on_one_of_k", "warning",
          "'{metric}' on {units} one-of-K outputs counts each unit separately: it is inflated",
          "Use metrics=['accuracy'] (Keras then picks categorical accuracy) or "
          "'categorical_accuracy' / 'sparse_categorical_accuracy' to match the labels."),
    Entry("loss_metric_disagreement", "error",
          "the loss improves while every metric gets worse: the loss is not what you measure",
          "Check the loss: a custom one returns what is to be minimised (a negative "
          "log-likelihood, not the likelihood; an error, not a score); a built-in one must "
          "fit the task (regression: mse/mae; classes: a cross-entropy)."),
    Entry("metric_does_not_fit_task:binary_on_one_hot_rows", "warning",
          "'{metric}' on one-hot labels of {units} classes counts each unit separately: it is "
          "inflated",
          "One class per sample: Dense({units}, activation='softmax') with "
          "loss='categorical_crossentropy' and metrics=['accuracy']; binary_crossentropy "
          "trains {units} independent yes/no outputs, and binary accuracy scores them one by "
          "one."),
    Entry("metric_does_not_fit_task:argmax_on_one_unit", "warning",
          "'{metric}' takes an argmax over a single output unit: it is constant",
          "Use metrics=['accuracy'] or 'binary_accuracy' for a single sigmoid output, plus "
          "keras.metrics.AUC() for a ranking measure."),
    Entry("metric_does_not_fit_task:label_format", "warning",
          "'{metric}' expects {expects} labels, but the loss is {loss}",
          "Use metrics=['accuracy']: Keras then picks the accuracy that matches the labels."),
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
    Entry("diverging_loss:rate_raised", "error",
          "the training loss is rising: a schedule or callback raised the learning rate",
          _RATE_RAISED),
    Entry("worse_than_constant:stuck", "error",
          "the model does worse than a constant prediction and is not improving", _WORSE_FIX),
    Entry("worse_than_constant:slow", "warning",
          "the model does worse than a constant prediction, and improves slowly", _WORSE_FIX),
    Entry("oscillating_loss", "warning", "the epoch loss jumps up and down: learning rate too high",
          "Lower the learning rate (3-10x) or add ReduceLROnPlateau; a larger batch also smooths "
          "the steps."),
    Entry("few_updates", "warning", "{steps} weight updates in all: too few to learn",
          "Take smaller batches (fit(batch_size=32): {suggested}), or train for many more "
          "epochs: each epoch of {per_epoch} step(s) moves a weight by about one learning "
          "rate at most."),
    Entry("slow_start", "warning", "accuracy stuck at chance for {epochs} epochs",
          "Raise the learning rate{lr_hint}, or give the hidden layers more units (a few "
          "sigmoid or tanh units start slowly, and how slowly depends on the seed)."),
    Entry("slow_start:few_steps", "warning", "accuracy stuck at chance for {epochs} epochs",
          "Take smaller batches (batch_size=32): at {per_epoch} step(s) per epoch those "
          "epochs made {steps} updates in all; or raise the learning rate{lr_hint}."),
    Entry("slow_start:short_run", "warning",
          "accuracy at chance in all {epochs} epochs, with the loss still falling",
          "It is learning, slowly: train for more epochs, or raise the learning "
          "rate{lr_hint}."),
    Entry("still_improving_at_end", "warning", "the run ended while still improving",
          "Train for more epochs (fit(epochs=...)), or raise the learning rate: the "
          "{what} had not levelled off after {epochs} epochs."),
    Entry("loss_levelled_off", "info", "the loss has levelled off",
          "If the level is higher than the task should allow, add capacity; otherwise stop "
          "earlier (EarlyStopping(monitor='val_loss', restore_best_weights=True))."),
    Entry("plateau", "warning", "the loss crawls: fast at first, then barely improving",
          "Add ReduceLROnPlateau(monitor='val_loss', factor=0.2, patience=3) so the learning "
          "rate drops when progress stalls, and/or more capacity (wider Dense layers)."),
    Entry("stopped_while_improving", "warning",
          "training was stopped while the validation loss was still improving",
          "Give EarlyStopping a patience of 5-10 epochs and a min_delta below the per-epoch "
          "gain (its default, 0), with restore_best_weights=True; it is a guard against "
          "overfitting, not a timer."),
    Entry("validation_at_chance", "error",
          "nothing learned carries over to the validation data: it stays at chance",
          "Check that the validation inputs went through the training data's own "
          "preprocessing (a vocabulary, a category encoding or a scaler fitted once, on the "
          "training rows, and applied to both), that the rows are alike (validation_split "
          "takes the last rows as they are: shuffle sorted data before fit with "
          "p = np.random.permutation(len(x)); x, y = x[p], y[p]), and that the labels follow "
          "the inputs (one permutation for x and y, not one each)."),
    Entry("overfitting", "warning", "validation loss rising while training loss falls",
          "EarlyStopping(monitor='val_loss', patience=5, restore_best_weights=True), Dropout or "
          "L2 regularisation, a smaller model or more data."),
    Entry("train_val_gap", "warning", "large gap between training and validation accuracy",
          "Regularise (Dropout, L2), augment or add data, or stop earlier."),
]
CATALOGUE: dict[str, Entry] = {e.key: e for e in ENTRIES}

# The labels do not fit the output and loss: the backend's error about labels is one of these.
LABEL_FINDINGS = {"labels_out_of_range", "label_shape_mismatch", "sparse_label_out_of_range",
                  "regression_with_classification_loss",
                  "integer_labels_with_categorical_crossentropy",
                  "one_hot_labels_with_sparse_crossentropy", "nonfinite_targets",
                  "output_has_extra_axes", "sparse_labels_not_integer", "labels_one_class"}
# Symptoms rather than causes: shown as info when an error-level cause is found.
SECONDARY = {"slow_start", "still_improving_at_end", "plateau", "loss_levelled_off",
             "oscillating_loss", "overfitting",
             "train_val_gap", "vanishing_gradients", "weights_without_gradient",
             "worse_than_constant", "mean_predictor"}


# Consequence -> the findings that, when also reported, explain it (its causes, in order of
# preference). The report puts a cause before its consequences, and words each consequence as
# one ("follows from ...": its fix is the cause's), so that no symptom reads as a second error
# with a fix of its own. "name!": only once that finding is an error (float16 is a warning until
# the run shows NaN or Inf; then the divergence on the way there is its doing too).
CAUSES: dict[str, tuple[str, ...]] = {
    "vanishing_gradients": ("normalisation_of_one_value",),
    "weights_without_gradient": ("normalisation_of_one_value",),
    # Causes before symptoms (issue 22): inputs far from unit scale, units saturated by them,
    # labels that collapse to one class, the rate.
    "no_gradient": ("normalisation_of_one_value", "labels_one_class", "softmax_single_unit",
                    "categorical_crossentropy_single_unit", "dead_relu", "saturated_units",
                    "unscaled_inputs"),
    # ReLUs that die during training: huge steps pushed their biases far negative
    "dead_relu": ("bottleneck_of_one_unit", "normalisation_of_one_value",
                  "cross_entropy_on_unbounded_output", "unscaled_targets",
                  "diverging_loss", "nonfinite_values", "oscillating_loss", "unscaled_inputs!"),
    "weights_never_change": ("softmax_single_unit", "categorical_crossentropy_single_unit"),
    "nonfinite_values": ("float16_throughout", "nonfinite_inputs", "nonfinite_targets",
                         "unscaled_inputs!", "embedding_index_out_of_range"),
    "predictions_out_of_range": ("float16_throughout", "nonfinite_inputs", "nonfinite_values"),
    "nonfinite_activations": ("float16_throughout", "nonfinite_inputs",
                              "embedding_index_out_of_range", "nonfinite_values"),
    "negative_cross_entropy": ("labels_out_of_range", "regression_with_classification_loss"),
    "huge_cross_entropy": ("regularisation_dominates", "float16_throughout!",
                           "regression_with_classification_loss", "unscaled_inputs"),
    "loss_metric_disagreement": ("negative_sample_weights", "regularisation_dominates"),
    # units dead or saturated from the start pass almost no gradient: any rate looks too low
    "learning_rate_too_low": ("few_updates", "learning_rate_decayed", "clipping_too_tight",
                              "dead_relu!", "saturated_units!", "symmetric_units"),
    "still_improving_at_end": ("few_updates", "batches_sorted_by_class", "bottleneck_of_one_unit",
                               "padding_read_last", "validation_at_chance",
                               "learning_rate_too_low", "learning_rate_decayed",
                               "clipping_too_tight", "regularisation_dominates",
                               "unscaled_inputs", "saturated_units", "vanishing_gradients"),
    # Faults in the model's make-up come before the rate: units that cannot differ make any
    # rate look too low.
    "slow_start": ("few_updates", "validation_at_chance", "padding_read_last", "labels_one_class",
                   "nothing_to_train",
                   "regularisation_dominates", "symmetric_units", "linear_model",
                   "learning_rate_decayed", "clipping_too_tight",
                   "cross_entropy_on_unbounded_output", "majority_class_predictor",
                   "learning_rate_too_low", "unscaled_inputs", "saturated_units",
                   "vanishing_gradients", "dropout_too_high", "sparse_labels_not_integer",
                   "classification_with_regression_loss"),
    "majority_class_predictor": ("few_updates", "input_code", "padding_read_last",
                                 "labels_one_class",
                                 "zero_weight_class",
                                 "class_weights_favour_majority",
                                 "bottleneck_of_one_unit", "batches_sorted_by_class",
                                 "nothing_to_train", "symmetric_units", "linear_model",
                                 "regularisation_dominates", "learning_rate_decayed",
                                 "clipping_too_tight", "learning_rate_too_low", "no_gradient",
                                 "sparse_labels_not_integer", "unscaled_inputs",
                                 "saturated_units", "vanishing_gradients"),
    "mean_predictor": ("few_updates", "input_code", "rows_normalised", "inputs_fed_the_same_array",
                       "labels_one_class",
                       "target_code", "nothing_to_train", "symmetric_units",
                       "linear_model", "regularisation_dominates", "learning_rate_decayed",
                       "clipping_too_tight", "learning_rate_too_low", "no_gradient",
                       "softmax_single_unit", "output_cannot_reach_targets", "dead_relu",
                       "unscaled_inputs", "saturated_units", "vanishing_gradients"),
    "worse_than_constant": ("learning_rate_too_low", "output_cannot_reach_targets",
                            "unscaled_targets", "cross_entropy_on_unbounded_output",
                            "labels_not_one_hot"),
    "diverging_loss": ("float16_throughout!", "cross_entropy_on_unbounded_output"),
    # an output clipped to [1e-7, 1 - 1e-7] has a zero gradient, everywhere once it sits there
    "gradients_died": ("normalisation_of_one_value", "labels_one_class",
                       "cross_entropy_on_unbounded_output", "sparse_labels_not_integer",
                       "diverging_loss", "unscaled_inputs", "saturated_units"),
    "argmax_ties": ("bottleneck_of_one_unit", "unscaled_inputs", "saturated_units",
                    "sigmoid_with_categorical_crossentropy"),
    "saturated_units": ("unscaled_inputs",),
    # a crawl far from the floor: inputs that lost what the target needs cap the loss too
    "plateau": ("input_code", "rows_normalised", "inputs_fed_the_same_array", "linear_model",
                "learning_rate_decayed", "learning_rate_too_low", "unscaled_inputs",
                "saturated_units", "dead_relu"),
    # a BatchNormalization whose moving averages lag is not overfitting: inference computes
    # another model than training until they settle
    "overfitting": ("batches_sorted_by_class", "validation_copies_training",
                    "validation_unlike_training", "zero_weight_class",
                    "class_weights_favour_majority",
                    "validation_at_chance",
                    "batchnorm_statistics_unsettled"),
    "train_val_gap": ("batches_sorted_by_class", "validation_unlike_training",
                      "zero_weight_class", "validation_at_chance",
                      "batchnorm_statistics_unsettled"),
    # ...and a model that cannot represent the task (a linear one, a constant input) learns
    # nothing that carries over either
    "validation_at_chance": ("input_code", "linear_model", "normalisation_of_one_value",
                             "rows_normalised", "class_weights_favour_majority",
                             "zero_weight_class",
                             "majority_class_predictor", "validation_unlike_training",
                             "dropout_too_high",
                             "batchnorm_statistics_unsettled", "validation_copies_training",
                             "inputs_fed_the_same_array"),
    "stopped_while_improving": ("monitor_mode_reversed",),
    "loss_levelled_off": ("learning_rate_decayed", "learning_rate_too_low",
                          "majority_class_predictor", "mean_predictor",
                          "output_cannot_reach_targets", "vanishing_gradients"),
}
# Faults that make the model fit something other than the data (a loss outside its targets'
# domain, a layer drawn anew on every call): every symptom of the curves follows from them.
FITS_SOMETHING_ELSE = ("layer_created_in_call", "input_not_used", "constraint_limits_model",
                       "padding_id_collides", "batches_repeat_rows", "constant_inputs",
                       "negative_sample_weights", "dropout_after_output",
                       "kernels_not_trainable", "embedding_ids_clipped", "outputs_identical",
                       "lambda_slices_alike", "loss_ignores_scale",
                       "loss_domain_excludes_targets", "percentage_loss_near_zero_targets")
for _symptom in ("still_improving_at_end", "slow_start", "mean_predictor",
                 "majority_class_predictor", "worse_than_constant", "plateau", "loss_levelled_off",
                 "learning_rate_too_low", "dead_relu", "validation_at_chance", "overfitting",
                 "train_val_gap", "weights_without_gradient", "argmax_ties", "diverging_loss",
                 "oscillating_loss", "loss_spikes", "no_gradient", "weights_never_change",
                 "stuck_at_chance"):
    CAUSES[_symptom] = FITS_SOMETHING_ELSE + CAUSES.get(_symptom, ())

CONSEQUENCE_FIX = "None of its own: fix {cause} above, and this follows."

# What each backend does where they differ (measured: ../shared/SCENARIOS.md and the programs
# in tests/test_diagnose_kinds.py). A finding named here says it in its evidence, so that a
# user on the backend that stays silent hears that it will not complain.
BACKEND_BEHAVIOUR: dict[str, dict[str, str]] = {
    "embedding_index_out_of_range": {
        "torch": "raises IndexError 'index out of range in self'",
        "jax": "trains on with NaN for the out-of-range ids (its gather fills them), so the "
               "loss and weights turn NaN"},
    "sparse_label_out_of_range": {
        "torch": "raises (Keras's fit: IndexError 'Target ... is out of bounds'; the native "
                 "port: 'index ... is out of bounds')",
        "tensorflow": "raises InvalidArgumentError on CPU ('Received a label value ... "
                      "outside the valid range')",
        "jax": "trains on silently: no error, a loss and accuracy that look like training, "
               "and a model fitted to garbage for the out-of-range labels"},
    "labels_out_of_range": {
        "torch": "raises 'all elements of target should be between 0 and 1' on the first step",
        "tensorflow": "trains on silently, with a loss that grows or goes negative and "
                      "accuracy stuck",
        "jax": "trains on silently, with a loss that goes negative (until the clip zeroes the "
               "gradient) and accuracy stuck"},
    "regression_with_classification_loss": {
        "torch": "raises 'all elements of target should be between 0 and 1' (binary "
                 "cross-entropy) or 'Target ... is out of bounds' (sparse)",
        "tensorflow": "trains on silently with binary cross-entropy (a loss in the hundreds) "
                      "and raises InvalidArgumentError with the sparse loss",
        "jax": "trains on silently: the binary cross-entropy falls without bound below 0 "
               "and the sparse loss reads 0; accuracy 0"},
}
BACKEND_NAMES = {"torch": "torch", "tensorflow": "TensorFlow", "jax": "JAX"}


def current_backend() -> str:
    """Keras's backend if Keras is imported (never importing it here), else KERAS_BACKEND."""
    keras = sys.modules.get("keras")
    try:
        return keras.backend.backend() if keras is not None else os.environ.get(
            "KERAS_BACKEND", "")
    except Exception:
        return ""


def backend_note(name: str, backend: str | None = None) -> str:
    """What each backend does about finding `name` ("" if they agree), this run's first."""
    table = BACKEND_BEHAVIOUR.get(name)
    if not table:
        return ""
    backend = current_backend() if backend is None else backend
    order = sorted(table, key=lambda b: b != backend)
    said = "; ".join(f"{BACKEND_NAMES[b]} {table[b]}" for b in order)
    # The gist, before any parenthesis or colon: "raises", "trains on silently".
    gist = re.split(r" \(|:", table[backend])[0] if backend in table else ""
    here = f" This run is on {BACKEND_NAMES[backend]}, which {gist}." if gist else ""
    return f" What each backend does: {said}.{here}"


def _sentence(evidence: str, more: str) -> str:
    """evidence, then `more` (a text that starts with a space) as sentences of their own."""
    if more and evidence and not evidence.rstrip().endswith((".", "!", "?")):
        evidence = evidence.rstrip() + "."
    return evidence + more


def as_consequence(f: Finding, cause: Finding) -> None:
    """Word `f` as following from `cause`: the evidence says so, the fix is the cause's."""
    f.cause = cause.name
    f.evidence = f"A consequence of {cause.name} ({cause.summary}): {f.evidence}"
    f.fix = CONSEQUENCE_FIX.format(cause=cause.name)


def finding(key: str, evidence: str, *, severity: str | None = None, layer: str | None = None,
            epoch: int | None = None, **fields) -> Finding:
    """The Finding for CATALOGUE[key], its summary and fix filled in from `fields` (and
    `layer`); `severity` overrides the entry's usual one."""
    entry = CATALOGUE[key]
    return Finding(entry.name, severity or entry.severity,
                   entry.summary.format(layer=layer, **fields),
                   _sentence(evidence, backend_note(entry.name)),
                   entry.fix.format(layer=layer, **fields), layer=layer, epoch=epoch)


def fmt(v) -> str:
    """A number as evidence prints it: floats to 4 significant digits, the rest as str()."""
    return f"{v:.4g}" if isinstance(v, (float, np.floating)) else str(v)
