"""scen.diagnose: each detector on synthetic traces (firing and not), preflight on tiny Keras
models, and DiagnoseCallback end to end on small user-style programs that are not scenarios."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import dataclasses  # noqa: E402
import math  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from scen import diagnose as dx  # noqa: E402
from scen.diagnose import EpochRecord, Facts, Finding, Trace  # noqa: E402

# --- synthetic traces -------------------------------------------------------------------------


def make_trace(loss, acc=None, val=None, facts=None, grad=0.1, change=0.01, lr=0.01,
               activations=None, status="completed", error=None, kernels=1):
    """A trace of len(loss) epochs; `grad` and `change` may be per-epoch lists."""
    n = len(loss)
    per = lambda v: v if isinstance(v, (list, tuple)) else [v] * n  # noqa: E731
    grads, changes = per(grad), per(change)
    records = []
    for e in range(n):
        logs = {"loss": float(loss[e]), "learning_rate": lr}
        if acc is not None:
            logs["accuracy"] = float(acc[e])
        if val is not None:
            logs["val_loss"] = float(val[e])
        weights, gs = {}, {}
        for k in range(kernels):
            for part, ndim in (("kernel", 2), ("bias", 1)):
                path = f"dense_{k}/{part}"
                weights[path] = dict(norm=1.0, max_abs=0.5, nonfinite=0, change=changes[e],
                                     ndim=ndim)
                g = grads[e][k] if isinstance(grads[e], (list, tuple)) else grads[e]
                gs[path] = dict(norm=g, max_abs=g, zero=1.0 if g == 0 else 0.0, nonfinite=0)
        # ten steps an epoch, as a run of minibatches takes (one would be a whole-data batch)
        records.append(EpochRecord(e, logs, dx.step_stats(np.full(10, loss[e])), weights, gs,
                                   activations[e] if activations else None))
    return Trace(facts or Facts(), records, status, error)


BCE = Facts(loss_kind="binary_ce", loss_name="binary_crossentropy", output_activation="sigmoid",
            output_units=1, output_layer="out", chance_accuracy=0.5, baseline_loss=math.log(2))
MSE = Facts(loss_kind="mse", loss_name="mean_squared_error", output_activation="linear",
            output_units=1, output_layer="out", baseline_loss=1.0)
HEALTHY = list(0.69 * np.exp(-np.arange(20) / 3) + 0.01)  # falls fast, reaches ~0
HEALTHY_ACC = list(np.minimum(0.5 + np.arange(20) * 0.1, 1.0))


def names(findings):
    return {f.name for f in findings}


def test_healthy_trace_gets_a_clean_bill():
    t = make_trace(HEALTHY, HEALTHY_ACC, val=[x * 1.05 for x in HEALTHY], facts=BCE, kernels=3)
    assert dx.run_detectors(t) == []
    assert "clean bill" in dx.format_report([], 20)


def test_backend_error_is_interpreted():
    t = make_trace([], status="raised",
                   error="RuntimeError: all elements of target should be between 0 and 1")
    assert names(dx.detect_backend_error(t)) == {"labels_out_of_range"}
    t = make_trace([], status="raised", error="ValueError: Arguments `target` and `output` "
                   "must have the same shape. Received: target.shape=(32,)")
    assert names(dx.detect_backend_error(t)) == {"label_shape_mismatch"}
    # torch's broadcasting error: y of shape (n,) against a Dense(3) output under MSE
    t = make_trace([], status="raised", error="RuntimeError: The size of tensor a (32) must "
                   "match the size of tensor b (3) at non-singleton dimension 1")
    assert names(dx.detect_backend_error(t)) == {"label_shape_mismatch"}
    assert dx.detect_backend_error(make_trace(HEALTHY)) == []


def test_nonfinite_names_the_first_epoch():
    f = dx.detect_nonfinite(make_trace([1.0, 0.9, float("nan"), float("nan")]))
    assert names(f) == {"nonfinite_values"} and f[0].epoch == 3 and f[0].severity == "error"
    assert dx.detect_nonfinite(make_trace(HEALTHY)) == []


def test_no_gradient_fires_only_when_every_gradient_is_zero():
    frozen = make_trace([7.9] * 5, grad=0.0, change=0.0, facts=MSE)
    assert names(dx.detect_no_gradient(frozen)) == {"no_gradient"}
    died = make_trace([1.0, 9.0, 9.0, 9.0], grad=[0.0] * 4, change=[0.5, 0.0, 0.0, 0.0], facts=BCE)
    assert names(dx.detect_no_gradient(died)) == {"gradients_died"}
    assert dx.detect_no_gradient(make_trace(HEALTHY, facts=BCE)) == []
    # a fitted model whose clipped probabilities give exactly zero gradient is not a problem
    fitted = make_trace([0.3, 0.01, 1e-6, 1e-7], grad=[0.1, 0.0, 0.0, 0.0], facts=BCE)
    assert dx.detect_no_gradient(fitted) == []


def test_cross_entropy_out_of_its_range():
    huge = dx.detect_cross_entropy_range(make_trace([315.0, 280.0, 250.0], facts=BCE))
    assert names(huge) == {"huge_cross_entropy"} and huge[0].severity == "error"
    assert "315" in huge[0].evidence
    negative = dx.detect_cross_entropy_range(make_trace([0.5, -2.0, -8.0], facts=BCE))
    assert names(negative) == {"negative_cross_entropy"}
    assert dx.detect_cross_entropy_range(make_trace([315.0, 280.0], facts=MSE)) == []  # not a CE
    assert dx.detect_cross_entropy_range(make_trace(HEALTHY, facts=BCE)) == []


def test_divergence():
    assert names(dx.detect_divergence(make_trace([1.0, 1.5, 3.0, 8.0]))) == {"diverging_loss"}
    rebound = make_trace([1.0, 0.2, 0.1, 0.6])
    assert names(dx.detect_divergence(rebound)) == {"diverging_loss"}
    assert dx.detect_divergence(make_trace(HEALTHY)) == []
    # the first epoch already blew up: seen against the loss before training
    facts = Facts(initial_loss=1.1)
    assert names(dx.detect_divergence(make_trace([9.0, 10.0], facts=facts))) == {"diverging_loss"}
    assert dx.detect_divergence(make_trace([0.9, 0.8], facts=facts)) == []


def test_loss_spikes_that_recover_are_instability():
    f = dx.detect_divergence(make_trace([3.0, 2.5, 400.0, 2.0, 1.8], facts=MSE))
    assert [(x.name, x.severity) for x in f] == [("loss_spikes", "warning")]
    assert "400" in f[0].evidence


def test_worse_than_constant():
    f = dx.detect_worse_than_constant(make_trace([930.0, 928.0, 927.0, 927.0, 926.0], facts=MSE))
    assert names(f) == {"worse_than_constant"} and f[0].severity == "error"
    slow = dx.detect_worse_than_constant(make_trace([30.0, 20.0, 12.0, 8.0, 5.0], facts=MSE))
    assert [(x.name, x.severity) for x in slow] == [("worse_than_constant", "warning")]
    assert dx.detect_worse_than_constant(make_trace([0.9, 0.5, 0.3, 0.3, 0.3], facts=MSE)) == []
    assert dx.detect_worse_than_constant(make_trace([930.0, 928.0], facts=MSE)) == []  # too early


def test_oscillation():
    wild = [1.0, 2.0, 0.9, 2.1, 1.0, 2.2, 0.9, 2.0]
    assert names(dx.detect_oscillation(make_trace(wild))) == {"oscillating_loss"}
    assert dx.detect_oscillation(make_trace(HEALTHY)) == []
    small_wobble = [1.0, 1.01, 0.99, 1.01, 0.99, 1.0, 0.995, 1.0]  # a flat loss, batch noise
    assert dx.detect_oscillation(make_trace(small_wobble)) == []


def test_swings_still_going_at_the_end_are_oscillation_and_settled_ones_are_not():
    """Falls for a few epochs, then jumps back up by over 50%: three times, the last in the
    final quarter, is oscillation; the same swings followed by a settled end are not, and
    neither are jumps that stay under a tenth of the constant prediction's loss."""
    swinging = [0.69, 0.5, 0.4, 0.7, 0.55, 0.45, 0.38, 0.3, 0.6, 0.5, 0.42, 0.35, 0.3, 0.5,
                0.42, 0.36]
    (f,) = dx.detect_oscillation(make_trace(swinging, facts=BCE))
    assert f.name == "oscillating_loss" and "3 times" in f.evidence and f.epoch == 4
    settled = [0.69, 0.5, 0.4, 0.7, 0.5, 0.4, 0.65, 0.5, 0.4, 0.7, 0.5, 0.4, 0.35, 0.3, 0.27,
               0.25, 0.23, 0.21, 0.2, 0.19]  # three jumps, then 10 epochs down
    assert dx.detect_oscillation(make_trace(settled, facts=BCE)) == []
    tiny = [0.69, 0.2, 0.01, 0.03, 0.02, 0.01, 0.04, 0.02, 0.01, 0.03, 0.02, 0.04]
    assert dx.detect_oscillation(make_trace(tiny, facts=BCE)) == []


