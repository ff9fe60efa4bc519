"""Kinds added after round 2026-12-09's misses: faults in how the model is put together or what
its loss can fit, each seen before the first step. Every program here is our own (synthetic
data, models, losses and sizes unlike the round's), with controls that must stay silent:

- a loss whose domain excludes the targets (MSLE or Poisson on negative targets; MAPE on
  targets at or near zero);
- a layer constructed inside `call`;
- one of several inputs that no output depends on;
- NonNeg kernels on every layer against a target that falls with a feature;
- a real token numbered 0 into an Embedding(mask_zero=True).
"""

import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from scen import diagnose as dx  # noqa: E402

keras = pytest.importorskip("keras")
layers = keras.layers

pytestmark = pytest.mark.usefixtures("one_torch_thread")  # see conftest.py


def diagnosed(model, x, y, epochs=1, **fit):
    diag = dx.DiagnoseCallback(x, y, verbose=False)
    model.fit(x, y, epochs=epochs, callbacks=[diag], verbose=0, **fit)
    return diag.findings()


def shown(findings):
    return [f.name for f in findings if f.severity in ("error", "warning")]


def regressor(n_in, loss, seed=0, out_activation=None):
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((n_in,)), layers.Dense(16, activation="relu"),
                              layers.Dense(1, activation=out_activation)])
    model.compile("adam", loss)
    return model


# --- a loss whose domain excludes the targets --------------------------------------------------


def _features(seed, rows=400, n=5):
    return np.random.default_rng(seed).normal(size=(rows, n)).astype("float32")


def _returns(x, seed):  # daily returns: about half of them negative
    rng = np.random.default_rng(seed)
    return (0.01 * x[:, 0] - 0.005 * x[:, 1] + 0.01 * rng.normal(size=len(x))).astype("float32")


def _counts(x, seed):  # visits a day: whole numbers from 0 up
    lam = np.exp(1.0 + 0.4 * x[:, 0] - 0.3 * x[:, 2])
    return np.random.default_rng(seed).poisson(lam).astype("float32")


@pytest.mark.parametrize("loss, target, fires", [
    ("mean_squared_logarithmic_error", "returns", True),
    ("poisson", "standardised counts", True),
    ("mean_squared_logarithmic_error", "durations", False),
    ("poisson", "counts", False),
])
def test_a_loss_defined_for_non_negative_targets(loss, target, fires):
    x = _features(1)
    y = {"returns": lambda: _returns(x, 2),
         "standardised counts": lambda: (lambda c: (c - c.mean()) / c.std())(_counts(x, 3)),
         "durations": lambda: np.exp(2 + 0.5 * x[:, 3]).astype("float32"),
         "counts": lambda: _counts(x, 3)}[target]()
    found = diagnosed(regressor(5, loss, out_activation="softplus" if loss == "poisson"
                                else None), x, y.astype("float32"))
    assert ("loss_domain_excludes_targets" in shown(found)) is fires, dx.format_report(found)
    if fires:
        assert shown(found)[0] == "loss_domain_excludes_targets"
        f = next(f for f in found if f.name == "loss_domain_excludes_targets")
        assert "negative" in f.evidence and "mean_squared_error" in f.fix


@pytest.mark.parametrize("target, fires", [
    ("profit crossing zero", True),
    ("demand with closed days", True),
    ("sales volumes", False),
])
def test_a_percentage_error_on_targets_near_zero(target, fires):
    x = _features(4, rows=500)
    rng = np.random.default_rng(5)
    if target == "profit crossing zero":
        y = 3.0 * x[:, 0] + x[:, 1] + rng.normal(size=500)
    elif target == "demand with closed days":
        y = 200 + 40 * x[:, 0] + 10 * rng.normal(size=500)
        y[rng.random(500) < 0.05] = 0.0  # the shop was shut
    else:
        y = 300 + 60 * x[:, 0] + 20 * rng.normal(size=500)
    found = diagnosed(regressor(5, "mape"), x, y.astype("float32"))
    assert ("percentage_loss_near_zero_targets" in shown(found)) is fires, \
        dx.format_report(found)


# --- a layer made inside call --------------------------------------------------------------------


