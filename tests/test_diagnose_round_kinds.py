"""Kinds added after round 2026-12-07's misses, each on small programs of its own (synthetic
data, models and sizes unlike the round's programs), torch backend, with controls that must
stay silent: a run that ends still improving (short runs, and regressions read on the loss),
validation at chance while the training accuracy is at chance too, features on scales orders
of magnitude apart, class ids trained as one regression output, a feature that copies the
target, rows sorted by class under fit(shuffle=False), and a hidden layer of one unit."""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from scen import diagnose as dx  # noqa: E402
from scen.diagnose.data import check_class_order, check_feature_copies_target  # noqa: E402
from scen.diagnose.preflight import check_bottleneck  # noqa: E402

keras = pytest.importorskip("keras")
layers = keras.layers

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # see conftest.py


def fit_diagnosed(model, x, y, epochs, **fit):
    diag = dx.DiagnoseCallback(x, y, verbose=False)
    model.fit(x, y, epochs=epochs, callbacks=[diag], verbose=0, **fit)
    return diag.findings()


def shown(findings):
    return [f.name for f in findings if f.severity in ("error", "warning")]


def report(findings):
    return dx.format_report(findings)


def mlp(n_in, hidden, out, activation, loss, optimizer, metrics=(), seed=0):
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((n_in,))]
                             + [layers.Dense(h, activation="relu") for h in hidden]
                             + [layers.Dense(out, activation=activation)])
    model.compile(optimizer=optimizer, loss=loss, metrics=list(metrics))
    return model


# --- a run that ends while still improving --------------------------------------------------


def _regression(seed, rows=800, noise=0.1):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 6)).astype("float32")
    y = (np.sin(x[:, 0]) + x[:, 1] * x[:, 2] + noise * rng.normal(size=rows)).astype("float32")
    return x, y


def test_a_regression_stopped_while_its_loss_still_falls_fast():
    """Plain SGD at a small rate for 4 epochs: the MSE falls well over 5% an epoch, the
    validation loss with it, when fit ends. Read on the loss: there is no accuracy."""
    x, y = _regression(11)
    model = mlp(6, [32], 1, None, "mse", keras.optimizers.SGD(0.003), metrics=["mae"])
    found = fit_diagnosed(model, x, y, 4, batch_size=32, validation_split=0.2)
    hit = [f for f in found if f.name == "still_improving_at_end"]
    assert hit and "loss fell" in hit[0].evidence and "loss had not levelled" in hit[0].fix, \
        report(found)


def test_a_regression_trained_to_its_floor_is_not_told_to_train_longer():
    x, y = _regression(12)
    model = mlp(6, [32, 32], 1, None, "mse", keras.optimizers.Adam(0.01))
    found = fit_diagnosed(model, x, y, 30, batch_size=32, validation_split=0.2)
    assert "still_improving_at_end" not in shown(found), report(found)


def test_two_epochs_of_a_climbing_classifier_are_still_improving():
    """A 4-class problem, 2 epochs of a slow Adam: the accuracy climbs steeply in both."""
    rng = np.random.default_rng(13)
    x = rng.normal(size=(2000, 10)).astype("float32")
    y = (x @ rng.normal(size=(10, 4))).argmax(1)
    model = mlp(10, [16], 4, "softmax", "sparse_categorical_crossentropy",
                keras.optimizers.Adam(3e-4), metrics=["accuracy"])
    found = fit_diagnosed(model, x, y, 2, batch_size=64)
    assert "still_improving_at_end" in shown(found), (report(found), model.history.history)


# --- validation at chance, with the training accuracy near chance too -------------------------


@pytest.mark.parametrize("labels, fires", [
    ("drawn apart", True),  # the labels come from another draw of rows: nothing links them
    ("kept together", False),
])
def test_labels_drawn_apart_from_the_inputs_leave_validation_at_chance(labels, fires):
    """Tabular data, labels taken with a second index draw: a small net memorises a little
    (training accuracy a few points over chance) while the validation loss rises from the
    first epoch and never beats predicting the class shares."""
    rng = np.random.default_rng(21)
    x_all = rng.normal(size=(6000, 12)).astype("float32")
    y_all = (x_all[:, :3].sum(axis=1) + 0.5 * rng.normal(size=6000) > 0.4).astype("float32")
    rows = rng.choice(6000, 1500, replace=False)
    other = rows if labels == "kept together" else rng.choice(6000, 1500, replace=False)
    x, y = x_all[rows], y_all[other]
    model = mlp(12, [64, 64], 1, "sigmoid", "binary_crossentropy",
                keras.optimizers.Adam(0.003), metrics=["accuracy"])
    found = fit_diagnosed(model, x, y, 10, batch_size=32, validation_split=0.25)
    if fires:
        assert shown(found)[:1] == ["validation_at_chance"], report(found)
    else:
        assert "validation_at_chance" not in shown(found), report(found)