def test_units_dead_saturated_and_tied():
    dead = {"hidden": dict(kind="relu", nonfinite=0, units=8, dead=1.0, zero=1.0)}
    f = dx.detect_units(make_trace([1.0], activations=[dead]))
    assert names(f) == {"dead_relu"} and f[0].severity == "error"
    ties = {"(output)": dict(kind="output", ties=0.9, nonfinite=0)}
    cce = Facts(loss_kind="categorical_ce", output_units=10)
    found = dx.detect_units(make_trace([1.0], facts=cce, activations=[ties]))
    assert names(found) == {"argmax_ties"}
    # several sigmoids at 1.0 are normal for multi-label outputs (binary cross-entropy)
    multi = Facts(loss_kind="binary_ce", output_units=10)
    assert dx.detect_units(make_trace([1.0], facts=multi, activations=[ties])) == []
    sat = {"hidden": dict(kind="sigmoid", nonfinite=0, units=8, saturated=0.9, exact=0.5),
           "out": dict(kind="sigmoid", nonfinite=0, units=1, saturated=0.9, exact=0.5)}
    f = dx.detect_units(make_trace([1.0], facts=BCE, activations=[sat]))
    assert [(x.name, x.layer, x.severity) for x in f] == [("saturated_units", "hidden", "warning")]
    healthy = {"hidden": dict(kind="relu", nonfinite=0, units=8, dead=0.25, zero=0.5),
               "(output)": dict(kind="output", ties=0.0, nonfinite=0)}
    assert dx.detect_units(make_trace([1.0], activations=[healthy])) == []
    # NaN from the first layer on: one finding, at the layer where it starts
    nan = {name: dict(kind="relu", nonfinite=64, units=8, dead=0.0, zero=0.0)
           for name in ("dense", "dense_1", "dense_2")}
    (f,) = dx.detect_units(make_trace([1.0], activations=[nan]))
    assert (f.name, f.layer) == ("nonfinite_activations", "dense")
    assert "first of 3 layers with them (then 'dense_1', 'dense_2')" in f.evidence