class GatedBlock(layers.Layer):
    """A custom layer that makes its projection on every call."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def call(self, x):
        gate = keras.layers.Dense(self.units, activation="sigmoid")(x)
        return x * gate


class DropoutInCall(keras.Model):
    """Weights made once in __init__; only a weightless Dropout is made in call."""

    def __init__(self):
        super().__init__()
        self.hidden = layers.Dense(16, activation="relu")
        self.out = layers.Dense(3, activation="softmax")

    def call(self, x, training=False):
        return self.out(layers.Dropout(0.1)(self.hidden(x), training=training))


def _classes(seed, rows=300, n=6):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, n)).astype("float32")
    return x, (x[:, 0] > 0).astype("int64") + (x[:, 1] > 0.5).astype("int64")


def test_a_custom_layer_that_makes_its_dense_on_every_call():
    x, y = _classes(6)
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((6,)), GatedBlock(6), layers.Dense(3, "softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    found = diagnosed(model, x, y)
    f = next((f for f in found if f.name == "layer_created_in_call"), None)
    assert f is not None and f.severity == "error", dx.format_report(found)
    assert "GatedBlock.call makes Dense" in f.evidence and "__init__" in f.fix
    assert shown(found)[0] == "layer_created_in_call"


def test_a_weightless_layer_made_in_call_is_not_one():
    x, y = _classes(7)
    keras.backend.clear_session()
    model = DropoutInCall()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    assert "layer_created_in_call" not in shown(diagnosed(model, x, y))


# --- an input that no output depends on ----------------------------------------------------------


def _three_inputs(seed, rows=300):
    rng = np.random.default_rng(seed)
    parts = [rng.normal(size=(rows, k)).astype("float32") for k in (4, 6, 3)]
    y = (parts[0][:, 0] + parts[2][:, 1] > 0).astype("float32")
    return parts, y


def _wired(slip: bool):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    a, b, c = keras.Input((4,), name="weather"), keras.Input((6,), name="traffic"), \
        keras.Input((3,), name="calendar")
    ha = layers.Dense(8, activation="relu")(a)
    hb = layers.Dense(8, activation="relu")(b)
    hc = layers.Dense(8, activation="relu")(hb if slip else c)  # the slip reads traffic twice
    merged = layers.Concatenate()([ha, hb, hc])
    model = keras.Model([a, b, c], layers.Dense(1, activation="sigmoid")(merged))
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("slip", [True, False])
def test_a_branch_that_reads_the_wrong_tensor_leaves_an_input_unused(slip):
    x, y = _three_inputs(8)
    found = diagnosed(_wired(slip), x, y)
    assert ("input_not_used" in shown(found)) is slip, dx.format_report(found)
    if slip:
        assert "'calendar'" in next(f for f in found if f.name == "input_not_used").evidence


class Recommender(keras.Model):
    """Dict inputs; the item tower reads the user's features when `slip`."""

    def __init__(self, slip):
        super().__init__()
        self.slip = slip
        self.users = layers.Dense(8, activation="tanh")
        self.items = layers.Dense(8, activation="tanh")
        self.out = layers.Dense(1)

    def call(self, inputs):
        u = self.users(inputs["user"])
        v = self.items(inputs["user"] if self.slip else inputs["item"])
        return self.out(u * v)


@pytest.mark.parametrize("slip", [True, False])
def test_a_subclassed_tower_fed_the_other_key(slip):
    rng = np.random.default_rng(9)
    x = {"user": rng.normal(size=(256, 8)).astype("float32"),
         "item": rng.normal(size=(256, 8)).astype("float32")}
    y = (x["user"][:, :4] * x["item"][:, :4]).sum(axis=1).astype("float32")
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    model = Recommender(slip)
    model.compile("adam", "mse")
    found = diagnosed(model, x, y)
    assert ("input_not_used" in shown(found)) is slip, dx.format_report(found)


# --- NonNeg kernels on every layer ---------------------------------------------------------------