# --- features on scales orders of magnitude apart ----------------------------------------------


def _columns(rng, rows=300):
    return np.stack([rng.normal(40, 12, rows), rng.normal(60_000, 20_000, rows),
                     rng.normal(3, 1, rows), rng.normal(700, 50, rows)], axis=1)


@pytest.mark.parametrize("scaling, fires", [
    ("one global max", True),  # x / x.max(): the ratios between columns survive
    ("per column", False),
    ("per column, with 0/1 flags", False),  # a rare flag's spread is not its scale
])
def test_features_scaled_by_one_global_number(scaling, fires):
    rng = np.random.default_rng(5)
    raw = _columns(rng)
    if scaling == "one global max":
        x = raw / raw.max()
    else:
        x = (raw - raw.mean(0)) / raw.std(0)
        if "flags" in scaling:
            x = np.concatenate([x, (rng.random((len(x), 3)) < 0.01)], axis=1)
    model = mlp(x.shape[1], [8], 1, "sigmoid", "binary_crossentropy", "adam")
    found = [f for f in dx.preflight(model, x.astype("float32"), np.zeros(len(x)))
             if f.name == "unscaled_inputs"]
    assert bool(found) == fires, report(found)
    if fires:
        assert "apart" in found[0].evidence and "Normalization" in found[0].fix


# --- class ids trained as one regression output -------------------------------------------------


@pytest.mark.parametrize("targets, fires", [
    ("grades 1-6", True),
    ("prices", False),  # continuous: accuracy measures nothing, but they are not classes
])
def test_class_ids_on_one_regression_unit(targets, fires):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(600, 5)).astype("float32")
    score = x @ rng.normal(size=5)
    y = (np.digitize(score, np.quantile(score, [0.2, 0.4, 0.6, 0.8, 0.9])) + 1
         if targets == "grades 1-6" else 100 + 10 * score).astype("float32")
    model = mlp(5, [16], 1, None, "mae", "adam", metrics=["accuracy"])
    found = fit_diagnosed(model, x, y, 3, batch_size=32)
    hit = [f for f in found if f.name == "classification_with_regression_loss"]
    assert bool(hit) == fires, report(found)
    if fires:
        assert "Dense(6, activation='softmax')" in hit[0].fix, report(found)
    else:
        assert "metric_does_not_fit_task" in shown(found), report(found)


# --- a feature that copies the target --------------------------------------------------------------


def test_a_feature_known_only_after_the_outcome_gives_the_class_away():
    """Three classes; column 4 is a code set from the outcome (0, then 1-2 for class 1, then
    5-9 for class 2): each class in a range of its own."""
    rng = np.random.default_rng(2)
    x = rng.normal(size=(900, 6))
    y = (x[:, 0] + rng.normal(size=900) > 0).astype(int) + (x[:, 1] > 1)
    x[:, 4] = np.where(y == 0, 0.0, np.where(y == 1, rng.uniform(1, 2, 900),
                                             rng.uniform(5, 9, 900)))
    found = check_feature_copies_target(x, y)
    assert [f.name for f in found] == ["feature_copies_target"]
    assert "feature 4" in found[0].evidence


def test_a_window_that_includes_the_step_to_predict():
    rng = np.random.default_rng(3)
    series = np.cumsum(rng.normal(size=3000))
    windows = np.stack([series[i:i + 24] for i in range(2900)])[..., None]  # (n, 24, 1)
    target = series[23:2923]  # the window's own last step
    found = check_feature_copies_target(windows, target)
    assert [f.name for f in found] == ["feature_copies_target"] and "feature 23" in \
        found[0].evidence
    assert check_feature_copies_target(windows, series[24:2924]) == []  # the next step: honest