def test_vanishing_gradients():
    vanishing = make_trace([1.0, 0.9, 0.8], grad=[[1e-6, 1e-3, 1.0]] * 3, kernels=3)
    assert names(dx.detect_vanishing_gradients(vanishing)) == {"vanishing_gradients"}
    even = make_trace([1.0, 0.9, 0.8], grad=[[0.1, 0.2, 0.3]] * 3, kernels=3)
    assert dx.detect_vanishing_gradients(even) == []


def test_slow_start():
    n = 100
    acc = [0.5] * 30 + [1.0] * (n - 30)
    loss = list(np.linspace(0.70, 0.68, 30)) + [0.1] * (n - 30)
    f = dx.detect_slow_start(make_trace(loss, acc, facts=BCE, grad=1e-3))
    assert names(f) == {"slow_start"} and f[0].severity == "warning" and f[0].epoch == 30
    assert "10-100x (from 0.01 to 0.1-1)" in f[0].fix
    assert dx.detect_slow_start(make_trace(HEALTHY, HEALTHY_ACC, facts=BCE)) == []
    # no gradient at all is not a slow start (detect_no_gradient says why)
    assert dx.detect_slow_start(make_trace(loss, acc, facts=BCE, grad=0.0)) == []


def test_plateau_crawl_versus_healthy_and_floor():
    n = 60
    crawl = [0.69, 0.45, 0.35, 0.30, 0.28, 0.27] + list(np.linspace(0.265, 0.24, n - 6))
    f = dx.detect_plateau(make_trace(crawl, facts=BCE))
    assert names(f) == {"plateau"} and f[0].severity == "warning"
    # a loss falling like 1/t is normal progress, and a loss near 0 has nothing left to gain
    assert dx.detect_plateau(make_trace(list(1 / np.arange(1, n + 1)), facts=MSE)) == []
    assert dx.detect_plateau(make_trace(HEALTHY * 3, facts=BCE)) == []
    # flat, noisy, and the validation loss flat too: the data's floor, said as info
    rng = np.random.default_rng(0)
    floor = [0.69, 0.45, 0.40, 0.38] + list(0.37 + 0.002 * rng.normal(size=n - 4))
    f = dx.detect_plateau(make_trace(floor, val=[0.39] * n, facts=BCE))
    assert [(x.name, x.severity) for x in f] == [("loss_levelled_off", "info")]
    # a late half that rises: "levelled off", said as it is (no "x slower" from a negative)
    rising = [0.69, 0.45, 0.40, 0.38] + list(np.linspace(0.37, 0.375, n - 4))
    (f,) = dx.detect_plateau(make_trace(rising, val=[0.39] * n, facts=BCE))
    assert f.name == "loss_levelled_off" and "rose" in f.evidence and "slower" not in f.evidence
    # ...and above the constant prediction's loss (0.693 for BCE) nothing was learned to level
    # off from: other findings say why
    above = [0.9, 0.8, 0.75, 0.72] + list(np.linspace(0.70, 0.705, n - 4))
    assert dx.detect_plateau(make_trace(above, val=[0.71] * n, facts=BCE)) == []