def _car_data(seed, rows=600):
    """Fuel economy: falls with weight and power, rises with the year (standardised)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 4)).astype("float32")
    y = (-2.0 * x[:, 0] - 1.0 * x[:, 1] + 0.8 * x[:, 2] + 0.3 * rng.normal(size=rows))
    return x, y.astype("float32")


def _monotone(where: str):
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    every = where == "every layer"
    nonneg = keras.constraints.NonNeg
    model = keras.Sequential([
        keras.Input((4,)),
        layers.Dense(32, activation="tanh", kernel_constraint=nonneg() if every else None),
        layers.Dense(1, kernel_constraint=nonneg()),
    ])
    model.compile("adam", "mse")
    return model


@pytest.mark.parametrize("where, target, fires", [
    ("every layer", "falls with weight", True),
    ("every layer", "rises with every feature", False),
    ("the output only", "falls with weight", False),
])
def test_non_negative_kernels_against_a_falling_target(where, target, fires):
    x, y = _car_data(10)
    if target == "rises with every feature":
        y = (x @ np.array([1.0, 0.5, 0.8, 0.2])).astype("float32")
    found = diagnosed(_monotone(where), x, y)
    assert ("constraint_limits_model" in shown(found)) is fires, dx.format_report(found)
    if fires:
        f = next(f for f in found if f.name == "constraint_limits_model")
        assert "feature(s) 0 (r = -0." in f.evidence and "NonNeg" in f.fix


# --- a real token numbered 0 under mask_zero -----------------------------------------------------


def _reviews(seed, unknown_id: int, rows=400, length=20):
    """Pre-padded id sequences; words outside the vocabulary get `unknown_id`."""
    rng = np.random.default_rng(seed)
    ids = np.zeros((rows, length), dtype="int32")
    y = rng.integers(0, 2, size=rows).astype("float32")
    for i in range(rows):
        n = rng.integers(8, length + 1)
        words = rng.integers(2, 60, size=n) + (30 * y[i]).astype(int)
        words[rng.random(n) < 0.15] = unknown_id  # rare words
        ids[i, length - n:] = words
    return ids, y


@pytest.mark.parametrize("unknown_id, fires", [(0, True), (1, False)])
def test_an_out_of_vocabulary_id_of_zero_under_mask_zero(unknown_id, fires):
    ids, y = _reviews(11, unknown_id)
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((20,), dtype="int32"),
                              layers.Embedding(100, 8, mask_zero=True), layers.LSTM(8),
                              layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    found = diagnosed(model, ids, y)
    assert ("padding_id_collides" in shown(found)) is fires, dx.format_report(found)


# --- the same kinds on torch and JAX -----------------------------------------------------------

AGREE = {
    "layer in call": """
class Tower(keras.Model):
    def call(self, x):
        return layers.Dense(1)(layers.Dense(8, activation="relu")(x))
rng = np.random.default_rng(3)
x = rng.normal(size=(300, 5)).astype("float32")
model = Tower()
model.compile("adam", "mse")
y = (np.sin(x[:, 0]) * x[:, 1] + 0.1 * rng.normal(size=300)).astype("float32")
fit = dict(x=x, y=y, epochs=1, batch_size=32)  # one epoch: no curve to read, only the make-up
""",
    "unused input": """