@pytest.mark.parametrize("seed", [0, 1])
def test_honest_features_give_nothing_away(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(2000, 8))
    y = (x[:, :3].sum(axis=1) + 0.3 * rng.normal(size=2000) > 0).astype(float)
    assert check_feature_copies_target(x, y) == []
    blobs = np.concatenate([rng.normal(-5, 1, (500, 2)), rng.normal(5, 1, (500, 2))])
    assert check_feature_copies_target(blobs, np.repeat([0, 1], 500)) == []  # apart, honestly
    smooth = np.sin(np.arange(3000) * 0.05)
    windows = np.stack([smooth[i:i + 10] for i in range(2900)])
    assert check_feature_copies_target(windows, smooth[10:2910]) == []


# --- rows sorted by class, fit(shuffle=False) --------------------------------------------------------


def test_rows_sorted_by_class_without_shuffling():
    y = np.repeat(np.arange(5), 200)
    found = check_class_order(y, shuffle=False, validation_split=0.1)
    assert [f.name for f in found] == ["batches_sorted_by_class"]
    assert "classes [4]" in found[0].evidence  # what validation_split held out
    one_hot = np.eye(5)[y]
    assert check_class_order(one_hot, shuffle=False)  # one-hot rows read as their class
    assert check_class_order(y, shuffle=True) == []  # fit shuffles them
    rng = np.random.default_rng(0)
    assert check_class_order(rng.permutation(y), shuffle=False) == []  # already mixed
    assert check_class_order(np.sort(rng.normal(size=1000)), shuffle=False) == []  # a regression


# --- a hidden layer of one unit ---------------------------------------------------------------------


def test_a_one_unit_layer_before_a_ten_class_head():
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((20,)), layers.Dense(64, activation="relu"),
                              layers.Dense(1, activation="relu", name="code"),
                              layers.Dense(10, activation="softmax")])
    found = check_bottleneck(model)
    assert [(f.name, f.layer) for f in found] == [("bottleneck_of_one_unit", "code")]


def test_one_unit_scores_per_step_and_one_unit_regressions_are_not_bottlenecks():
    keras.backend.clear_session()
    inp = keras.Input((12, 8))
    scores = layers.Dense(1, name="score")(inp)  # (n, 12, 1): attention weights per step
    weights = layers.Softmax(axis=1)(scores)
    pooled = layers.Flatten()(layers.Dot(axes=1)([weights, inp]))
    model = keras.Model(inp, layers.Dense(5, activation="softmax")(pooled))
    assert check_bottleneck(model) == []
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1), layers.Dense(1)])
    assert check_bottleneck(model) == []


# --- the same kinds on torch and JAX ------------------------------------------------------------

# Each program prints the kinds its diagnosis shows (warnings and errors), run in a process of
# its own per backend: each backend draws its own initial weights for the seed, and the kinds
# must not hang on the draw.
AGREE = {
    "labels drawn apart": """
rng = np.random.default_rng(21)
x_all = rng.normal(size=(6000, 12)).astype("float32")
y_all = (x_all[:, :3].sum(axis=1) + 0.5 * rng.normal(size=6000) > 0.4).astype("float32")
x, y = x_all[rng.choice(6000, 1500, replace=False)], y_all[rng.choice(6000, 1500, replace=False)]
model = keras.Sequential([keras.Input((12,)), layers.Dense(64, activation="relu"),
                          layers.Dense(64, activation="relu"), layers.Dense(1, activation="sigmoid")])
model.compile(keras.optimizers.Adam(0.003), "binary_crossentropy", metrics=["accuracy"])
fit = dict(x=x, y=y, epochs=10, batch_size=32, validation_split=0.25)
""",
    "a regression stopped early": """
rng = np.random.default_rng(11)
x = rng.normal(size=(800, 6)).astype("float32")
y = (np.sin(x[:, 0]) + x[:, 1] * x[:, 2] + 0.1 * rng.normal(size=800)).astype("float32")
model = keras.Sequential([keras.Input((6,)), layers.Dense(32, activation="relu"), layers.Dense(1)])
model.compile(keras.optimizers.SGD(0.003), "mse", metrics=["mae"])
fit = dict(x=x, y=y, epochs=4, batch_size=32, validation_split=0.2)
""",
    "class ids on one unit": """
rng = np.random.default_rng(8)
x = rng.normal(size=(600, 5)).astype("float32")
score = x @ rng.normal(size=5)
y = (np.digitize(score, np.quantile(score, [0.2, 0.4, 0.6, 0.8, 0.9])) + 1).astype("float32")
model = keras.Sequential([keras.Input((5,)), layers.Dense(16, activation="relu"), layers.Dense(1)])
model.compile("adam", "mae", metrics=["accuracy"])
fit = dict(x=x, y=y, epochs=3, batch_size=32)
""",
}
HARNESS = """
import json
import numpy as np
import keras
from keras import layers
from scen import diagnose as dx
keras.utils.set_random_seed(0)
{program}
diag = dx.DiagnoseCallback(fit["x"], fit["y"], verbose=False)
model.fit(**fit, callbacks=[diag], verbose=0)
print(json.dumps(sorted({{f.name for f in diag.findings() if f.severity != "info"}})))
"""


