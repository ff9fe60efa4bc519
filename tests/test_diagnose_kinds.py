"""The kinds of failure of issue 14, each on several small Keras 3 programs of its own (synthetic
data; sizes, optimizers and data unlike the issue's examples), run with DiagnoseCallback on the
torch backend: each kind fires on its programs, leads the report where it is the root cause,
and stays silent on the controls. JAX checks run in a subprocess, skipped without JAX."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import subprocess  # noqa: E402
import sys  # noqa: E402

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from scen import diagnose as dx  # noqa: E402

keras = pytest.importorskip("keras")
layers = keras.layers


pytestmark = pytest.mark.usefixtures("one_torch_thread")  # see conftest.py


def build(n_in, hidden, out, activation, loss, optimizer="adam", metrics=("accuracy",),
          hidden_activation="relu", seed=0):
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((n_in,))]
                             + [layers.Dense(h, activation=hidden_activation) for h in hidden]
                             + [layers.Dense(out, activation=activation)])
    model.compile(loss=loss, optimizer=optimizer, metrics=list(metrics))
    return model


def diagnose(model, x, y, epochs, batch_size=32, expect_raise=False):
    """fit with DiagnoseCallback; returns the findings in the report's order."""
    diag = dx.DiagnoseCallback(x, y, verbose=False)
    try:
        model.fit(x, y, epochs=epochs, batch_size=batch_size, callbacks=[diag], verbose=0)
    except Exception as e:  # noqa: BLE001 - the backend's own error is what is diagnosed
        if not expect_raise:
            raise
        return diag.explain(e, model)
    assert not expect_raise, "fit did not raise"
    return diag.findings()


def first(findings):
    assert findings, "no findings"
    return findings[0]


def names(findings, severities=("error", "warning")):
    return [f.name for f in findings if f.severity in severities]


def report(findings):
    return dx.format_report(findings)


# --- 1. Imbalanced classes: the majority-class predictor --------------------------------------


def test_imbalanced_binary_noise_features_rmsprop():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(500, 6)).astype("float32")
    y = (rng.uniform(size=500) < 0.1).astype("float32")  # 10% positives, no signal at all
    model = build(6, [16, 8], 1, "sigmoid", "binary_crossentropy", optimizer="rmsprop")
    found = diagnose(model, x, y, epochs=12)
    f = first(found)
    assert f.name == "majority_class_predictor", report(found)
    assert "class weight" in f.fix.lower() or "class_weight" in f.fix
    assert "AUC" in f.fix and "never" in f.evidence
    assert "slow_start" not in names(found, ("error",))  # no "raise the learning rate"
    assert not any("learning rate" in g.fix.lower() for g in found if g.severity == "error")


def test_imbalanced_three_classes_weak_signal_sgd():
    rng = np.random.default_rng(4)
    n = 600
    y = rng.choice(3, size=n, p=[0.8, 0.12, 0.08])
    x = (rng.normal(size=(n, 5)) + 0.15 * y[:, None]).astype("float32")  # barely informative
    model = build(5, [12], 3, "softmax", "sparse_categorical_crossentropy",
                  optimizer=keras.optimizers.SGD(0.05))
    found = diagnose(model, x, y, epochs=10, batch_size=64)
    assert first(found).name == "majority_class_predictor", report(found)
    assert "class 0 is 77%" in first(found).evidence  # the draw: 77% of 600


def test_imbalanced_one_hot_adagrad():
    rng = np.random.default_rng(5)
    n = 400
    y = (rng.uniform(size=n) < 0.15).astype(int)
    x = rng.uniform(-1, 1, size=(n, 3)).astype("float32")
    model = build(3, [8, 8, 8], 2, "softmax", "categorical_crossentropy",
                  optimizer=keras.optimizers.Adagrad(0.05))
    found = diagnose(model, x, np.eye(2, dtype="float32")[y], epochs=8)
    assert first(found).name == "majority_class_predictor", report(found)


def test_imbalanced_but_learnable_is_not_a_majority_predictor():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(600, 4)).astype("float32")
    y = (x[:, 0] + 0.5 * x[:, 1] > 1.3).astype("float32")  # ~12% positives, separable
    model = build(4, [16], 1, "sigmoid", "binary_crossentropy")
    found = diagnose(model, x, y, epochs=25)
    assert "majority_class_predictor" not in names(found), report(found)
    assert names(found) == [], report(found)


def test_balanced_classes_are_not_a_majority_predictor():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(300, 4)).astype("float32")
    y = (rng.uniform(size=300) < 0.5).astype("float32")
    model = build(4, [8], 1, "sigmoid", "binary_crossentropy")
    assert "majority_class_predictor" not in names(diagnose(model, x, y, epochs=6))


# --- 2. A metric that does not fit the task ---------------------------------------------------


def regression_data(n=300, d=5, seed=8, scale=1.0, shift=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d)).astype("float32")
    y = x @ rng.normal(size=d) + 0.1 * rng.normal(size=n)
    return x, ((y - y.mean()) / y.std() * scale + shift).astype("float32")


def test_accuracy_on_a_standardised_regression_target():
    x, y = regression_data()
    model = build(5, [16], 1, None, "mse", metrics=["accuracy"])
    found = diagnose(model, x, y, epochs=8)
    f = first(found)
    assert (f.name, f.severity) == ("metric_does_not_fit_task", "warning"), report(found)
    assert "exactly 0" in f.evidence and "mae" in f.fix.lower()


def test_acc_with_huber_on_counts():
    x, y = regression_data(seed=9, scale=6, shift=20)  # counts around 20
    model = build(5, [8, 8], 1, None, "huber", optimizer="rmsprop", metrics=["acc"])
    found = diagnose(model, x, np.round(y), epochs=6)
    assert "metric_does_not_fit_task" in names(found), report(found)


def test_binary_accuracy_on_five_softmax_units():
    rng = np.random.default_rng(10)
    y = rng.integers(0, 5, 300)
    x = (np.eye(5)[y] * 2 + rng.normal(size=(300, 5))).astype("float32")
    model = build(5, [16], 5, "softmax", "categorical_crossentropy",
                  metrics=["binary_accuracy"])
    found = diagnose(model, x, np.eye(5, dtype="float32")[y], epochs=5)
    f = first(found)
    assert f.name == "metric_does_not_fit_task" and "inflated" in f.summary, report(found)


@pytest.mark.parametrize("labels", ["one-hot", "multi-label"])
def test_binary_accuracy_with_binary_crossentropy_on_one_hot_classes(labels):
    """Six classes, one-hot, trained as six sigmoids with binary_crossentropy: binary accuracy
    starts near 5/6 for all zeros. Multi-label rows are what that setup is for: no finding."""
    rng = np.random.default_rng(39)
    cls = rng.integers(0, 6, 600)
    y = np.eye(6, dtype="float32")[cls]
    if labels == "multi-label":
        y = np.maximum(y, np.eye(6, dtype="float32")[rng.integers(0, 6, 600)])
    x = (y * 1.5 + rng.normal(size=(600, 6))).astype("float32")
    model = build(6, [12], 6, "sigmoid", "binary_crossentropy", optimizer="rmsprop",
                  metrics=["binary_accuracy"])
    found = diagnose(model, x, y, epochs=4)
    mismatch = [f for f in found if f.name == "metric_does_not_fit_task"]
    if labels == "one-hot":
        assert mismatch and "softmax" in mismatch[0].fix, report(found)
    else:
        assert not mismatch, report(found)