a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
h = layers.Dense(4, activation="relu")(a)
model = keras.Model([a, b], layers.Dense(1)(layers.Dense(4)(h)))
model.compile("adam", "mse")
rng = np.random.default_rng(4)
xa, xb = rng.normal(size=(200, 3)).astype("float32"), rng.normal(size=(200, 3)).astype("float32")
y = (np.sin(xa[:, 0]) * xb[:, 1] + 0.1 * rng.normal(size=200)).astype("float32")
fit = dict(x=[xa, xb], y=y, epochs=1, batch_size=32)
""",
}


def kinds_on(backend: str, program: str, folder) -> list[str]:
    """As test_diagnose_round_kinds.kinds_on, from a file: a class's source is read from it
    (under `python -c` there is none to read)."""
    import json
    import subprocess
    import sys

    from test_diagnose_round_kinds import HARNESS

    path = folder / f"program_{backend}.py"
    path.write_text(HARNESS.format(program=program))
    env = dict(os.environ, KERAS_BACKEND=backend, JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, str(path)], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(AGREE))
def test_torch_and_jax_show_the_same_kinds(case, tmp_path):
    pytest.importorskip("jax")
    torch_kinds = kinds_on("torch", AGREE[case], tmp_path)
    assert {"layer in call": "layer_created_in_call",
            "unused input": "input_not_used"}[case] in torch_kinds, torch_kinds
    assert kinds_on("jax", AGREE[case], tmp_path) == torch_kinds


# --- a loss below zero that keeps falling ------------------------------------------------------


@pytest.mark.parametrize("loss, acc, fires", [
    ([-0.5, -2.0, -3.1, -4.0], [0.21, 0.2, 0.2, 0.2], True),  # maximised: the metric holds
    ([-0.5, -2.0, -3.1, -4.0], [0.21, 0.4, 0.6, 0.7], False),  # a negative loss that works
    ([2.0, 1.5, 1.2, 1.0], [0.21, 0.2, 0.2, 0.2], False),  # above zero: must get 10% worse
])
def test_a_negative_loss_falling_while_the_metric_stands_still(loss, acc, fires):
    from test_diagnose import make_trace

    from scen.diagnose.metrics_fit import detect_loss_metric_disagreement

    found = detect_loss_metric_disagreement(make_trace(loss, acc=acc))
    assert bool(found) is fires
    if fires:
        assert "got no better" in found[0].evidence and "maximised" in found[0].evidence


# --- a PyDataset whose batches overlap -----------------------------------------------------------

SEQUENCE = '''
import math
import numpy as np
import keras

class Windows(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.batch_size = x, y, batch_size

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, idx):
        {body}

rng = np.random.default_rng(12)
x = rng.normal(size=(640, 10)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("float32")
model = keras.Sequential([keras.Input((10,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
model.fit(Windows(x, y, 64), epochs=2, verbose=0)
print("noise drawn after fit:", float(np.random.normal()))
'''
BODIES = {
    "row offset": "lo = idx; return self.x[lo:lo + self.batch_size], self.y[lo:lo + self.batch_size]",
    "batch offset": "lo = idx * self.batch_size\n        "
                    "return self.x[lo:lo + self.batch_size], self.y[lo:lo + self.batch_size]",
}


@pytest.mark.parametrize("body, fires", [("row offset", True), ("batch offset", False)])
def test_a_pydataset_whose_batches_overlap(tmp_path, body, fires):
    from scen.script import ScriptSpec, run_script

    path = tmp_path / "windows.py"
    path.write_text(SEQUENCE.replace("{body}", BODIES[body]))
    result = run_script(ScriptSpec(str(path), logdir=str(tmp_path / "runs"), verbose=0))
    (run,) = result.runs
    hit = [f for f in run.findings if f["name"] == "batches_repeat_rows"]
    assert bool(hit) is fires, [f["name"] for f in run.findings]
    if fires:
        assert "63 of its 64 rows" in hit[0]["evidence"]
        assert run.findings[0]["name"] == "batches_repeat_rows"


class Noisy(keras.utils.PyDataset):
    def __init__(self, x):
        super().__init__()
        self.x, self.rng = x, np.random.default_rng(0)

    def __len__(self):
        return 4

    def __getitem__(self, idx):
        return self.x + self.rng.normal(size=self.x.shape), self.x


class Counting(Noisy):
    def __getitem__(self, idx):
        self.seen = idx
        return self.x, self.x


class Plain(Noisy):
    def __getitem__(self, idx):
        return self.x[idx:idx + 2], self.x[idx:idx + 2]


def test_only_a_dataset_that_draws_and_keeps_nothing_is_looked_at_twice():
    """Batch 1 is fetched for the diagnosis only where the fetch cannot change what fit sees:
    a __getitem__ that draws from a generator of its own, or keeps state, is left alone."""
    from scen.fit_data import second_batch

    x = np.arange(12.0).reshape(6, 2)
    assert second_batch(Noisy(x)) is None and second_batch(Counting(x)) is None
    first, second = second_batch(Plain(x))
    assert np.array_equal(first, x[1:3])


# --- two inputs joined along the steps ---------------------------------------------------------


def _two_streams(axis):
    keras.backend.clear_session()
    audio, video = keras.Input((20, 4), name="audio"), keras.Input((20, 6), name="video")
    a = layers.Conv1D(8, 3, padding="same", activation="relu")(audio)
    v = layers.Conv1D(8, 3, padding="same", activation="relu")(video)
    h = layers.GlobalAveragePooling1D()(layers.Concatenate(axis=axis)([a, v]))
    model = keras.Model([audio, video], layers.Dense(1, activation="sigmoid")(h))
    model.compile("adam", "binary_crossentropy")
    return model


@pytest.mark.parametrize("axis, fires", [(1, True), (-1, False), (2, False)])
def test_two_inputs_concatenated_along_the_steps(axis, fires):
    from scen.diagnose.wiring import check_concatenated_axis

    found = check_concatenated_axis(_two_streams(axis))
    assert bool(found) is fires
    if fires:
        assert "'audio', 'video'" in found[0].evidence and "(40, 8)" in found[0].evidence


def test_a_summary_step_prepended_to_its_own_sequence_is_as_meant():
    """One input's sequence and a step made from it, joined on the steps (a CLS-like token):
    both come from the same input."""
    from scen.diagnose.wiring import check_concatenated_axis

    keras.backend.clear_session()
    seq, other = keras.Input((12, 8)), keras.Input((3,))
    summary = layers.Reshape((1, 8))(layers.GlobalMaxPooling1D()(seq))
    h = layers.LSTM(4)(layers.Concatenate(axis=1)([summary, seq]))
    model = keras.Model([seq, other], layers.Dense(1)(layers.Concatenate()([h, other])))
    assert check_concatenated_axis(model) == []


# --- kinds added after round 2026-12-10's first pass: inputs that never vary, weights that
# --- cannot be right, layers that cannot train, heads that are one ------------------------------


def _table(seed, rows=400, n=5):
    rng = np.random.default_rng(seed)
    raw = np.column_stack([rng.uniform(18, 90, rows), rng.uniform(0, 1, rows),
                           rng.normal(size=rows), rng.uniform(1000, 9000, rows),
                           rng.normal(size=rows)])[:, :n].astype("float32")
    y = (raw[:, 0] / 90 + raw[:, 2] > 0.8).astype("float32")
    return raw, y


def _standardised(a):
    return ((a - a.mean(0)) / (a.std(0) + 1e-7)).astype("float32")


@pytest.mark.parametrize("case, kind", [
    ("scaled into an integer array", "error"),
    ("rows appended as one list", "error"),
    ("clipped before scaling", "warning"),
    ("scaled", None),
])
def test_inputs_that_never_vary(case, kind):
    raw, y = _table(13)
    if case == "scaled into an integer array":
        x = np.zeros(raw.shape, dtype="int32")
        x[:] = raw / raw.max(axis=0)  # every value in [0, 1) truncated to 0 (the max to 1)
        x = x[np.all(x == 0, axis=1)].astype("float32")
        y = y[:len(x)]
    elif case == "rows appended as one list":
        row, rows = [0.0] * 5, []
        for r in raw:
            row[:] = r  # the same list, refilled
            rows.append(row)
        x = np.array(rows, dtype="float32")
    elif case == "clipped before scaling":
        x = _standardised(np.clip(raw, -3, 3))  # age and income collapse to 3
    else:
        x = _standardised(raw)
    model = keras.Sequential([keras.Input((5,)), layers.Dense(8, activation="relu"),
                              layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    found = diagnosed(model, x, y)
    hit = [f for f in found if f.name == "constant_inputs"]
    assert (hit[0].severity if hit else None) == kind, dx.format_report(found)


def test_images_with_blank_borders_and_padded_ids_vary_where_it_counts():
    """Pixels at an image's border are 0 in every row, and pre-padded sequences start with
    zeros in every row: neither is a table of features that never vary."""
    from scen.diagnose.data import check_constant_inputs

    rng = np.random.default_rng(14)
    images = np.zeros((200, 8, 8), dtype="float32")
    images[:, 2:6, 2:6] = rng.random((200, 4, 4))
    ids = np.zeros((200, 30), dtype="int32")
    ids[:, 12:] = rng.integers(1, 50, size=(200, 18))
    assert check_constant_inputs(images) == [] and check_constant_inputs(ids) == []


@pytest.mark.parametrize("weights, fires", [("standardised", True), ("raw", False)])
def test_sample_weights_below_zero(weights, fires):
    raw, y = _table(15)
    x = _standardised(raw[:, :3])
    exposure = np.random.default_rng(16).uniform(0.1, 2.0, len(x)).astype("float32")
    w = _standardised(exposure) if weights == "standardised" else exposure
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((3,)), layers.Dense(8, activation="relu"),
                              layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    diag = dx.DiagnoseCallback(x, y, sample_weight=w, verbose=False)
    model.fit(x, y, sample_weight=w, epochs=1, callbacks=[diag], verbose=0)
    found = diag.findings()
    assert ("negative_sample_weights" in shown(found)) is fires, dx.format_report(found)


@pytest.mark.parametrize("where, fires", [("after the output", True), ("before it", False)])
def test_dropout_after_the_output_layer(where, fires):
    from scen.diagnose.wiring import check_dropout_after_output

    keras.backend.clear_session()
    stack = [keras.Input((6,)), layers.Dense(16, activation="relu")]
    if where == "after the output":
        stack += [layers.Dense(4, activation="softmax"), layers.Dropout(0.25)]
    else:
        stack += [layers.Dropout(0.25), layers.Dense(4, activation="softmax")]
    found = check_dropout_after_output(keras.Sequential(stack))
    assert bool(found) is fires
    if fires:
        assert "rate 0.25" in found[0].evidence


class FixedProjection(layers.Layer):
    """A custom layer whose kernel is made untrainable by mistake (or, `frozen`, on purpose)."""

    def __init__(self, units, kernel_trainable, **kwargs):
        super().__init__(**kwargs)
        self.units, self.kernel_trainable = units, kernel_trainable

    def build(self, shape):
        self.w = self.add_weight(shape=(shape[-1], self.units), initializer="glorot_uniform",
                                 trainable=self.kernel_trainable)
        self.b = self.add_weight(shape=(self.units,), initializer="zeros")

    def call(self, x):
        return keras.ops.tanh(x @ self.w + self.b)


@pytest.mark.parametrize("case, fires", [("kernel untrainable", True), ("trainable", False),
                                         ("frozen whole", False), ("batch norm", False)])
def test_a_kernel_kept_out_of_training(case, fires):
    from scen.diagnose.wiring import check_kernels_not_trainable

    keras.backend.clear_session()
    first = (layers.BatchNormalization() if case == "batch norm" else
             FixedProjection(8, case != "kernel untrainable"))
    model = keras.Sequential([keras.Input((5,)), first, layers.Dense(1)])
    if case == "frozen whole":
        first.trainable = False
    found = check_kernels_not_trainable(model)
    assert bool(found) is fires
    if fires:
        assert "(5, 8) weight" in found[0].evidence


@pytest.mark.parametrize("ids, fires", [("clipped", True), ("re-indexed", False)])
def test_entity_ids_clipped_into_an_embedding(ids, fires):
    rng = np.random.default_rng(17)
    raw = rng.choice(np.arange(100, 50_000, 37), size=600)  # sparse database ids
    if ids == "clipped":
        x = np.minimum(raw, 299)
    else:
        x = np.unique(raw, return_inverse=True)[1] % 300
    y = rng.normal(size=600).astype("float32")
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((1,), dtype="int32"), layers.Embedding(300, 4),
                              layers.Flatten(), layers.Dense(1)])
    model.compile("adam", "mse")
    found = diagnosed(model, x.reshape(-1, 1).astype("int32"), y)
    assert ("embedding_ids_clipped" in shown(found)) is fires, dx.format_report(found)


@pytest.mark.parametrize("shared, fires", [(True, True), (False, False)])
def test_two_outputs_computed_by_one_head(shared, fires):
    rng = np.random.default_rng(18)
    x = rng.normal(size=(300, 6)).astype("float32")
    ys = {"colour": (x[:, 0] > 0).astype("float32"), "size": (x[:, 1] > 0).astype("float32")}
    keras.backend.clear_session()
    inp = keras.Input((6,))
    trunk = layers.Dense(16, activation="relu")(inp)
    head = layers.Dense(1, activation="sigmoid")
    outs = {}
    for name in ys:
        layer = head if shared else layers.Dense(1, activation="sigmoid")
        outs[name] = layers.Identity(name=name)(layer(trunk))
    model = keras.Model(inp, outs)
    model.compile("adam", {"colour": "binary_crossentropy", "size": "binary_crossentropy"})
    found = diagnosed(model, x, ys)
    assert ("outputs_identical" in shown(found)) is fires, dx.format_report(found)


STUCK_GENERATOR = '''
import numpy as np
import keras

rng = np.random.default_rng(19)
x = rng.normal(size=(1000, 6)).astype("float32")
y = (x[:, 0] > 0).astype("float32")

def batches(batch_size=50):
    start = 0
    while True:
        yield x[start:start + batch_size], y[start:start + batch_size]
        {advance}

model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
model.fit(batches(), steps_per_epoch=20, epochs=2, verbose=0)
'''


@pytest.mark.parametrize("advance, fires", [("pass", True),
                                            ("start = (start + batch_size) % len(x)", False)])
def test_a_generator_that_yields_the_same_rows_again(tmp_path, advance, fires):
    from scen.script import ScriptSpec, run_script

    path = tmp_path / "stuck.py"
    path.write_text(STUCK_GENERATOR.replace("{advance}", advance))
    (run,) = run_script(ScriptSpec(str(path), logdir=str(tmp_path / "runs"), verbose=0)).runs
    assert run.status == "completed"
    assert ("batches_repeat_rows" in [f["name"] for f in run.findings]) is fires


def _towers(bind_now: bool):
    keras.backend.clear_session()
    inp = keras.Input((12,))
    branches = []
    for k in range(3):  # three blocks of four features, one tower each
        fn = (lambda t, k=k: t[:, 4 * k:4 * k + 4]) if bind_now else (lambda t: t[:, 4 * k:4 * k + 4])
        branches.append(layers.Dense(4, activation="relu")(layers.Lambda(fn)(inp)))
    model = keras.Model(inp, layers.Dense(1)(layers.Concatenate()(branches)))
    model.compile("adam", "mse")
    return model


@pytest.mark.parametrize("bind_now, fires", [(False, True), (True, False)])
def test_lambdas_made_in_a_loop_that_read_its_variable_late(bind_now, fires):
    x = np.random.default_rng(20).normal(size=(200, 12)).astype("float32")
    found = diagnosed(_towers(bind_now), x, x[:, 0] - x[:, 5] + x[:, 9])
    assert ("lambda_slices_alike" in shown(found)) is fires, dx.format_report(found)


@pytest.mark.parametrize("targets, fires", [("forces", True), ("unit directions", False)])
def test_cosine_similarity_on_vectors_whose_lengths_matter(targets, fires):
    rng = np.random.default_rng(21)
    x = rng.normal(size=(300, 5)).astype("float32")
    y = np.stack([x[:, 0] * 3, x[:, 1] + x[:, 2], np.abs(x[:, 3]) * 2], axis=1)
    if targets == "unit directions":
        y = y / np.linalg.norm(y, axis=1, keepdims=True)
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((5,)), layers.Dense(16, activation="relu"),
                              layers.Dense(3)])
    model.compile("adam", keras.losses.CosineSimilarity())
    found = diagnosed(model, x, y.astype("float32"))
    assert ("loss_ignores_scale" in shown(found)) is fires, dx.format_report(found)


class TokensAndPlaces(layers.Layer):
    """Token plus position embeddings in one custom layer, as transformer examples write it."""

    def __init__(self, vocab, length, dim, **kwargs):
        super().__init__(**kwargs)
        self.tokens, self.places = layers.Embedding(vocab, dim), layers.Embedding(length, dim)

    def call(self, ids):
        return self.tokens(ids) + self.places(keras.ops.arange(keras.ops.shape(ids)[-1]))


def test_ids_into_a_custom_embedding_layer_are_not_unscaled_inputs():
    """Round 2026-12-10's healthy transformer drew unscaled_inputs: ids in the thousands, fed
    to a custom layer that holds the Embeddings."""
    rng = np.random.default_rng(22)
    ids = rng.integers(1, 3000, size=(200, 16)).astype("int32")
    keras.backend.clear_session()
    inp = keras.Input((16,), dtype="int32")
    h = layers.GlobalAveragePooling1D()(TokensAndPlaces(3000, 16, 8)(inp))
    model = keras.Model(inp, layers.Dense(1, activation="sigmoid")(h))
    model.compile("adam", "binary_crossentropy")
    found = diagnosed(model, ids, (ids[:, 0] > 1500).astype("float32"))
    assert "unscaled_inputs" not in [f.name for f in found], dx.format_report(found)


@pytest.mark.parametrize("loss, acc, fires", [
    ([0.6932, 0.6931, 0.6932, 0.6930, 0.6931], [0.50, 0.51, 0.49, 0.50, 0.52], True),
    ([0.6932, 0.66, 0.61, 0.55, 0.50], [0.50, 0.58, 0.66, 0.71, 0.75], False),  # learning
    ([0.6932, 0.6931, 0.6932], [0.50, 0.51, 0.49][:3], True),  # three epochs are a trend
    ([0.6932] * 12, [0.5] * 12, False),  # ten epochs or more: slow_start's to judge
])
def test_a_short_run_that_never_left_chance(loss, acc, fires):
    import math

    from test_diagnose import BCE, make_trace

    from scen.diagnose.loss_curve import detect_stuck_at_chance

    assert math.isclose(BCE.baseline_loss, 0.6931, rel_tol=1e-3)
    found = detect_stuck_at_chance(make_trace(loss, acc=acc, facts=BCE))
    assert bool(found) is fires
    if fires:
        assert f"in all {len(loss)} epochs" in found[0].evidence


class Ratings(keras.Model):
    """A subclassed recommender taking (user, item) id columns, as keras-io's does."""

    def __init__(self, users, items):
        super().__init__()
        self.users, self.items = layers.Embedding(users, 4), layers.Embedding(items, 4)

    def call(self, ids):
        return keras.ops.sum(self.users(ids[:, 0]) * self.items(ids[:, 1]), axis=1,
                             keepdims=True)