def kinds_on(backend: str, program: str) -> list[str]:
    import json
    import subprocess
    import sys

    env = dict(os.environ, KERAS_BACKEND=backend, JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", HARNESS.format(program=program)], env=env,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(AGREE))
def test_torch_and_jax_show_the_same_kinds(case):
    pytest.importorskip("jax")
    torch_kinds = kinds_on("torch", AGREE[case])
    assert torch_kinds, case  # each program has a fault to show
    assert kinds_on("jax", AGREE[case]) == torch_kinds


# --- kinds added after round 2026-12-08 (first half) --------------------------------------------


def test_a_second_softmax_on_probabilities():
    from scen.diagnose.preflight import check_squashed_twice

    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((6,)), layers.Dense(4, activation="softmax"),
                              layers.Activation("softmax", name="again")])
    (f,) = check_squashed_twice(model)
    assert f.name == "probabilities_as_logits" and f.layer == "again" and f.severity == "error"
    inp = keras.Input((6,))
    logits = layers.Dense(3)(inp)
    fine = keras.Model(inp, layers.Activation("sigmoid")(layers.Dense(3, activation="relu")(
        layers.Softmax()(logits))))  # a softmax, then a Dense: not squashed twice
    assert check_squashed_twice(fine) == []


@pytest.mark.parametrize("weights, fires", [
    ({0: 0.9, 1: 0.1}, True),  # the class shares as weights: inverted
    ({0: 0.55, 1: 5.0}, False),  # sklearn's "balanced"
])
def test_class_weights_that_follow_the_class_shares(weights, fires):
    rng = np.random.default_rng(31)
    x = rng.normal(size=(1000, 6)).astype("float32")
    y = (x[:, 0] + 0.3 * rng.normal(size=1000) > 1.28).astype("float32")  # ~10% positives
    model = mlp(6, [16], 1, "sigmoid", "binary_crossentropy", "adam", metrics=["accuracy"])
    diag = dx.DiagnoseCallback(x, y, verbose=False,
                               sample_weight=np.where(y == 1, weights[1], weights[0]))
    model.fit(x, y, epochs=3, class_weight=weights, callbacks=[diag], verbose=0)
    assert ("class_weights_favour_majority" in shown(diag.findings())) == fires, \
        report(diag.findings())


def test_two_inputs_fed_one_array():
    from scen.diagnose.data import check_same_array_twice

    rng = np.random.default_rng(5)
    user, item = rng.normal(size=(50, 4)), rng.normal(size=(50, 4))
    (f,) = check_same_array_twice({"user": user, "item": user})
    assert f.name == "inputs_fed_the_same_array" and "'item'" in f.evidence
    assert check_same_array_twice({"user": user, "item": item}) == []
    assert check_same_array_twice([np.zeros((5, 2)), np.zeros((5, 2))]) == []  # all constant


@pytest.mark.parametrize("scaling, fires", [
    ("rows", True), ("features", False), ("one-hot rows", False)])
def test_rows_normalised_instead_of_features(scaling, fires):
    rng = np.random.default_rng(6)
    raw = np.abs(rng.normal(size=(300, 7))) * [1, 10, 100, 3, 2, 50, 7]
    x = (keras.utils.normalize(raw) if scaling == "rows" else
         (raw - raw.mean(0)) / raw.std(0) if scaling == "features" else
         np.eye(7)[rng.integers(0, 7, 300)])
    model = mlp(7, [8], 1, None, "mse", "adam")
    found = [f.name for f in dx.preflight(model, x.astype("float32"), rng.normal(size=300))]
    assert ("rows_normalised" in found) == fires, found