def test_categorical_accuracy_on_one_sigmoid_unit():
    rng = np.random.default_rng(11)
    x = rng.normal(size=(300, 3)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = build(3, [8], 1, "sigmoid", "binary_crossentropy",
                  metrics=["categorical_accuracy"])
    found = diagnose(model, x, y, epochs=5)
    assert first(found).name == "metric_does_not_fit_task", report(found)
    assert "argmax" in first(found).summary


def test_fitting_metrics_are_left_alone():
    x, y = regression_data(seed=12)
    assert names(diagnose(build(5, [16], 1, None, "mse", metrics=["mae"]), x, y, 40)) == []
    # 0/1 targets trained with MSE: accuracy measures them fine
    rng = np.random.default_rng(13)
    xb = rng.normal(size=(300, 3)).astype("float32")
    yb = (xb[:, 0] > 0).astype("float32")
    model = build(3, [8], 1, "sigmoid", "mse", metrics=["accuracy"])
    assert "metric_does_not_fit_task" not in names(diagnose(model, xb, yb, 5))


# --- 3. Predictions gone non-finite, not the labels; float16 throughout -----------------------


@pytest.fixture
def float16():
    keras.config.set_floatx("float16")
    try:
        yield
    finally:
        keras.config.set_floatx("float32")


def test_float16_regression_overflows(float16):
    rng = np.random.default_rng(14)
    x = rng.normal(size=(200, 4)).astype("float16")
    y = (300 + 80 * x[:, 0]).astype("float16")  # squared errors ~1e5 > 65504
    model = build(4, [16], 1, None, "mse", optimizer=keras.optimizers.SGD(0.01),
                  metrics=["mae"])
    found = diagnose(model, x, y, epochs=3, expect_raise=False)
    f = first(found)
    assert (f.name, f.severity) == ("float16_throughout", "error"), report(found)
    assert "1 - 1e-7 rounds to 1" in f.evidence and "float32" in f.fix
    nonfinite = next(g for g in found if g.name == "nonfinite_values")
    assert nonfinite.cause == "float16_throughout"
    assert "labels_out_of_range" not in names(found)


@pytest.mark.parametrize("activation, optimizer, batch", [
    ("sigmoid", lambda: keras.optimizers.SGD(0.3), 2),
    ("tanh", lambda: keras.optimizers.RMSprop(0.01), 8),
    ("sigmoid", lambda: keras.optimizers.Adam(0.05), 4)])
def test_float16_classifier_goes_nan(float16, activation, optimizer, batch):
    rng = np.random.default_rng(15)
    x = (rng.normal(size=(300, 6)) * 4).astype("float16")
    y = (x[:, 0] - x[:, 1] > 0).astype("float16")
    model = build(6, [32, 32], 1, activation, "binary_crossentropy", optimizer=optimizer())
    found = diagnose(model, x, y, epochs=4, batch_size=batch, expect_raise=True)
    text = report(found)
    assert first(found).name == "float16_throughout", text
    assert "labels_out_of_range" not in names(found), text
    raised = next(g for g in found if g.name == "predictions_out_of_range")
    assert "not at fault" in raised.evidence and raised.cause == "float16_throughout"
    assert any(g.name == "nonfinite_values" and g.epoch for g in found), text


def test_predictions_not_labels_in_torch_message():
    t = dx.Trace(dx.Facts(targets_binary=True), [], "raised",
                 "RuntimeError: all elements of input should be between 0 and 1")
    f = dx.detect_backend_error(t)
    assert [x.name for x in f] == ["predictions_out_of_range"] and "not at fault" in f[0].evidence
    t.error = "RuntimeError: all elements of target should be between 0 and 1"
    assert [x.name for x in dx.detect_backend_error(t)] == ["labels_out_of_range"]


def test_mixed_precision_and_float32_are_not_float16():
    x, y = regression_data(seed=16)
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = build(5, [8], 1, None, "mse", metrics=["mae"])
        assert "float16_throughout" not in names(dx.preflight(model, x, y), ("warning", "error"))
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert dx.preflight(build(5, [8], 1, None, "mse", metrics=["mae"]), x, y) == []


def test_float32_nan_is_not_blamed_on_float16_or_labels():
    rng = np.random.default_rng(17)
    x = rng.normal(size=(200, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = build(4, [16], 1, None, "mse", optimizer=keras.optimizers.SGD(50.0), metrics=[])
    found = diagnose(model, x, y * 1000, epochs=4)
    assert "float16_throughout" not in names(found)
    assert set(names(found, ("error",))) & {"nonfinite_values", "diverging_loss"}, report(found)


# --- 4. A regression trained with a classification loss ----------------------------------------


def test_prices_with_sigmoid_and_binary_crossentropy():
    rng = np.random.default_rng(18)
    x = rng.normal(size=(300, 5)).astype("float32")
    y = np.exp(6.5 + 0.6 * x[:, 0]).astype("float32")  # prices, ~200..5000
    model = build(5, [16], 1, "sigmoid", "binary_crossentropy")
    found = diagnose(model, x, y, epochs=2, expect_raise=True)
    f = first(found)
    assert f.name == "regression_with_classification_loss", report(found)
    assert "linear" in f.fix and "mean_squared_error" in f.fix and "standardise" in f.fix
    assert "0/1" not in f.fix and "Training then raised" in f.evidence
    assert "labels_out_of_range" not in names(found)


def test_temperatures_with_sparse_crossentropy():
    rng = np.random.default_rng(19)
    x = rng.normal(size=(300, 3)).astype("float32")
    y = (12 + 8 * x[:, 0] + rng.normal(size=300)).astype("float32")  # -15..40, not whole
    model = build(3, [8], 4, "softmax", "sparse_categorical_crossentropy")
    found = diagnose(model, x, y, epochs=1, expect_raise=True)
    assert first(found).name == "regression_with_classification_loss", report(found)


def test_class_labels_are_still_labels():
    rng = np.random.default_rng(20)
    x = rng.normal(size=(200, 3)).astype("float32")
    y12 = (x[:, 0] > 0).astype("float32") + 1  # labels 1/2: map to 0/1 is the right fix
    found = dx.preflight(build(3, [8], 1, "sigmoid", "binary_crossentropy"), x, y12)
    assert names(found) == ["labels_out_of_range"] and "0/1" in found[0].fix
    soft = rng.uniform(size=200).astype("float32")  # probabilities as targets: fine
    assert dx.preflight(build(3, [8], 1, "sigmoid", "binary_crossentropy"), x, soft) == []
    digits = rng.integers(0, 10, 200)  # integer classes 0..9 with 10 units: fine
    model = build(3, [8], 10, "softmax", "sparse_categorical_crossentropy")
    assert dx.preflight(model, x, digits) == []


# --- 5. Backend-specific behaviour, said in the finding ----------------------------------------


def test_sparse_labels_beyond_the_units_say_what_each_backend_does():
    rng = np.random.default_rng(21)
    y = rng.integers(0, 12, 300)  # labels 0..11, 9 units
    x = (np.eye(12)[y][:, :6] + rng.normal(size=(300, 6))).astype("float32")
    model = build(6, [16], 9, "softmax", "sparse_categorical_crossentropy")
    found = diagnose(model, x, y, epochs=1, expect_raise=True)
    f = first(found)
    assert f.name == "sparse_label_out_of_range", report(found)
    assert "JAX trains on silently" in f.evidence and "TensorFlow raises" in f.evidence
    assert "This run is on torch" in f.evidence


def test_a_few_stray_labels_among_thousands_are_found_and_counted():
    """Three of 3,000 labels name a class the output does not have: rows the diagnosis's
    256-row sample does not hold, so the labels are checked whole."""
    rng = np.random.default_rng(29)
    y = rng.integers(0, 4, 3000)
    x = (np.eye(4)[y] * 2 + rng.normal(size=(3000, 4))).astype("float32")
    y[[1, 2, 3]] = 4
    model = build(4, [12], 4, "softmax", "sparse_categorical_crossentropy")
    found = diagnose(model, x, y, epochs=1, expect_raise=True)
    f = first(found)
    assert f.name == "sparse_label_out_of_range", report(found)
    assert "3 of 3,000 labels are not" in f.evidence


def test_backend_note_is_only_where_backends_differ():
    assert "JAX" in dx.catalogue.backend_note("labels_out_of_range", "jax")
    assert "This run is on JAX, which trains on silently" in dx.catalogue.backend_note(
        "sparse_label_out_of_range", "jax")
    assert dx.catalogue.backend_note("softmax_single_unit", "jax") == ""
    # the gist of this run's backend, whole ("raises", not cut inside a parenthesis)
    note = dx.catalogue.backend_note("sparse_label_out_of_range", "torch")
    assert note.endswith("This run is on torch, which raises.")
    f = dx.catalogue.finding("sparse_label_out_of_range", "labels go up to 11", units=9, last=8)
    assert "labels go up to 11. What each backend does" in f.evidence


JAX_SILENT = """
import numpy as np, keras
from scen.diagnose import DiagnoseCallback
rng = np.random.default_rng(22)
y = rng.integers(0, 10, 300)
x = rng.normal(size=(300, 4)).astype("float32")
m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                      keras.layers.Dense(7, activation="softmax")])
m.compile(loss="sparse_categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
d = DiagnoseCallback(x, y, verbose=False)
m.fit(x, y, epochs=2, verbose=0, callbacks=[d])
f = d.findings()[0]
print(f.name)
print(f.evidence)
"""


def test_jax_trains_on_silently_and_the_finding_says_so():
    pytest.importorskip("jax")
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", JAX_SILENT], env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    name, evidence = out.stdout.split("\n", 1)
    assert name == "sparse_label_out_of_range"
    assert "This run is on JAX, which trains on silently" in evidence


# --- 6. No better than the mean; a learning rate far too low ---------------------------------


def test_regression_on_a_target_the_inputs_do_not_explain():
    rng = np.random.default_rng(23)
    x = rng.normal(size=(400, 6)).astype("float32")
    y = (0.5 + 2 * rng.normal(size=400)).astype("float32")  # independent of x
    model = build(6, [16], 1, None, "mse", metrics=["mae"])
    found = diagnose(model, x, y, epochs=15)
    assert "mean_predictor" in names(found), report(found)
    assert first(found).name == "mean_predictor"


def test_regression_with_mae_and_a_dead_signal_path():
    rng = np.random.default_rng(24)
    x = rng.normal(size=(300, 4)).astype("float32")
    y = (rng.normal(size=300) * 3).astype("float32")
    model = build(4, [8, 8], 1, None, "mae", optimizer="rmsprop", metrics=[])
    assert "mean_predictor" in names(diagnose(model, x, y, epochs=10))


def test_learning_rate_far_too_low_adam():
    rng = np.random.default_rng(25)
    x = rng.normal(size=(400, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("float32")
    model = build(4, [16], 1, "sigmoid", "binary_crossentropy",
                  optimizer=keras.optimizers.Adam(1e-6))
    found = diagnose(model, x, y, epochs=8)
    f = first(found)
    assert f.name == "learning_rate_too_low", report(found)
    assert "Raise the learning rate" in f.fix


def test_learning_rate_far_too_low_sgd_regression():
    x, y = regression_data(seed=26, scale=2.0)
    model = build(5, [32, 32], 1, None, "mse", optimizer=keras.optimizers.SGD(1e-5),
                  metrics=["mae"])
    found = diagnose(model, x, y, epochs=6)
    assert first(found).name == "learning_rate_too_low", report(found)
    mean = [f for f in found if f.name == "mean_predictor"]
    assert not mean or mean[0].cause == "learning_rate_too_low"


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad"])
def test_a_deep_sigmoid_stack_is_vanishing_gradients_not_a_low_learning_rate(optimizer):
    """Ten sigmoid layers: the first ones barely move (their gradients vanish), the last ones
    move as usual; a higher learning rate is not the fix, so it must not be reported."""
    rng = np.random.default_rng(28)
    x = rng.uniform(-1, 1, size=(600, 3)).astype("float32")
    y = (x[:, 0] * x[:, 1] > 0).astype("float32")  # quadrants: needs the hidden layers
    opt = keras.optimizers.SGD(0.05) if optimizer == "sgd" else keras.optimizers.Adagrad(0.01)
    model = build(3, [32] * 10, 1, "sigmoid", "binary_crossentropy", optimizer=opt,
                  hidden_activation="sigmoid")
    found = diagnose(model, x, y, epochs=12)
    assert "vanishing_gradients" in names(found), report(found)
    assert "learning_rate_too_low" not in names(found), report(found)


def test_healthy_runs_are_not_too_slow_nor_mean_predictors():
    x, y = regression_data(seed=27)
    found = diagnose(build(5, [16], 1, None, "mse", metrics=["mae"]), x, y, epochs=40)
    assert names(found) == [], report(found)
    # converged with plain SGD: tiny steps at the end, but the loss fell far below the mean's
    model = build(5, [16], 1, None, "mse", optimizer=keras.optimizers.SGD(0.05), metrics=["mae"])
    found = diagnose(model, x, y, epochs=30)
    assert not {"learning_rate_too_low", "mean_predictor"} & set(names(found)), report(found)


# --- 7. A risk preflight saw, against what the run did ------------------------------------------


@pytest.mark.parametrize("labels, severity", [("learnable", "warning"), ("random", "error")])
def test_saturating_inputs_are_an_error_unless_the_run_learned_anyway(labels, severity):
    """Inputs ~80x unit scale saturate every sigmoid unit at initialisation. Where the run
    learns regardless (the saturated units still carry the sign the labels follow), the
    finding stays, as a warning that says so; where it does not, it is an error."""
    rng = np.random.default_rng(30)
    x = (rng.normal(size=(600, 4)) * 80).astype("float32")
    y = ((x[:, 0] > 0) if labels == "learnable" else rng.integers(0, 2, 600)).astype("float32")
    model = build(4, [16], 1, "sigmoid", "binary_crossentropy",
                  optimizer=keras.optimizers.Adam(0.01), hidden_activation="sigmoid")
    found = diagnose(model, x, y, epochs=15)
    by_name = {f.name: f for f in found}
    assert by_name["unscaled_inputs"].severity == severity, report(found)
    assert by_name["saturated_units"].severity == severity, report(found)
    assert ("learned regardless" in by_name["unscaled_inputs"].evidence) == (labels == "learnable")


# --- 8. A crawl through the task, or noisy labels at their floor --------------------------------


def _noisy_binary():
    rng = np.random.default_rng(32)
    x = rng.normal(size=(1500, 5)).astype("float32")
    clean = x[:, 0] - x[:, 2] > 0
    y = np.where(rng.uniform(size=1500) < 0.15, ~clean, clean).astype("float32")  # 15% flipped
    return x, y, build(5, [24, 12], 1, "sigmoid", "binary_crossentropy",
                       optimizer=keras.optimizers.RMSprop(1e-3))


def _noisy_three_classes():
    rng = np.random.default_rng(33)
    x = rng.normal(size=(1500, 4)).astype("float32")
    clean = np.argmax(x[:, :3], axis=1)
    y = np.where(rng.uniform(size=1500) < 0.3, rng.integers(0, 3, 1500), clean)  # 30% relabelled
    return x, y, build(4, [32], 3, "softmax", "sparse_categorical_crossentropy")


@pytest.mark.parametrize("program", [_noisy_binary, _noisy_three_classes])
def test_noisy_labels_at_their_floor_are_not_a_plateau(program):
    """The loss still creeps down (the model grows more confident) while accuracy stays flat
    at what the label noise allows: the data's floor, said as info, not a crawl to fix."""
    x, y, model = program()
    found = diagnose(model, x, y, epochs=40)
    assert "plateau" not in names(found, ("error", "warning", "info")), report(found)
    assert [(f.name, f.severity) for f in found] in ([], [("loss_levelled_off", "info")])


# --- 9. Several outputs ---------------------------------------------------------------------------


def test_targets_are_matched_to_outputs_by_name_not_by_dict_order():
    """y given as {"smoker": ..., "age": ...} for outputs (age, smoker): the 'age' head (a
    sigmoid, ages 18..90) cannot reach its targets; the binary head is fine."""
    rng = np.random.default_rng(36)
    x = rng.normal(size=(800, 6)).astype("float32")
    age = (50 + 15 * x[:, 0]).clip(18, 90).astype("float32")
    smoker = (x[:, 1] > 0.3).astype("float32")
    keras.backend.clear_session()
    inp = keras.Input((6,))
    h = layers.Dense(16, activation="relu")(inp)
    model = keras.Model(inp, {"age": layers.Dense(1, activation="sigmoid", name="age")(h),
                              "smoker": layers.Dense(1, activation="sigmoid", name="smoker")(h)})
    model.compile("adam", {"age": "mse", "smoker": "binary_crossentropy"})
    y = {"smoker": smoker, "age": age}
    found = diagnose(model, x, y, epochs=3)
    assert [(f.name, f.layer) for f in found if f.severity == "error"] == [
        ("output_cannot_reach_targets", "age")], report(found)


def test_nan_from_inputs_far_from_unit_scale_is_blamed_on_the_inputs():
    """Features in the tens of thousands and plain SGD: the first steps overflow. The NaN is
    the inputs' consequence (scale them), not a learning rate to tune."""
    rng = np.random.default_rng(37)
    x = (rng.normal(size=(400, 3)) * 3e4).astype("float32")
    y = (x[:, 0] / 3e4 + rng.normal(size=400) * 0.1).astype("float32")
    model = build(3, [16], 1, None, "mse", optimizer=keras.optimizers.SGD(0.01), metrics=[])
    found = diagnose(model, x, y, epochs=3)
    assert first(found).name == "unscaled_inputs", report(found)
    nan = next(f for f in found if f.name == "nonfinite_values")
    assert nan.cause == "unscaled_inputs"


@pytest.mark.parametrize("vocabulary", [100, 150])
def test_token_ids_beyond_the_embedding_rows(vocabulary):
    """Review texts with ids up to 149 into Embedding(input_dim=100): torch raises 'index out
    of range in self'; the finding names the layer, the ids and the input_dim to use. With
    input_dim=150 (the fix) nothing is said of it."""
    rng = np.random.default_rng(38)
    x = rng.integers(1, 150, size=(500, 12)).astype("int32")
    y = (x[:, :3].mean(axis=1) > 75).astype("float32")
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((12,), dtype="int32"),
                              layers.Embedding(vocabulary, 8), layers.GlobalAveragePooling1D(),
                              layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    found = diagnose(model, x, y, epochs=2, expect_raise=vocabulary == 100)
    if vocabulary == 100:
        f = first(found)
        assert f.name == "embedding_index_out_of_range", report(found)
        assert "input_dim=100" in f.evidence and "ids up to 149" in f.summary
        assert "Training then raised" in f.evidence and "index out of range" in f.evidence
        assert "activations_not_checked" not in names(found, ("error", "warning", "info"))
    else:
        assert "embedding_index_out_of_range" not in names(found), report(found)


# --- 10. A loss that is not what is measured -----------------------------------------------------


def _flipped_cross_entropy(y_true, y_pred):
    return -keras.ops.mean(keras.losses.binary_crossentropy(y_true, y_pred))


def _flipped_squared_error(y_true, y_pred):
    return -keras.ops.mean(keras.ops.square(y_true - y_pred), axis=-1)


def _absolute_error(y_true, y_pred):
    return keras.ops.mean(keras.ops.abs(y_true - y_pred), axis=-1)


@pytest.mark.parametrize("loss, metric, fires", [
    (_flipped_cross_entropy, "accuracy", True),  # a classifier maximising its cross-entropy
    (_flipped_squared_error, "mse", True),  # a regression maximising its error
    (_absolute_error, "mse", False),  # a healthy custom loss: both improve
])
def test_a_loss_that_improves_while_the_metrics_get_worse(loss, metric, fires):
    rng = np.random.default_rng(40)
    x = rng.normal(size=(500, 4)).astype("float32")
    if metric == "accuracy":
        y = (x[:, 0] + x[:, 1] > 0).astype("float32")
        model = build(4, [16], 1, "sigmoid", loss, metrics=[metric])
    else:
        y = (x @ np.array([1.0, -1.0, 0.5, 2.0]) + 0.1 * rng.normal(size=500)).astype("float32")
        model = build(4, [16], 1, None, loss, metrics=[metric])
    found = diagnose(model, x, y, epochs=6)
    assert ("loss_metric_disagreement" in names(found)) == fires, report(found)
    if fires:
        assert first(found).name == "loss_metric_disagreement", report(found)


# --- 11. A learning-rate schedule that ends training early ---------------------------------------


@pytest.mark.parametrize("schedule, fires", [
    ("polynomial-to-zero", True),  # reaches 0 after 20 steps: a third of the first epoch
    ("inverse-time", True),  # divided by 1 + 5 * step: 1/100 of its start by step 20
    ("exponential-slow", False),  # halves every 1,000 steps: a healthy schedule
])
def test_a_schedule_that_decays_the_rate_to_nothing(schedule, fires):
    S = keras.optimizers.schedules
    rate = {"polynomial-to-zero": S.PolynomialDecay(0.01, decay_steps=20, end_learning_rate=0.0),
            "inverse-time": S.InverseTimeDecay(0.01, decay_steps=1, decay_rate=5.0),
            "exponential-slow": S.ExponentialDecay(0.01, decay_steps=1000, decay_rate=0.5),
            }[schedule]
    rng = np.random.default_rng(41)
    cls = rng.integers(0, 3, 1200)
    x = (np.eye(3)[cls] @ rng.normal(size=(3, 8)) + rng.normal(size=(1200, 8))).astype("float32")
    model = build(8, [16], 3, "softmax", "sparse_categorical_crossentropy",
                  optimizer=keras.optimizers.SGD(rate))
    found = diagnose(model, x, cls, epochs=8)
    if fires:
        assert first(found).name == "learning_rate_decayed", report(found)
        assert "from 0.01 to" in first(found).evidence
    else:
        assert "learning_rate_decayed" not in names(found), report(found)


# --- 12. Settings that starve training: dropout near 1, a batch of the whole data -------------


@pytest.mark.parametrize("layer, fires", [
    (lambda: layers.Dropout(0.9), True),
    (lambda: layers.GaussianDropout(0.85), True),
    (lambda: layers.Dropout(0.5), False),  # strong, but a usual rate
])
def test_dropout_rates_near_one(layer, fires):
    rng = np.random.default_rng(42)
    x = rng.normal(size=(400, 6)).astype("float32")
    y = (x[:, 0] * x[:, 1] > 0).astype("float32")
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((6,)), layers.Dense(32, activation="relu"), layer(),
                              layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    found = diagnose(model, x, y, epochs=4)
    assert ("dropout_too_high" in names(found)) == fires, report(found)


def test_a_batch_of_the_whole_data_says_how_few_updates_were_made():
    rng = np.random.default_rng(43)
    cls = rng.integers(0, 4, 500)
    x = (np.eye(4)[cls] @ rng.normal(size=(4, 10)) * 0.5
         + rng.normal(size=(500, 10))).astype("float32")
    model = build(10, [16], 4, "softmax", "sparse_categorical_crossentropy",
                  optimizer=keras.optimizers.SGD(0.01), hidden_activation="sigmoid")
    found = diagnose(model, x, cls, epochs=25, batch_size=500)
    f = first(found)
    assert f.name == "few_updates", report(found)
    assert "batch_size=32" in f.fix and "25 steps in all: 1 an epoch" in f.evidence
    (stuck,) = [g for g in found if g.name == "slow_start"]
    assert stuck.severity == "info" and stuck.cause == "few_updates"


# --- 13. What the model's own layers do to training -------------------------------------------


def test_a_model_with_every_layer_frozen_has_nothing_to_train():
    rng = np.random.default_rng(44)
    x = rng.normal(size=(300, 5)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = build(5, [8], 1, "sigmoid", "binary_crossentropy")
    for layer in model.layers:
        layer.trainable = False
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    found = diagnose(model, x, y, epochs=3)
    assert first(found).name == "nothing_to_train", report(found)


def test_a_bias_that_cancels_by_design_is_not_a_weight_without_gradient():
    """A shared encoder whose two outputs only enter as their difference: its bias cancels
    (its gradient is exactly zero, by design) while its kernel learns. No warning for that."""
    rng = np.random.default_rng(45)
    a, b = (rng.normal(size=(400, 6)).astype("float32") for _ in range(2))
    y = (np.abs(a - b)[:, 0] > 1).astype("float32")
    keras.backend.clear_session()
    encoder = layers.Dense(8, name="encoder")
    in_a, in_b = keras.Input((6,)), keras.Input((6,))
    diff = layers.Subtract()([encoder(in_a), encoder(in_b)])
    out = layers.Dense(1, activation="sigmoid")(layers.Activation("relu")(diff))
    model = keras.Model([in_a, in_b], out)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    found = diagnose(model, [a, b], y, epochs=4)
    assert "weights_without_gradient" not in names(found), report(found)


@pytest.mark.parametrize("adapted", [False, True])
def test_a_normalization_layer_never_adapted_passes_raw_inputs_on(adapted):
    rng = np.random.default_rng(46)
    x = (rng.normal(size=(500, 4)) * [300, 20, 5000, 1] + [1000, 0, 20000, 3]).astype("float32")
    y = ((x[:, 0] - 1000) / 300 + (x[:, 2] - 20000) / 5000 > 0).astype("float32")
    keras.backend.clear_session()
    norm = layers.Normalization()
    if adapted:
        norm.adapt(x)
    model = keras.Sequential([keras.Input((4,)), norm, layers.Dense(8, activation="relu"),
                              layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    found = diagnose(model, x, y, epochs=3)
    unscaled = [f for f in found if f.name == "unscaled_inputs"]
    if adapted:
        assert not unscaled, report(found)
    else:
        assert unscaled and "never adapted" in unscaled[0].evidence, report(found)


# --- 14. Validation data unlike the training data ------------------------------------------------


@pytest.mark.parametrize("data, fires", [
    ("sorted-by-class", True),  # validation_split takes the last rows: a class never trained on
    ("shuffled-apart", True),  # x and y permuted each on its own: labels no longer follow x
    ("shuffled-together", False),  # the healthy control
])
def test_validation_that_nothing_learned_carries_over_to(data, fires):
    rng = np.random.default_rng(47)
    cls = np.repeat([0, 1, 2], [180, 160, 60])  # sorted: the last 20% hold all of class 2
    x = (np.eye(3)[cls] @ rng.normal(size=(3, 12)) + 0.8 * rng.normal(size=(400, 12)))
    x = x.astype("float32")
    if data == "shuffled-apart":
        x, cls = x[rng.permutation(400)], cls[rng.permutation(400)]
    elif data == "shuffled-together":
        p = rng.permutation(400)
        x, cls = x[p], cls[p]
    model = build(12, [128, 128], 3, "softmax", "sparse_categorical_crossentropy",
                  optimizer=keras.optimizers.Adam(0.005))
    diag = dx.DiagnoseCallback(x, cls, verbose=False)
    model.fit(x, cls, epochs=25, batch_size=32, validation_split=0.2, callbacks=[diag],
              verbose=0)
    found = diag.findings()
    if fires:
        assert first(found).name == "validation_at_chance", report(found)
    else:
        assert "validation_at_chance" not in names(found), report(found)


# --- 15. Regularisers that outweigh the data ------------------------------------------------------


@pytest.mark.parametrize("regularizer, fires", [
    (lambda: keras.regularizers.l1(0.5), True),
    (lambda: keras.regularizers.l1_l2(l1=0.0, l2=2.0), True),
    (lambda: keras.regularizers.l2(1e-4), False),  # the usual size: no finding
])
def test_a_weight_penalty_that_outweighs_the_data_loss(regularizer, fires):
    rng = np.random.default_rng(48)
    x = rng.normal(size=(600, 8)).astype("float32")
    y = (x @ rng.normal(size=8) + 0.3 * rng.normal(size=600)).astype("float32")
    keras.backend.clear_session()
    model = keras.Sequential([
        keras.Input((8,)), layers.Dense(64, activation="relu", kernel_regularizer=regularizer()),
        layers.Dense(1, kernel_regularizer=regularizer())])
    model.compile(keras.optimizers.Adagrad(0.05), "mse", metrics=["mae"])
    found = diagnose(model, x, y, epochs=5)
    assert ("regularisation_dominates" in names(found)) == fires, report(found)
    if fires:
        assert first(found).name == "regularisation_dominates", report(found)


# --- 16. Gradient clipping as a brake ------------------------------------------------------------


@pytest.mark.parametrize("optimizer, fires", [
    (lambda: keras.optimizers.SGD(0.05, global_clipnorm=1e-4), True),
    (lambda: keras.optimizers.SGD(0.05, clipvalue=1e-6), True),
    (lambda: keras.optimizers.SGD(0.05, clipnorm=1.0), False),  # a guard, not a brake
])
def test_clipping_far_below_the_gradients(optimizer, fires):
    rng = np.random.default_rng(49)
    x = rng.normal(size=(500, 6)).astype("float32")
    y = (x @ rng.normal(size=6) * 3 + 10).astype("float32")
    model = build(6, [16], 1, None, "mse", optimizer=optimizer(), metrics=["mae"])
    found = diagnose(model, x, y, epochs=5)
    assert ("clipping_too_tight" in names(found)) == fires, report(found)
    if fires:
        assert first(found).name == "clipping_too_tight", report(found)


def test_class_weights_the_wrong_way_round_are_named(tmp_path):
    """class_weight={0: 1.7, 1: 0.3} on ~10% positives: the weights push the model further to
    the majority; the majority-class finding says the weights are inverted."""
    from scen.script import ScriptSpec, run_script

    script = tmp_path / "weighted.py"
    script.write_text(
        "import numpy as np\nimport keras\n"
        "rng = np.random.default_rng(50)\n"
        "x = rng.normal(size=(1000, 5)).astype('float32')\n"
        "y = (x[:, 0] + 0.6 * rng.normal(size=1000) > 1.5).astype('float32')\n"
        "model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(16, activation='relu'),"
        " keras.layers.Dense(1, activation='sigmoid')])\n"
        "model.compile('adam', 'binary_crossentropy', metrics=['accuracy'])\n"
        "model.fit(x, y, epochs=6, class_weight={0: 1.7, 1: 0.3}, verbose=0)\n")
    (run,) = run_script(ScriptSpec(str(script), logdir=str(tmp_path / "runs"), verbose=0)).runs
    f = next(f for f in run.findings if f["name"] == "majority_class_predictor")
    assert "wrong way round" in f["evidence"] and "weighs 1.7" in f["evidence"]


# --- 17. An output layer whose activation cannot be read -----------------------------------------


class _Score(keras.layers.Layer):
    """A custom output: an unbounded linear score (what a similarity or distance head gives)."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 1), initializer="glorot_uniform")

    def call(self, inputs):
        return keras.ops.matmul(inputs, self.w) * 4.0


@pytest.mark.parametrize("head, fires", [
    (lambda: _Score(), True),
    (lambda: layers.Lambda(lambda t: keras.ops.sigmoid(keras.ops.sum(t, axis=-1,
                                                                      keepdims=True))), False),
])
def test_a_custom_output_layer_under_a_probability_loss(head, fires):
    rng = np.random.default_rng(51)
    x = rng.normal(size=(500, 6)).astype("float32")
    y = (x[:, 0] - x[:, 1] > 0).astype("float32")
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((6,)), layers.Dense(16, activation="relu"), head()])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    found = diagnose(model, x, y, epochs=3)
    hit = [f for f in found if f.name == "cross_entropy_on_unbounded_output"]
    assert bool(hit) == fires, report(found)
    if fires:
        assert first(found).name == "cross_entropy_on_unbounded_output", report(found)


# --- 18. A callback that stops a run still improving -------------------------------------------


@pytest.mark.parametrize("stopper, fires", [
    (lambda: keras.callbacks.EarlyStopping(monitor="val_loss", min_delta=0.2, patience=0), True),
    (lambda: keras.callbacks.EarlyStopping(monitor="loss", min_delta=0.5), True),
    (lambda: keras.callbacks.EarlyStopping(monitor="val_loss", patience=3,
                                           restore_best_weights=True), False),
])
def test_a_callback_that_stops_a_run_still_improving(stopper, fires):
    rng = np.random.default_rng(52)
    x = rng.normal(size=(300, 5)).astype("float32")
    y = (x @ rng.normal(size=5) + 0.2 * rng.normal(size=300)).astype("float32")
    model = build(5, [64, 64], 1, None, "mse", optimizer=keras.optimizers.Adam(0.01),
                  metrics=["mae"])
    diag = dx.DiagnoseCallback(x, y, verbose=False)
    history = model.fit(x, y, epochs=150, validation_split=0.3, callbacks=[stopper(), diag],
                        verbose=0)
    assert len(history.history["loss"]) < 150  # every stopper here did stop
    found = diag.findings()
    assert ("stopped_while_improving" in names(found)) == fires, report(found)


# --- 19. Outputs per position (sequence taggers, per-step regressors) ---------------------------


def _per_position(head, loss, rows=240, steps=12, classes=4):
    """(n, steps, 3) sequences into an (n, steps, classes) output; class indices (n, steps)."""
    rng = np.random.default_rng(53)
    x = rng.normal(size=(rows, steps, 3)).astype("float32")
    tags = (x @ rng.normal(size=(3, classes))).argmax(-1).astype("float32")
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((steps, 3)), head(classes)])
    model.compile("rmsprop", loss, metrics=["accuracy"])
    return model, x, tags


@pytest.mark.parametrize("head, loss, fires", [
    (lambda k: layers.Conv1D(k, 3, padding="same", activation="softmax"),
     "categorical_crossentropy", True),
    (lambda k: layers.TimeDistributed(layers.Dense(k, activation="softmax")),
     keras.losses.CategoricalCrossentropy(), True),
    (lambda k: layers.TimeDistributed(layers.Dense(k, activation="softmax")),
     "sparse_categorical_crossentropy", False),
])
def test_class_indices_per_position_under_categorical_crossentropy(head, loss, fires):
    """Tags (n, T) for an (n, T, k) output: one index per position, not one-hot rows; said as
    such, not as labels 'T wide' with a fix to make the output Dense(T)."""
    model, x, tags = _per_position(head, loss)
    found = diagnose(model, x, tags, epochs=2, expect_raise=fires)
    hit = [f for f in found if f.name == "integer_labels_with_categorical_crossentropy"]
    assert bool(hit) == fires, report(found)
    assert "label_shape_mismatch" not in names(found), report(found)
    if fires:
        assert first(found) is hit[0] and "to_categorical(y, 4)" in hit[0].fix, report(found)


def test_an_activation_inside_time_distributed_is_read():
    """TimeDistributed(Dense(1, sigmoid)) for per-step targets in the hundreds: the sigmoid
    cannot reach them, as it could not outside the wrapper."""
    rng = np.random.default_rng(54)
    x = rng.normal(size=(200, 10, 2)).astype("float32")
    y = (300 + 50 * x[..., :1]).astype("float32")
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((10, 2)), layers.GRU(8, return_sequences=True),
                              layers.TimeDistributed(layers.Dense(1, activation="sigmoid"))])
    model.compile("adam", "mse")
    found = diagnose(model, x, y, epochs=2)
    assert first(found).name == "output_cannot_reach_targets", report(found)
    assert "sigmoid" in first(found).evidence


# --- 20. BatchNormalization: moving averages that have not caught up ----------------------------


def _images_with_an_offset(rows=512, offset=120.0):
    """(rows, 8, 8, 1) images around `offset`, 3 classes by which corner is brightest."""
    rng = np.random.default_rng(55)
    x = rng.normal(offset, 20.0, size=(rows, 8, 8, 1)).astype("float32")
    y = np.stack([x[:, :4, :4].mean((1, 2, 3)), x[:, 4:, 4:].mean((1, 2, 3)),
                  x[:, :4, 4:].mean((1, 2, 3))], 1).argmax(1)
    return x, y


def _conv_bn(momentum):
    keras.backend.clear_session()
    keras.utils.set_random_seed(5)
    model = keras.Sequential([
        keras.Input((8, 8, 1)), layers.BatchNormalization(momentum=momentum),
        layers.Conv2D(8, 3, activation="relu"), layers.Dropout(0.2), layers.Flatten(),
        layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model


@pytest.mark.parametrize("momentum, fires", [(0.99, True), (0.5, False)])
def test_batchnorm_averages_that_have_not_caught_up_with_the_inputs(momentum, fires):
    """Images around 120 through a first BatchNormalization, 2 epochs of 4 batches: at
    momentum 0.99 the moving mean is ~8% of the way there, and inference is another model."""
    x, y = _images_with_an_offset()
    model = _conv_bn(momentum)
    diag = dx.DiagnoseCallback(x, y, verbose=False)
    model.fit(x, y, epochs=2, batch_size=128, validation_split=0.25, callbacks=[diag],
              verbose=0)
    found = diag.findings()
    hit = [f for f in found if f.name == "batchnorm_statistics_unsettled"]
    assert bool(hit) == fires, report(found)
    assert "saturated_units" not in names(found) and "dead_relu" not in names(found), report(found)
    if fires:
        assert "'batch_normalization'" in hit[0].evidence and "momentum=0.9" in hit[0].fix
        # the gap it opens between training and validation is its doing, not overfitting
        gaps = [f for f in found if f.name in ("train_val_gap", "overfitting")]
        assert all(f.cause == "batchnorm_statistics_unsettled" for f in gaps), report(found)


def test_batchnorm_before_sigmoids_is_not_saturation_at_initialisation():
    """Raw inputs around 300 into BatchNormalization and then sigmoid units: training
    normalises each batch, so nothing saturates there (inference, with the averages still at
    0 and 1, would); without the BatchNormalization they do saturate."""
    rng = np.random.default_rng(56)
    x = rng.normal(300, 30, size=(400, 6)).astype("float32")
    y = (x[:, 0] > x[:, 1]).astype("float32")
    for normalised in (True, False):
        keras.backend.clear_session()
        model = keras.Sequential(
            [keras.Input((6,))] + ([layers.BatchNormalization()] if normalised else [])
            + [layers.Dense(16, activation="sigmoid"), layers.Dense(1, activation="sigmoid")])
        model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
        pre = dx.preflight(model, x, y)
        assert ("saturated_units" in names(pre)) != normalised, report(pre)


def test_regression_through_batchnorm_with_few_steps():
    """A regressor on features around 50 with a hidden BatchNormalization, one epoch of 6
    batches: its predictions move by their whole spread between the two views."""
    rng = np.random.default_rng(57)
    x = rng.normal(50, 5, size=(600, 4)).astype("float32")
    y = (x[:, :1] - 50 + rng.normal(0, 0.5, (600, 1))).astype("float32")
    keras.backend.clear_session()
    keras.utils.set_random_seed(6)
    model = keras.Sequential([keras.Input((4,)), layers.Dense(16), layers.BatchNormalization(),
                              layers.Activation("relu"), layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    found = diagnose(model, x, y, epochs=1, batch_size=100)
    assert "batchnorm_statistics_unsettled" in names(found), report(found)


def test_looking_at_batch_statistics_changes_nothing_in_training():
    """The diagnosis's batch-statistics view puts the moving averages back and draws nothing
    random (Dropout's masks stay the run's own): the losses are those of a fit without it."""
    x, y = _images_with_an_offset(rows=256)
    histories = []
    for watched in (False, True):
        model = _conv_bn(0.99)
        callbacks = [dx.DiagnoseCallback(x, y, verbose=False)] if watched else []
        histories.append(model.fit(x, y, epochs=2, batch_size=64, callbacks=callbacks,
                                   verbose=0).history["loss"])
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-6)


# --- 21. Swings over several epochs ---------------------------------------------------------------


def _four_classes(optimizer, batch):
    rng = np.random.default_rng(60)
    x = rng.normal(size=(500, 5)).astype("float32")
    y = (x[:, :3] @ rng.normal(size=(3, 4))).argmax(1)
    model = build(5, [32, 32], 4, "softmax", "sparse_categorical_crossentropy",
                  optimizer=optimizer)
    return diagnose(model, x, y, epochs=16, batch_size=batch)


def _sine_regression(optimizer, batch):
    rng = np.random.default_rng(61)
    x = rng.normal(size=(300, 3)).astype("float32")
    y = (np.sin(x[:, 0]) * 3 + x[:, 1]).astype("float32")
    model = build(3, [64, 64], 1, None, "mse", optimizer=optimizer, metrics=(), seed=1)
    return diagnose(model, x, y, epochs=16, batch_size=batch)


@pytest.mark.parametrize("program, fires", [
    # Adam(0.03) on batches of 2: the epoch loss falls for a few epochs, then jumps back up
    # by 50-200%, three times (not the epoch-to-epoch flips the first test looks for).
    (lambda: _four_classes(keras.optimizers.Adam(0.03), 2), True),
    (lambda: _four_classes(keras.optimizers.Adam(1e-3), 1), False),
    # Adagrad(1.0): jumps too, but all of them under a tenth of the constant prediction's
    # loss: learned, and noisy at its floor.
    (lambda: _sine_regression(keras.optimizers.Adagrad(1.0), 2), False),
])
def test_a_loss_that_keeps_jumping_back_up(program, fires):
    found = program()
    assert ("oscillating_loss" in names(found)) == fires, report(found)


# --- 22. What was there before training is no consequence of the run --------------------------


def test_relus_dead_at_initialisation_are_not_worded_a_consequence_of_a_later_divergence():
    """A bias of -2.2 leaves 23 of 24 ReLUs dead before the first step; SGD(0.06) on targets
    of scale 7 then diverges. Two findings of their own: the divergence did not kill units
    that were dead already."""
    rng = np.random.default_rng(70)
    x = rng.normal(size=(400, 4)).astype("float32")
    y = (3 * x @ rng.normal(size=4)).astype("float32")
    keras.backend.clear_session()
    keras.utils.set_random_seed(2)
    model = keras.Sequential([
        keras.Input((4,)),
        layers.Dense(24, activation="relu", bias_initializer=keras.initializers.Constant(-2.2)),
        layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.06), "mse")
    found = diagnose(model, x, y, epochs=8, batch_size=16)
    by_name = {f.name: f for f in found}
    assert {"diverging_loss", "dead_relu"} <= set(by_name), report(found)
    dead = by_name["dead_relu"]
    assert "at initialisation" in dead.summary and dead.epoch == 0
    assert dead.cause is None and "consequence" not in dead.evidence, report(found)


# --- 23. Regression targets holding a missing-value code ----------------------------------------


@pytest.mark.parametrize("targets, fires", [
    # 999 for "not measured" in 2% of a temperature-like target around 15
    (lambda rng, n: np.where(rng.random(n) < 0.02, 999.0, rng.normal(15, 4, n)), True),
    # -1 for "missing" in 5% of a target in the thousands
    (lambda rng, n: np.where(rng.random(n) < 0.05, -1.0, rng.normal(3000, 50, n)), True),
    # heavy tails measured, not coded: lognormal prices repeat no value
    (lambda rng, n: rng.lognormal(0, 1.2, n), False),
])
def test_a_missing_value_code_among_regression_targets(targets, fires):
    rng = np.random.default_rng(58)
    x = rng.normal(size=(1500, 4)).astype("float32")
    y = targets(rng, 1500).astype("float32")
    model = build(4, [16], 1, None, "mse", metrics=())
    found = dx.preflight(model, x, y)
    hit = [f for f in found if f.name == "target_code"]
    assert bool(hit) == fires, report(found)
    if fires:
        assert first(found) is hit[0]


# --- 24. A schedule that raises the rate; what an unbounded output under cross-entropy causes --


def test_a_schedule_that_raises_the_rate_is_named_and_the_rate_is_not_called_too_low():
    rng = np.random.default_rng(59)
    x = rng.normal(size=(256, 3)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5]) + 1).astype("float32")
    model = build(3, [16], 1, None, "mse", optimizer=keras.optimizers.SGD(1e-3), metrics=())
    raise_it = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 2.0)
    diag = dx.DiagnoseCallback(x, y, verbose=False)
    model.fit(x, y, epochs=12, batch_size=32, callbacks=[raise_it, diag], verbose=0)
    found = diag.findings()
    lead = first(found)
    assert lead.name in ("diverging_loss", "nonfinite_values"), report(found)
    assert "rose from 0.001" in lead.evidence, report(found)
    assert "raised the learning rate" in lead.summary and "decay it" in lead.fix
    assert "learning_rate_too_low" not in names(found), report(found)


@pytest.mark.parametrize("activation", ["linear", "relu"])
def test_what_an_unbounded_output_under_cross_entropy_does_is_its_consequence(activation):
    """SGD on an output that is not a probability: whatever else goes wrong on the way (the
    gradients dying where the clipped output sits, the loss rising, the output ReLU dying)
    follows from it; no second root cause with a fix about the learning rate."""
    rng = np.random.default_rng(62)
    x = rng.normal(size=(600, 6)).astype("float32")
    y = (x[:, 0] * x[:, 1] + x[:, 2] > 0).astype("float32")
    model = build(6, [16, 16], 1, activation, "binary_crossentropy",
                  optimizer=keras.optimizers.SGD(0.05))
    found = diagnose(model, x, y, epochs=12)
    assert first(found).name == "cross_entropy_on_unbounded_output", report(found)
    roots = [f.name for f in found if f.severity == "error" and f.cause is None]
    assert roots == ["cross_entropy_on_unbounded_output"], report(found)
    assert "learning_rate_too_low" not in names(found), report(found)


# --- 25. Units that start identical and stay so ---------------------------------------------------


@pytest.mark.parametrize("hidden_init, out_init, fires", [
    (keras.initializers.Constant(0.05), keras.initializers.Constant(0.05), True),
    ("zeros", "zeros", True),
    ("glorot_uniform", "zeros", False),  # a zero head on random units: logistic regression's
    ("zeros", "glorot_uniform", False),  # random weights out of them break the tie at once
])
def test_units_that_start_identical_and_stay_so(hidden_init, out_init, fires):
    rng = np.random.default_rng(63)
    x = rng.normal(size=(300, 5)).astype("float32")
    y = (x[:, 0] * x[:, 1] > 0).astype("float32")
    keras.backend.clear_session()
    inputs = keras.Input((5,))
    h = layers.Dense(12, activation="tanh", kernel_initializer=hidden_init)(inputs)
    out = layers.Dense(1, activation="sigmoid", kernel_initializer=out_init)(h)
    model = keras.Model(inputs, out)
    model.compile(keras.optimizers.RMSprop(0.01), "binary_crossentropy", metrics=["accuracy"])
    found = diagnose(model, x, y, epochs=6)
    hit = [f for f in found if f.name == "symmetric_units"]
    assert bool(hit) == fires, report(found)
    if fires:
        assert first(found) is hit[0] and "12 units of layer 'dense'" in hit[0].evidence


# --- 26. A class the weights leave out -------------------------------------------------------------


@pytest.mark.parametrize("weighting, fires", [
    ("sample", True),    # sample_weight = (y == 2) * 4.0: classes 0 and 1 weigh nothing
    ("class", True),     # class_weight={0: 0.0, 1: 1.0, 2: 1.0}
    ("balanced", False),
])
def test_a_class_the_weights_leave_out(weighting, fires):
    rng = np.random.default_rng(64)
    x = rng.normal(size=(900, 4)).astype("float32")
    y = np.digitize(x[:, 0] + 0.3 * x[:, 1], [-0.4, 0.6])
    model = build(4, [16], 3, "softmax", "sparse_categorical_crossentropy")
    kwargs = {"sample": dict(sample_weight=(y == 2) * 4.0),
              "class": dict(class_weight={0: 0.0, 1: 1.0, 2: 1.0}),
              "balanced": dict(class_weight={c: 900 / (3 * np.sum(y == c)) for c in range(3)})}
    weights = (kwargs[weighting].get("sample_weight") if weighting == "sample" else
               np.array([kwargs[weighting]["class_weight"][c] for c in y]))
    diag = dx.DiagnoseCallback(x, y, verbose=False, sample_weight=weights)
    model.fit(x, y, epochs=5, batch_size=32, callbacks=[diag], verbose=0, **kwargs[weighting])
    found = diag.findings()
    hit = [f for f in found if f.name == "zero_weight_class"]
    assert bool(hit) == fires, report(found)
    if fires:
        assert first(found) is hit[0], report(found)


# --- 27. A deep stack with nothing that bends -------------------------------------------------


@pytest.mark.parametrize("target, hidden_activation, fires", [
    (lambda x: x[:, 0] * x[:, 1], None, True),       # an interaction: no linear map fits it
    (lambda x: x @ np.array([1.0, -2.0, 0.5]), None, False),  # a linear target: it learns
    (lambda x: x[:, 0] * x[:, 1], "relu", False),   # the same interaction with ReLUs
])
def test_dense_layers_without_activations_make_a_linear_model(target, hidden_activation, fires):
    rng = np.random.default_rng(65)
    x = rng.normal(size=(800, 3)).astype("float32")
    y = target(x).astype("float32")
    model = build(3, [32, 32], 1, None, "mse", metrics=(), hidden_activation=hidden_activation,
                  optimizer=keras.optimizers.Adam(0.01))
    found = diagnose(model, x, y, epochs=15)
    assert ("linear_model" in names(found)) == fires, report(found)
    if fires:
        assert first(found).name == "linear_model", report(found)


# --- 28. An output that keeps its time axis -------------------------------------------------------


@pytest.mark.parametrize("body, loss, fires", [
    (lambda: [layers.LSTM(8, return_sequences=True)], "mse", True),
    (lambda: [layers.Conv1D(8, 3, activation="relu")], "binary_crossentropy", True),
    (lambda: [layers.LSTM(8)], "mse", False),
    (lambda: [layers.Conv1D(8, 3, activation="relu"), layers.GlobalAveragePooling1D()],
     "binary_crossentropy", False),
])
def test_an_output_with_a_time_axis_for_one_label_per_sample(body, loss, fires):
    rng = np.random.default_rng(66)
    x = rng.normal(size=(200, 15, 2)).astype("float32")
    y = (x[:, :, 0].mean(1) > 0).astype("float32")
    keras.backend.clear_session()
    head = "sigmoid" if loss == "binary_crossentropy" else None
    model = keras.Sequential([keras.Input((15, 2)), *body(), layers.Dense(1, activation=head)])
    model.compile("adam", loss)
    found = diagnose(model, x, y, epochs=2, expect_raise=fires and loss != "mse")
    hit = [f for f in found if f.name == "output_has_extra_axes"]
    assert bool(hit) == fires, report(found)
    if fires:
        assert first(found) is hit[0] and "return_sequences=False" in hit[0].fix, report(found)


# --- 29. Fractions where class indices go -----------------------------------------------------


@pytest.mark.parametrize("labels, name", [
    (lambda p: np.where(p > 0.5, 0.8, 0.2), "sparse_labels_not_integer"),  # soft 0/1 targets
    (lambda p: np.select([p > 0.66, p > 0.33], [0.9, 0.5], 0.1), "sparse_labels_not_integer"),
    (lambda p: np.round(p * 2, 1), "regression_with_classification_loss"),  # 19 values
    (lambda p: (p > 0.5) * 3.0, "sparse_label_out_of_range"),  # 3 for 3 units: out of range
])
def test_fractional_labels_under_a_sparse_loss_are_said_as_such(labels, name):
    rng = np.random.default_rng(67)
    x = rng.normal(size=(300, 4)).astype("float32")
    p = 1 / (1 + np.exp(-x[:, 0]))
    model = build(4, [8], 3, "softmax", "sparse_categorical_crossentropy")
    found = dx.preflight(model, x, labels(p).astype("float32"))
    assert first(found).name == name, report(found)
    assert "torch, which raises" not in first(found).evidence or name != "sparse_labels_not_integer"


# --- 30. A classifier trained with a regression loss ---------------------------------------------


@pytest.mark.parametrize("out, activation, loss, targets, fires", [
    (1, "sigmoid", "mse", lambda x: (x[:, 0] > 0).astype("float32"), True),
    (3, "softmax", "mae", lambda x: np.eye(3)[np.digitize(x[:, 0], [-0.5, 0.5])], True),
    (1, None, "mse", lambda x: (x[:, 0] > 0).astype("float32"), False),  # a linear score
    (1, "sigmoid", "mse", lambda x: 1 / (1 + np.exp(-x[:, 0] - x[:, 1])), False),  # fractions
])
def test_a_classifier_trained_with_a_regression_loss(out, activation, loss, targets, fires):
    rng = np.random.default_rng(68)
    x = rng.normal(size=(300, 4)).astype("float32")
    model = build(4, [8], out, activation, loss, metrics=())
    found = dx.preflight(model, x, targets(x).astype("float32"))
    hit = [f for f in found if f.name == "classification_with_regression_loss"]
    assert bool(hit) == fires, report(found)
    if fires:
        wanted = "categorical_crossentropy" if activation == "softmax" else "binary_crossentropy"
        assert wanted in hit[0].fix


# --- 31. Validation data prepared otherwise than the training data ------------------------------


def _fit_with_validation(x, y, x_val, y_val, model):
    diag = dx.DiagnoseCallback(x, y, verbose=False, validation_data=(x_val, y_val))
    model.fit(x, y, epochs=8, batch_size=32, validation_data=(x_val, y_val), callbacks=[diag],
              verbose=0)
    return diag.findings()


@pytest.mark.parametrize("prepare_validation, fires", [
    (lambda v: v * 255.0, True),    # training pixels / 255, validation left at 0..255
    (lambda v: v * 100.0 + 3.0, True),  # metres for training, centimetres for validation
    (lambda v: v, False),
])
def test_validation_inputs_prepared_otherwise_than_training(prepare_validation, fires):
    rng = np.random.default_rng(69)
    raw = rng.random(size=(1200, 10)).astype("float32")
    labels = (raw[:, :5].sum(1) > raw[:, 5:].sum(1)).astype("float32")
    x, y, x_val, y_val = raw[:900], labels[:900], prepare_validation(raw[900:]), labels[900:]
    model = build(10, [16], 1, "sigmoid", "binary_crossentropy",
                  optimizer=keras.optimizers.Adam(0.01))
    found = _fit_with_validation(x, y, x_val, y_val, model)
    hit = [f for f in found if f.name == "validation_unlike_training"]
    assert bool(hit) == fires, report(found)
    if fires:
        assert first(found) is hit[0], report(found)


# --- 32. Tied outputs from a layer that passes nothing on ------------------------------------------


def test_outputs_tied_because_nothing_upstream_varies_point_upstream():
    """A 2-unit ReLU layer whose bias starts at -10 outputs 0 for every row: the softmax after
    it gives every class the same probability, so argmax ties; the fix looks upstream, not at
    saturated sigmoids."""
    rng = np.random.default_rng(71)
    x = rng.normal(size=(200, 6)).astype("float32")
    y = rng.integers(0, 5, 200)
    keras.backend.clear_session()
    model = keras.Sequential([
        keras.Input((6,)), layers.Dense(2, activation="relu",
                                        bias_initializer=keras.initializers.Constant(-10.0)),
        layers.Dense(16, activation="relu"), layers.Dense(5, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    found = dx.preflight(model, x, y)
    (ties,) = [f for f in found if f.name == "argmax_ties"]
    assert "every unit the same value" in ties.evidence and "upstream" in ties.fix, report(found)
    assert "dead_relu" in names(found)


# --- 33. Units saturated by the initialiser, not by the inputs -----------------------------------


@pytest.mark.parametrize("scale, init, blamed", [
    (1.0, keras.initializers.RandomUniform(-8.0, 8.0), True),   # scaled inputs, wide kernel
    (400.0, "glorot_uniform", False),  # raw inputs in the hundreds: the inputs' doing
])
def test_units_saturated_by_a_wide_initialiser_name_it(scale, init, blamed):
    rng = np.random.default_rng(72)
    x = (rng.normal(size=(300, 12)) * scale).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((12,)),
                              layers.Dense(24, activation="sigmoid", kernel_initializer=init),
                              layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    found = dx.preflight(model, x, y)
    sat = [f for f in found if f.name == "saturated_units"]
    assert sat, report(found)
    assert ("RandomUniform" in sat[0].fix) == blamed, report(found)
    assert ("Glorot's" in sat[0].evidence) == blamed


# ---------------------------------------------------------------- runs that end too soon
def _three_linear_classes(seed=3, noise=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(600, 8)).astype("float32")
    y = (x @ rng.normal(size=(8, 3))).argmax(1)
    if noise:
        y = np.where(rng.random(600) < noise, rng.integers(0, 3, 600), y)
    return x, y


def test_a_run_that_ends_still_learning_says_train_longer():
    """Plain SGD on a separable 3-class problem, 6 epochs: accuracy climbs every epoch to
    ~0.53 and the run ends; more epochs (or a higher rate) would go on."""
    x, y = _three_linear_classes()
    model = build(8, [], 3, "softmax", "sparse_categorical_crossentropy",
                  optimizer=keras.optimizers.SGD(0.01))
    found = diagnose(model, x, y, 6, batch_size=64)
    assert first(found).name == "still_improving_at_end", report(found)
    assert "the last of the 6 asked" in first(found).evidence and "epochs" in first(found).fix


@pytest.mark.parametrize("case", ["converged", "levelled_off_noisy_labels"])
def test_a_run_that_levelled_off_or_learned_is_not_told_to_train_longer(case):
    x, y = _three_linear_classes(noise=0.3 if case != "converged" else 0.0)
    model = build(8, [], 3, "softmax", "sparse_categorical_crossentropy",
                  optimizer=keras.optimizers.Adam(0.05 if case != "converged" else 0.01))
    found = diagnose(model, x, y, 12 if case != "converged" else 30, batch_size=64)
    assert "still_improving_at_end" not in names(found), report(found)


def test_a_short_run_frozen_at_chance_with_a_falling_loss_is_a_slow_start():
    """XOR-like labels, four tanh units, SGD at 0.003 for 5 epochs: accuracy never leaves
    chance while the loss falls a little every epoch: learning, slowly."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(600, 8)).astype("float32")
    y = (x[:, 0] * x[:, 1] > 0).astype("float32")
    model = build(8, [4], 1, "sigmoid", "binary_crossentropy",
                  optimizer=keras.optimizers.SGD(0.003), hidden_activation="tanh")
    found = diagnose(model, x, y, 5, batch_size=64)
    top = first(found)
    assert top.name == "slow_start" and "all 5 epochs" in top.summary, report(found)
    assert "more epochs" in top.fix and "learning rate" in top.fix


def test_a_short_run_at_chance_whose_loss_does_not_fall_is_not_called_slow():
    """The same net with no signal in the labels: at chance, the loss wandering, not falling
    every epoch, so nothing says 'train longer'."""
    rng = np.random.default_rng(4)
    x = rng.normal(size=(600, 8)).astype("float32")
    y = rng.integers(0, 2, 600).astype("float32")
    model = build(8, [4], 1, "sigmoid", "binary_crossentropy",
                  optimizer=keras.optimizers.Adam(0.01), hidden_activation="tanh")
    found = diagnose(model, x, y, 5, batch_size=64)
    assert not any(f.name in ("slow_start", "still_improving_at_end") for f in found
                   if f.severity != "info"), (report(found), model.history.history)


# --- Diagnosis v3: causes before symptoms -------------------------------------------------------


@pytest.mark.parametrize("loss, make_y, fires", [
    # a filter that kept one class: every sparse label is 3
    ("sparse_categorical_crossentropy", lambda n, rng: np.full(n, 3), True),
    # one-hot rows that all mark class 1 (a label column overwritten)
    ("categorical_crossentropy", lambda n, rng: np.tile([0.0, 1.0, 0.0, 0.0], (n, 1)), True),
    # the control: four classes, unevenly
    ("sparse_categorical_crossentropy", lambda n, rng: rng.choice(4, n, p=[.7, .1, .1, .1]),
     False),
])
def test_labels_of_a_single_class_are_the_root_cause(loss, make_y, fires):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(300, 6)).astype("float32")
    y = make_y(300, rng).astype("float32")
    model = build(6, [16], 4, "softmax", loss)
    found = diagnose(model, x, y, 4)
    if fires:
        top = first(found)
        assert top.name == "labels_one_class" and top.severity == "error", report(found)
        assert "all 300 training labels are" in top.evidence
        assert all(f.cause == "labels_one_class" for f in found[1:] if f.severity == "info"
                   and f.name in ("slow_start", "majority_class_predictor")), report(found)
    else:
        assert "labels_one_class" not in names(found), report(found)


def test_a_recurrent_net_at_a_tiny_rate_is_told_the_rate():
    """A GRU's bias is 2-D in Keras and starts at zero: its relative change is large whatever
    the rate, so the rate is read from the kernels. SimpleRNN regression, SGD at 1e-6."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(480, 12, 2)).astype("float32")
    y = x[:, :, 0].mean(axis=1, keepdims=True).astype("float32") * 3
    keras.backend.clear_session()
    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input((12, 2)), layers.GRU(16), layers.Dense(1)])
    model.compile(keras.optimizers.SGD(1e-6), "mse")
    found = diagnose(model, x, y, 6)
    assert first(found).name == "learning_rate_too_low", report(found)


def test_gradients_that_die_on_raw_inputs_are_blamed_on_the_inputs():
    """Sensor readings in the thousands into sigmoid units, Adam: the units saturate and every
    gradient goes to zero; the report leads with the unscaled inputs, not the rate."""
    rng = np.random.default_rng(12)
    x = (rng.normal(size=(400, 5)) * 3000 + 5000).astype("float32")
    y = (x[:, 0] > 5000).astype("float32")
    model = build(5, [8, 8], 1, "sigmoid", "binary_crossentropy", hidden_activation="sigmoid")
    found = diagnose(model, x, y, 6)
    assert first(found).name == "unscaled_inputs", report(found)
    symptoms = [f for f in found if f.name in ("gradients_died", "no_gradient",
                                               "saturated_units", "majority_class_predictor")]
    assert symptoms and all(f.cause for f in symptoms), report(found)


@pytest.mark.parametrize("units, fires", [(1, True), (6, False)])
def test_a_layer_normalisation_over_one_value_is_a_constant(units, fires):
    """A gating branch, Dense(units) then LayerNormalization, added to the main path: over one
    unit it outputs its beta whatever comes in, and the branch's Dense gets no gradient (the
    control normalises six)."""
    rng = np.random.default_rng(21)
    x = rng.normal(size=(320, 6)).astype("float32")
    y = (x[:, 0] + x[:, 3] > 0).astype("float32")
    keras.backend.clear_session()
    keras.utils.set_random_seed(21)
    inputs = keras.Input((6,))
    main = layers.Dense(6, activation="relu")(inputs)
    gate = layers.LayerNormalization()(layers.Dense(units, name="gate")(inputs))
    outputs = layers.Dense(1, activation="sigmoid")(layers.Concatenate()([main, gate]))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    found = diagnose(model, x, y, 4)
    if fires:
        assert first(found).name == "normalisation_of_one_value", report(found)
        # the branch's gradient, exactly zero or a rounding error away, follows from it
        dead = [f for f in found if f.name in ("weights_without_gradient",
                                                "vanishing_gradients")]
        assert dead and dead[0].cause == "normalisation_of_one_value" and "gate" in \
            dead[0].evidence, report(found)
    else:
        assert "normalisation_of_one_value" not in names(found), report(found)


@pytest.mark.parametrize("padding, mask_zero, rnn, fires", [
    ("post", False, "GRU", True),  # the tokens first, then 30-odd zeros read last
    ("pre", False, "GRU", False),  # Keras's default: the zeros first
    ("post", True, "SimpleRNN", False),  # masked: the zeros are skipped
    ("post", False, "SimpleRNN", True),
])
def test_sequences_padded_after_their_tokens_into_a_recurrent_layer(padding, mask_zero, rnn,
                                                                    fires):
    rng = np.random.default_rng(40)
    texts = [list(rng.integers(1, 300, rng.integers(3, 9))) for _ in range(200)]
    ids = keras.utils.pad_sequences(texts, maxlen=40, padding=padding)
    y = rng.integers(0, 2, 200).astype("float32")
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((40,)), layers.Embedding(300, 8, mask_zero=mask_zero),
                              getattr(layers, rnn)(8), layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    found = [f for f in dx.preflight(model, ids, y, labels=y, inputs=ids)
             if f.name == "padding_read_last"]
    assert bool(found) == fires, found
    if fires:
        assert found[0].severity == "error" and rnn in found[0].evidence