@pytest.mark.parametrize("clipped, fires", [(True, True), (False, False)])
def test_ids_clipped_into_a_subclassed_models_embedding(clipped, fires):
    rng = np.random.default_rng(23)
    users = rng.integers(0, 5000, size=800)
    users = np.minimum(users, 199) if clipped else users % 200
    ids = np.stack([users, rng.integers(0, 50, size=800)], axis=1).astype("int64")
    keras.backend.clear_session()
    model = Ratings(200, 50)
    model.compile("adam", "mse")
    found = diagnosed(model, ids, rng.normal(size=(800, 1)).astype("float32"))
    assert ("embedding_ids_clipped" in shown(found)) is fires, dx.format_report(found)


def test_features_piled_at_their_top_are_clipped_and_at_their_bottom_are_honest():
    """A clip to [-3, 3] of raw ages (2-90) and distances leaves most rows at 3, a few below:
    a warning. Zero-inflated incomes (most rows 0, the rest spread above) and rare 0/1
    indicators are how honest tables look."""
    from scen.diagnose.data import check_constant_inputs

    rng = np.random.default_rng(24)
    n = 1000
    age, dist = rng.uniform(2, 90, n), rng.exponential(8, n)
    normal = rng.normal(size=(n, 2))
    clipped = np.column_stack([np.clip(age, -3, 3), np.clip(dist, -3, 3), normal])
    found = check_constant_inputs(clipped.astype("float32"))
    assert found and found[0].severity == "warning" and "at its largest value" in \
        found[0].evidence
    income = np.where(rng.random(n) < 0.6, 0.0, rng.lognormal(10, 1, n))
    rare = (rng.random(n) < 0.03).astype(float)
    honest = np.column_stack([income, rare, normal, rng.normal(size=n)])
    assert check_constant_inputs(honest.astype("float32")) == []