@pytest.mark.parametrize("oversampled, copies", [(True, True), (False, False)])
def test_a_validation_split_of_rows_oversampled_before_it(oversampled, copies):
    """fit(validation_split=0.25) takes the last rows of x: where the rare rows were repeated
    before (np.repeat, then a shuffle), most of them have a copy among the training rows."""
    rng = np.random.default_rng(9)
    x = rng.normal(size=(800, 10))
    y = (rng.random(800) < 0.1).astype(float)
    if oversampled:
        rare = np.flatnonzero(y == 1)
        x, y = np.concatenate([x, np.repeat(x[rare], 6, axis=0)]), np.concatenate(
            [y, np.ones(6 * len(rare))])
    p = rng.permutation(len(x))
    diag = dx.Diagnostics(x[p], y[p])
    diag.check_fit(shuffle=True, validation_split=0.25)
    share = diag.facts.validation_copies["share"]
    assert (share >= 0.3) == copies, share


@pytest.mark.parametrize("column, fires", [
    ("missing as 1e9", True),
    ("missing as -999", True),
    ("heavy-tailed, no code", False),  # incomes: far values, but none repeated exactly
])
def test_a_missing_value_code_in_a_feature(column, fires):
    from scen.diagnose.data import check_input_codes

    rng = np.random.default_rng(12)
    x = rng.normal(size=(2000, 5))
    if column == "heavy-tailed, no code":
        x[:, 2] = rng.lognormal(10, 1.5, 2000)
    else:
        x[rng.random(2000) < 0.04, 2] = 1e9 if "1e9" in column else -999
    found = check_input_codes(x)
    assert bool(found) == fires, found
    if fires:
        assert found[0].name == "input_code" and "feature 2" in found[0].evidence


@pytest.mark.parametrize("head, fires", [
    ("every step", True),  # return_sequences=True into Dense(1): (n, 24, 1) against (n, 1)
    ("last step", False),
])
def test_one_target_per_sample_broadcast_over_every_step(head, fires):
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((24, 3)),
                              layers.GRU(8, return_sequences=head == "every step"),
                              layers.Dense(1)])
    model.compile("adam", "mse")
    rng = np.random.default_rng(2)
    x, y = rng.normal(size=(64, 24, 3)), rng.normal(size=(64, 1))
    found = [f.name for f in dx.preflight(model, x.astype("float32"), y)]
    assert ("output_has_extra_axes" in found) == fires, found


@pytest.mark.parametrize("ids, fires", [("scaled to [0, 1]", True), ("integers", False)])
def test_token_ids_scaled_before_an_embedding(ids, fires):
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((20,)), layers.Embedding(500, 8),
                              layers.GlobalAveragePooling1D(),
                              layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    rng = np.random.default_rng(4)
    tokens = rng.integers(1, 500, size=(100, 20))
    x = tokens / 500.0 if ids == "scaled to [0, 1]" else tokens
    found = [f.name for f in dx.preflight(model, x.astype("float32"), rng.integers(0, 2, 100))]
    assert ("embedding_ids_not_integer" in found) == fires, found


def _two_heads():
    keras.backend.clear_session()
    inp = keras.Input((6,))
    h = layers.Dense(16, activation="relu")(inp)
    model = keras.Model(inp, [layers.Dense(1, name="rent")(h),
                              layers.Dense(1, activation="sigmoid", name="let")(h)])
    model.compile("adam", ["mse", "binary_crossentropy"])
    return model


@pytest.mark.parametrize("order, fires", [("swapped", True), ("as built", False)])
def test_two_outputs_given_each_others_targets(order, fires):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(200, 6)).astype("float32")
    rent, let = rng.uniform(size=(200, 1)), (rng.random((200, 1)) < 0.4).astype(float)
    y = [let, rent] if order == "swapped" else [rent, let]
    found = [f.name for f in dx.preflight(_two_heads(), x, y)]
    assert ("targets_swapped" in found) == fires, found


@pytest.mark.parametrize("smoothing, fires", [(1.0, True), (0.6, True), (0.1, False)])
def test_label_smoothing_that_erases_the_labels(smoothing, fires):
    from scen.diagnose.preflight import check_label_smoothing

    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3, activation="sigmoid")])
    model.compile("adam", keras.losses.BinaryCrossentropy(label_smoothing=smoothing))
    assert bool(check_label_smoothing(model)) == fires