@pytest.mark.parametrize("cause", ["rows_normalised", "input_code", "dead_relu"])
def test_a_plateau_follows_from_inputs_that_lost_what_the_target_needs(cause):
    """A crawl far from the floor is the symptom; rows normalised instead of features, a
    missing-value code that set the scale, or dead units are the cause, read first."""
    n = 60
    crawl = [0.69, 0.45, 0.35, 0.30, 0.28, 0.27] + list(np.linspace(0.265, 0.24, n - 6))
    known = [Finding(cause, "warning", "s", "e", "f", epoch=0)]
    (plateau,) = [f for f in dx.run_detectors(make_trace(crawl, facts=BCE), known)
                  if f.name == "plateau"]
    assert plateau.cause == cause and plateau.severity == "info"


def test_relus_that_died_of_huge_errors_follow_from_unscaled_targets():
    """Targets in the thousands give errors, and steps, that push ReLU biases far below zero;
    whether a draw's layer ends over half dead varies, the targets' scale does not."""
    dead = {"hidden": dict(kind="relu", dead=0.62, units=32, saturated=0.0, exact=0.0)}
    t = make_trace(list(np.linspace(4e6, 6e4, 25)), facts=MSE, activations=[None] * 24 + [dead])
    known = [Finding("unscaled_targets", "error", "s", "e", "f", epoch=0)]
    (relu,) = [f for f in dx.run_detectors(t, known) if f.name == "dead_relu"]
    assert relu.cause == "unscaled_targets" and relu.severity == "info"
    (alone,) = [f for f in dx.run_detectors(t) if f.name == "dead_relu"]
    assert alone.cause is None and alone.severity == "warning"


def test_validation_at_chance_follows_from_a_model_that_cannot_represent_the_task():
    """A linear model on a task that needs a bend memorises a little of its training rows;
    nothing of it carries over. The model's make-up is the cause, read first."""
    n = 10
    facts = dataclasses.replace(BCE, label_rows=1000)
    t = make_trace(list(np.linspace(0.69, 0.6, n)), list(np.linspace(0.5, 0.7, n)),
                   val=list(np.linspace(0.69, 0.72, n)), facts=facts)
    for r in t.records:
        r.logs["val_accuracy"] = 0.5
    known = [Finding("linear_model", "error", "s", "e", "f", epoch=0)]
    (v,) = [f for f in dx.run_detectors(t, known) if f.name == "validation_at_chance"]
    assert v.cause == "linear_model" and v.severity == "info"
    (alone,) = [f for f in dx.run_detectors(t) if f.name == "validation_at_chance"]
    assert alone.cause is None and alone.severity == "error"


def test_overfitting():
    loss = list(np.linspace(1.0, 0.1, 12))
    val = [1.0, 0.8, 0.6, 0.5, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8]
    f = dx.detect_overfitting(make_trace(loss, val=val))
    assert names(f) == {"overfitting"} and f[0].epoch == 5
    assert dx.detect_overfitting(make_trace(loss, val=[x * 1.1 for x in loss])) == []