@pytest.mark.parametrize("weights, fires", [
    ([1.0, 0.001], True),  # the classification head barely counts
    ([1.0, 1.0], False),
])
def test_an_output_drowned_by_the_loss_weights(weights, fires):
    rng = np.random.default_rng(8)
    x = rng.normal(size=(600, 6)).astype("float32")
    rent = (3 * x[:, :1] + rng.normal(size=(600, 1))).astype("float32")
    let = (x[:, 1:2] + x[:, 2:3] > 0).astype("float32")
    model = _two_heads()
    model.compile(keras.optimizers.SGD(0.01), ["mse", "binary_crossentropy"],
                  loss_weights=weights)
    diag = dx.DiagnoseCallback(x, [rent, let], verbose=False)
    model.fit(x, [rent, let], epochs=6, batch_size=32, callbacks=[diag], verbose=0)
    found = [f for f in diag.findings() if f.name == "output_drowned"]
    assert bool(found) == fires, report(diag.findings())
    if fires:
        assert "'let'" in found[0].evidence


def test_the_loss_weights_are_read_back_as_keras_applied_them():
    """A dict of loss_weights beside a list of losses: Keras matches it in its keys' sorted
    order, so {'rent': 1.0, 'let': 0.001} weighs rent by 0.001. The logged total says so."""
    from scen.diagnose.loss_curve import applied_weights

    logs = {"rent_loss": 10.0, "let_loss": 0.7, "loss": 0.001 * 10.0 + 1.0 * 0.7}
    assert applied_weights({"rent": 1.0, "let": 0.001}, logs) == {"rent": 0.001, "let": 1.0}
    logs["loss"] = 1.0 * 10.0 + 0.001 * 0.7
    assert applied_weights({"rent": 1.0, "let": 0.001}, logs) == {"rent": 1.0, "let": 0.001}


def test_gradients_are_recomputed_for_outputs_given_as_a_dict():
    """TF and JAX keep no gradients: the probe recomputes them on the last batch, whose
    labels may be a dict by output name (it sliced them as one array, and every epoch's
    record failed on JAX for a model of two outputs)."""
    from scen.keras_run import _recomputed_gradients
    from scen.scenario import Dataset, Fit

    model = _two_heads()
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 6)).astype("float32")
    y = {"rent": rng.normal(size=(40, 1)).astype("float32"),
         "let": (rng.random((40, 1)) < 0.5).astype("float32")}
    model.fit(x, y, epochs=1, verbose=0)
    # On torch (this process) the recompute gives nothing back; what is checked here is
    # that the last batch is taken from a dict of labels at all (a TypeError before).
    grads = _recomputed_gradients(model, Dataset(x, y), Fit(1, 16))
    assert all(np.all(np.isfinite(g)) for g in grads.values())


@pytest.mark.parametrize("shuffle", [True, False])
def test_compare_turning_shuffle_off_is_not_blamed_on_the_script(tmp_path, shuffle):
    """`scen compare` trains in data order (each backend would shuffle with its own random
    numbers); the diagnosis judges the fit the script asked for."""
    from scen.script import ScriptSpec, run_script

    script = tmp_path / "sorted.py"
    script.write_text(
        "import numpy as np\nimport keras\n"
        "rng = np.random.default_rng(3)\n"
        "y = np.repeat(np.arange(3), 300)\n"
        "x = (rng.normal(size=(900, 4)) + y[:, None]).astype('float32')\n"
        "model = keras.Sequential([keras.Input((4,)),\n"
        "                          keras.layers.Dense(3, activation='softmax')])\n"
        "model.compile('adam', 'sparse_categorical_crossentropy', metrics=['accuracy'])\n"
        f"model.fit(x, y, epochs=2, shuffle={shuffle}, verbose=0)\n")
    (run,) = run_script(ScriptSpec(str(script), logdir=str(tmp_path / "runs"), verbose=0,
                                   compare=True)).runs
    assert ("batches_sorted_by_class" in [f["name"] for f in run.findings]) is (not shuffle)


# --- whole-dataset batches: few updates in all ----------------------------------------------------


def _tabular(seed, rows=1200, features=8):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, features)).astype("float32")
    y = (x[:, 0] - 0.7 * x[:, 3] + 0.5 * x[:, 5] ** 2 > 0.4).astype("float32")
    return x, y


def test_a_batch_of_every_row_leaves_too_few_updates_to_learn():
    """batch_size=len(x): one SGD step an epoch, 15 in all, and the classifier stays near its
    start. The root cause is the count of updates, and it comes first."""
    x, y = _tabular(1)
    model = mlp(8, [32, 16], 1, "sigmoid", "binary_crossentropy",
                keras.optimizers.SGD(0.01), metrics=["accuracy"])
    found = fit_diagnosed(model, x, y, 15, batch_size=len(x))
    names = shown(found)
    assert names[0] == "few_updates", report(found)
    f = found[[g.name for g in found].index("few_updates")]
    assert f.severity == "error" and "15 steps in all: 1 an epoch" in f.evidence
    assert "batch_size=32" in f.fix


def test_steps_per_epoch_of_one_on_a_regression_still_falling():
    """A generator-like habit: steps_per_epoch=1 with a large batch, a regression whose MSE
    is still falling fast after 20 updates: a warning, and the rest reads as its doing."""
    x, y = _regression(2, rows=3000)
    model = mlp(6, [64], 1, None, "mse", keras.optimizers.Adam(0.003))
    found = fit_diagnosed(model, x, y, 20, batch_size=1500, steps_per_epoch=1)
    assert "few_updates" in shown(found), report(found)
    assert all(f.cause is not None for f in found
               if f.name in ("still_improving_at_end",) and f.severity != "info")


@pytest.mark.parametrize("case", ["full batch, converged", "minibatches"])
def test_enough_updates_or_a_finished_run_is_not_few_updates(case):
    x, y = _tabular(3, rows=300)
    model = mlp(8, [16], 1, "sigmoid", "binary_crossentropy", keras.optimizers.Adam(0.05),
                metrics=["accuracy"])
    if case == "minibatches":
        found = fit_diagnosed(model, x, y, 15, batch_size=32)
    else:  # 120 full-batch steps at a high rate: finished before the end
        found = fit_diagnosed(model, x, y, 120, batch_size=len(x))
    assert "few_updates" not in shown(found), report(found)


# --- validation encoded apart from training -------------------------------------------------------


def _categories_by_frequency(column, k):
    """Each category's index by how often it occurs here: a mapping made on whatever rows it is
    given, so training's and validation's differ where the counts are close."""
    order = np.argsort(-np.bincount(column, minlength=k), kind="stable")
    return np.argsort(order)[column]


def test_validation_encoded_with_its_own_mapping_never_learns():
    """Categorical features one-hot encoded by a frequency ranking rebuilt on the validation
    rows: the same index means another category there (the skewed column alone keeps its
    ranks). The training accuracy climbs to ~0.93; the validation accuracy sits a few points
    above chance (0.53-0.56 here, a draw's worth) and its loss never beats the constant
    prediction's: nothing learned carries over."""
    rng = np.random.default_rng(6)
    rows, k = 3000, 8
    cats = rng.integers(0, k, size=(rows, 4))
    cats[:, 0] = rng.choice(k, size=rows, p=[.4, .2, .12, .09, .07, .05, .04, .03])
    effect = rng.normal(size=(4, k))
    score = effect[np.arange(4), cats].sum(1) + 0.5 * rng.normal(size=rows)
    y = (score > np.median(score)).astype("float32")

    def encode(c):
        return np.concatenate([np.eye(k)[_categories_by_frequency(c[:, j], k)]
                               for j in range(4)], axis=1).astype("float32")

    x_train, x_val = encode(cats[:2400]), encode(cats[2400:])
    model = mlp(4 * k, [64, 32], 1, "sigmoid", "binary_crossentropy", "adam",
                metrics=["accuracy"])
    found = fit_diagnosed(model, x_train, y[:2400], 12, batch_size=64,
                          validation_data=(x_val, y[2400:]))
    assert "validation_at_chance" in shown(found), report(found)


def test_a_rare_token_id_is_not_a_missing_value_code():
    """Token ids into an Embedding: a rare large id at one position is a word, not a code
    (round 2026-12-09's spam filter drew input_code there)."""
    rng = np.random.default_rng(9)
    ids = rng.integers(1, 40, size=(1500, 12))
    ids[:3, 5] = 400  # three texts with a rare word at position 5
    y = (ids[:, 0] > 20).astype("float32")
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((12,), dtype="int32"), layers.Embedding(500, 8),
                              layers.GlobalAveragePooling1D(),
                              layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    found = fit_diagnosed(model, ids, y, 2)
    assert "input_code" not in [f.name for f in found], report(found)
    # the same column as a measurement is a code
    found = fit_diagnosed(mlp(12, [8], 1, "sigmoid", "binary_crossentropy", "adam"),
                          ids.astype("float32"), y, 1)
    assert "input_code" in [f.name for f in found], report(found)