def test_symptoms_become_info_when_an_error_explains_them():
    acc = [0.5] * 30
    loss = list(np.linspace(0.70, 0.69, 30))
    t = make_trace(loss, acc, facts=BCE, grad=1e-3)
    assert [f.severity for f in dx.run_detectors(t)] == ["warning"]
    known = [Finding("labels_out_of_range", "error", "s", "e", "f")]
    assert [f.severity for f in dx.run_detectors(t, known)] == ["info"]


def test_report_and_json(tmp_path):
    fs = [Finding("b", "warning", "w", "ev", "fx", epoch=3), Finding("a", "error", "e", "ev", "fx",
                                                                     layer="dense")]
    text = dx.format_report(dx.sorted_findings(fs))
    assert text.splitlines()[0] == "scen diagnose: 1 error(s), 1 warning(s)"
    assert text.splitlines()[1].startswith("[error] a (layer dense)")
    assert fs[0].as_dict()["epoch"] == 3


def test_importing_diagnose_does_not_import_keras():
    code = "import sys, scen.diagnose; assert 'keras' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- preflight on tiny Keras models -----------------------------------------------------------

keras = pytest.importorskip("keras")
layers = keras.layers


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # see conftest.py


def mlp(n_in, hidden, out, activation, loss, hidden_activation="relu", optimizer="adam"):
    keras.backend.clear_session()  # layer names restart at 'dense' whatever ran before
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((n_in,)),
                              layers.Dense(hidden, activation=hidden_activation),
                              layers.Dense(out, activation=activation)])
    model.compile(loss=loss, optimizer=optimizer, metrics=["accuracy"])
    return model


RNG = np.random.default_rng(0)
X = RNG.normal(size=(200, 4)).astype("float32")
LABELS = (X[:, 0] + X[:, 1] > 0).astype("float32")


def errors(findings):
    return {f.name for f in findings if f.severity == "error"}


def test_preflight_softmax_over_one_unit():
    f = dx.preflight(mlp(4, 8, 1, "softmax", "mse"), X, LABELS * 4 + 1)
    assert "softmax_single_unit" in errors(f)
    assert next(x for x in f if x.name == "softmax_single_unit").layer == "dense_1"
    # also as a separate Activation layer
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1), layers.Activation("softmax")])
    model.compile(loss="mse", optimizer="adam")
    assert "softmax_single_unit" in errors(dx.preflight(model, X, LABELS))


def test_preflight_labels_one_two_with_sigmoid_bce():
    f = dx.preflight(mlp(4, 8, 1, "sigmoid", "binary_crossentropy"), X, LABELS + 1)
    assert "labels_out_of_range" in errors(f)
    assert "{1, 2}" in next(x for x in f if x.name == "labels_out_of_range").evidence


def test_preflight_integer_labels_with_categorical_ce():
    f = dx.preflight(mlp(4, 8, 3, "softmax", "categorical_crossentropy"), X, LABELS.astype(int))
    assert "integer_labels_with_categorical_crossentropy" in errors(f)
    evidence = next(x for x in f if x.name == "integer_labels_with_categorical_crossentropy")
    assert f"shape ({len(X)},)" in evidence.evidence  # the user's shape, not Keras's (n, 1)
    f = dx.preflight(mlp(4, 8, 1, "sigmoid", "binary_crossentropy"), X,
                     np.stack([LABELS, LABELS], axis=1))
    assert f"shape ({len(X)}, 2)" in next(x for x in f if x.name == "label_shape_mismatch").evidence


def test_preflight_sparse_labels_beyond_the_units():
    loss = keras.losses.SparseCategoricalCrossentropy()  # a Loss object, not a string
    f = dx.preflight(mlp(4, 8, 3, "softmax", loss), X, LABELS.astype(int) + 2)  # labels 2, 3
    assert "sparse_label_out_of_range" in errors(f)


def test_preflight_relu_output_with_bce():
    f = dx.preflight(mlp(4, 8, 1, "relu", keras.losses.binary_crossentropy), X, LABELS)
    assert "cross_entropy_on_unbounded_output" in errors(f)


def test_preflight_sigmoid_with_categorical_ce_warns():
    f = dx.preflight(mlp(4, 8, 3, "sigmoid", "categorical_crossentropy"), X,
                     np.eye(3, dtype="float32")[RNG.integers(0, 3, 200)])
    assert {x.name: x.severity for x in f}.get("sigmoid_with_categorical_crossentropy") == "warning"


def test_preflight_unscaled_pixels_saturate_sigmoids():
    pixels = RNG.integers(0, 256, size=(200, 64)).astype("float32")
    f = dx.preflight(mlp(64, 8, 1, "sigmoid", "binary_crossentropy", "sigmoid"), pixels, LABELS)
    assert {"unscaled_inputs", "saturated_units"} <= errors(f)
    assert "255" in next(x for x in f if x.name == "unscaled_inputs").evidence
    # the same pixels scaled: nothing to say
    assert dx.preflight(mlp(64, 8, 1, "sigmoid", "binary_crossentropy", "sigmoid"),
                        pixels / 255, LABELS) == []


def test_preflight_leaves_ids_and_self_normalising_models_alone():
    ids = RNG.integers(0, 1000, size=(200, 5))
    model = keras.Sequential([keras.Input((5,), dtype="int32"), layers.Embedding(1000, 4),
                              layers.Flatten(), layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="adam")
    assert dx.preflight(model, ids, LABELS) == []
    raw = RNG.uniform(0, 1000, size=(200, 4)).astype("float32")
    norm = layers.Normalization()
    norm.adapt(raw)
    model = keras.Sequential([keras.Input((4,)), norm, layers.Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer="adam")
    assert dx.preflight(model, raw, LABELS) == []


def test_preflight_clean_models_are_clean():
    assert dx.preflight(mlp(4, 8, 1, "sigmoid", "binary_crossentropy"), X, LABELS) == []
    onehot = np.eye(3, dtype="float32")[RNG.integers(0, 3, 200)]
    assert dx.preflight(mlp(4, 8, 3, "softmax", "categorical_crossentropy"), X, onehot) == []
    assert dx.preflight(mlp(4, 8, 1, None, "mse"), X, X[:, 0] * 3 + 1) == []
    # a functional model with two inputs and a shared layer
    a, b = keras.Input((4,)), keras.Input((4,))
    shared = layers.Dense(8, activation="relu")
    out = layers.Dense(1)(layers.concatenate([shared(a), shared(b)]))
    model = keras.Model([a, b], out)
    model.compile(loss="mse", optimizer="adam")
    assert dx.preflight(model, [X, X[::-1]], X[:, 0]) == []


def test_preflight_regression_targets_out_of_the_outputs_reach():
    f = dx.preflight(mlp(4, 8, 1, "sigmoid", "mse"), X, 10 + 40 * RNG.uniform(size=200))
    assert "output_cannot_reach_targets" in errors(f)


# --- Diagnostics as an observer, fed by a fake probe ------------------------------------------


class FakeProbe:
    def __init__(self, model, grads_zero=False):
        self.model, self.zero = model, grads_zero

    def keras_model(self):
        return self.model

    def weights(self):
        return {v.path: keras.ops.convert_to_numpy(v) for v in self.model.trainable_weights}

    def gradients(self):
        return {k: (w * 0 if self.zero else w * 0 + 0.01) for k, w in self.weights().items()}


def test_observer_records_and_diagnoses_a_frozen_run():
    model = mlp(4, 8, 1, "softmax", "mse")
    diag = dx.Diagnostics(X, LABELS * 4 + 1)
    diag.on_train_begin(None)
    for e in range(3):
        diag.on_epoch_end(e, {"loss": 7.9}, np.array([7.9, 7.8]), FakeProbe(model, grads_zero=True))
    diag.on_train_end("completed", None)
    assert {"softmax_single_unit", "no_gradient"} <= errors(diag.findings())
    r = diag.records[-1]
    assert r.steps["n"] == 2 and r.activations[model.layers[0].name]["kind"] == "relu"
    assert all(w["change"] == 0.0 for w in r.weights.values())


# --- DiagnoseCallback end to end on user-style programs ---------------------------------------


def blobs(n=300, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    centers = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])[:classes]
    label = rng.integers(0, classes, n)
    x = (centers[label] + 0.5 * rng.normal(size=(n, 2))).astype("float32")
    return x, np.eye(classes, dtype="float32")[label]


def test_three_line_example():
    x, y = blobs()
    model = mlp(2, 16, 3, "softmax", "categorical_crossentropy")
    from scen.diagnose import DiagnoseCallback
    model.fit(x, y, epochs=20, callbacks=[diag := DiagnoseCallback(x, y)], verbose=0)
    print(diag.report())
    assert isinstance(diag, keras.callbacks.Callback)
    assert not [f for f in diag.findings() if f.severity in ("error", "warning")]
    assert "clean bill" in diag.report()


def test_callback_clean_classifier_with_validation(tmp_path):
    x, y = blobs(400, seed=1)
    model = mlp(2, 16, 3, "softmax", "categorical_crossentropy")
    diag = dx.DiagnoseCallback(x, y)
    model.fit(x, y, epochs=8, batch_size=32, validation_split=0.2, callbacks=[diag], verbose=0)
    assert [f for f in diag.findings() if f.severity != "info"] == []
    assert len(diag.diagnostics.records) == 8 and diag.diagnostics.records[0].grads
    diag.to_json(str(tmp_path / "d.json"))
    assert (tmp_path / "d.json").stat().st_size > 100


def test_callback_sigmoid_regression_on_targets_10_to_50(capsys):
    y = (30 + 8 * X[:, 0] + 5 * X[:, 1]).clip(10, 50).astype("float32")
    model = mlp(4, 16, 1, "sigmoid", "mse")
    diag = dx.DiagnoseCallback(X, y)
    model.fit(X, y, epochs=3, callbacks=[diag], verbose=0)
    assert "output_cannot_reach_targets" in errors(diag.findings())
    assert "found before training" in capsys.readouterr().err


def test_callback_learning_rate_ten():
    x, y = blobs()
    model = mlp(2, 16, 3, "softmax", "categorical_crossentropy",
                optimizer=keras.optimizers.SGD(10.0))
    diag = dx.DiagnoseCallback(x, y)
    model.fit(x, y, epochs=5, callbacks=[diag], verbose=0)
    found = errors(diag.findings())
    assert found & {"diverging_loss", "nonfinite_values", "gradients_died", "huge_cross_entropy"}
    assert any("learning rate" in f.fix.lower() for f in diag.findings() if f.severity == "error")


def test_callback_raw_inputs_0_to_1000():
    x = RNG.uniform(0, 1000, size=(200, 3)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 1000).astype("float32")
    model = mlp(3, 8, 1, "sigmoid", "binary_crossentropy", hidden_activation="tanh")
    diag = dx.DiagnoseCallback(x, y, verbose=False)
    model.fit(x, y, epochs=3, callbacks=[diag], verbose=0)
    assert "unscaled_inputs" in errors(diag.findings())


def test_callback_explains_an_error_the_backend_raised():
    model = mlp(4, 8, 1, "sigmoid", "binary_crossentropy")
    diag = dx.DiagnoseCallback(X, LABELS + 1, verbose=False)
    with pytest.raises(Exception) as raised:
        model.fit(X, LABELS + 1, epochs=2, callbacks=[diag], verbose=0)
    found = diag.explain(raised.value)
    assert "labels_out_of_range" in errors(found)
    assert diag.diagnostics.status == "raised"


def test_callback_explains_an_error_raised_before_training_began():
    # Keras checks the labels' shape before on_train_begin: pass the model to explain()
    model = mlp(4, 8, 3, "softmax", "sparse_categorical_crossentropy")
    onehot = np.eye(3, dtype="float32")[RNG.integers(0, 3, 200)]
    diag = dx.DiagnoseCallback(X, onehot, verbose=False)
    with pytest.raises(Exception) as raised:
        model.fit(X, onehot, epochs=1, callbacks=[diag], verbose=0)
    found = diag.explain(raised.value, model)
    assert [f.name for f in found if f.severity == "error"] == [
        "one_hot_labels_with_sparse_crossentropy"]
    assert "Training then raised" in found[0].evidence


JAX_PROGRAM = """
import numpy as np, keras
from scen.diagnose import DiagnoseCallback
x = np.random.default_rng(0).normal(size=(200, 3)).astype("float32")
y = (x[:, 0] > 0).astype("float32")
for out, targets in (("sigmoid", y), ("softmax", y * 4 + 1)):
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(1, activation=out)])
    m.compile(loss="binary_crossentropy" if out == "sigmoid" else "mse", optimizer="adam",
              metrics=["accuracy"])
    d = DiagnoseCallback(x, targets, verbose=False)
    m.fit(x, targets, epochs=3, verbose=0, callbacks=[d])
    assert d.diagnostics.records[-1].grads, "gradients recomputed on JAX"
    print(sorted(f.name for f in d.findings() if f.severity == "error"))
"""


def test_callback_on_the_jax_backend():
    pytest.importorskip("jax")
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", JAX_PROGRAM], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split("\n")[:2] == ["[]", "['no_gradient', 'softmax_single_unit']"]


def test_diagnostics_through_the_runner(tmp_path):
    from scen.runner import RunSpec, run
    from scen import scenario

    sc = scenario.get("rating")
    data = sc.make_data(sc.config_for("as-posted"), 0)
    diag = dx.Diagnostics(data.x, data.y)
    run(RunSpec("rating", epochs=2, verbose=0, logdir=str(tmp_path)), observers=[diag])
    assert {"softmax_single_unit", "no_gradient"} <= errors(diag.findings())


def test_statistics_of_all_weights_at_once_are_each_weights_own():
    """The per-epoch statistics are taken over every weight in a few numpy calls (trace.Flat);
    the one-array functions are the oracle, on plain arrays and on the cases that go one by
    one: non-finite values, empty arrays, a previous epoch with other weights."""
    from scen.diagnose.trace import Flat, all_grad_stats, all_weight_stats, grad_stats, weight_stats

    rng = np.random.default_rng(0)
    before = {"d/kernel": rng.normal(size=(4, 3)), "d/bias": np.zeros(3, "float32"),
              "e/kernel": rng.normal(size=(3, 1)).astype("float32")}
    after = {k: v + rng.normal(scale=0.1, size=v.shape).astype(v.dtype) for k, v in before.items()}
    broken = dict(after, **{"d/bias": np.array([0.0, np.nan, np.inf], "float32")})
    empty = dict(after, **{"e/kernel": np.zeros((3, 0), "float32")})
    grads = dict(after, **{"d/bias": np.array([0.0, 0.0, 1.5])})
    cases = [(after, Flat(before)), (after, None), (broken, Flat(before)), (after, Flat(broken)),
             (empty, Flat(before)), (after, Flat({"other": np.ones(2)})), ({}, Flat({})),
             ({}, None)]
    for now, previous in cases:
        stats, flat = all_weight_stats(now, previous)
        old = previous.arrays() if previous is not None else {}
        for k, w in now.items():
            _same_stats(stats[k], weight_stats(w, old.get(k)))
        assert all(np.array_equal(a, np.asarray(now[k], "float64"), equal_nan=True)
                   for k, a in flat.arrays().items())
    for g in (grads, broken, empty, {}):
        assert all_grad_stats(g).keys() == g.keys()
        stats = all_grad_stats(g)
        for k, v in g.items():
            _same_stats(stats[k], grad_stats(v))
    steps = rng.normal(size=13)
    for s in (steps, np.append(steps, np.nan), np.zeros(0)):
        _same_stats(dx.step_stats(s), _step_stats_one_by_one(s))


def _same_stats(got: dict, expected: dict):
    assert got.keys() == expected.keys()
    for key, value in expected.items():
        if value is None:
            assert got[key] is None, key
        else:
            assert got[key] == pytest.approx(value, rel=1e-12, nan_ok=True), key


def _step_stats_one_by_one(steps):
    finite = steps[np.isfinite(steps)]
    bad = np.flatnonzero(~np.isfinite(steps))
    out = dict(n=steps.size, nonfinite=bad.size, first_nonfinite=int(bad[0]) if bad.size else None)
    if finite.size:
        out.update(mean=finite.mean(), std=finite.std(), min=finite.min(), max=finite.max())
    return out


def test_constant_prediction_loss_of_multi_label_rows_under_categorical_crossentropy():
    """Keras normalises the output to sum 1; for rows holding several 1s the best constant
    prediction is still the class shares, and its loss is the rows' label mass times their
    entropy (one-hot rows: the entropy itself). Checked against the loss computed directly."""
    from scen.diagnose.model import OutputSpec
    from scen.diagnose.trace import baseline

    rng = np.random.default_rng(0)
    spec = OutputSpec("out", "softmax", 5, "categorical_ce", "categorical_crossentropy", False)
    for y in ((rng.uniform(size=(400, 5)) < 0.4).astype(float),  # multi-label rows
              np.eye(5)[rng.integers(0, 5, 400)]):  # one-hot rows
        _, loss = baseline(spec, y)
        shares = y.mean(axis=0) / y.mean(axis=0).sum()
        direct = float(np.mean(-(y * np.log(shares)).sum(axis=1)))
        assert loss == pytest.approx(direct, rel=1e-6)
