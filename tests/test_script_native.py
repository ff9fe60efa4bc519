"""A script's fits on the native port (scen.script_native): the default engine wherever the port
takes the fit, held to Keras's own fit on torch step for step; Keras's fit, with the reason,
where it does not."""

import numpy as np
import pytest

from scen.scenario import ScenError
from scen.script import ScriptSpec, run_script

# Two fits of one model: Adam's state carries over, the script changes the learning rate in
# between, and the fits use validation_split, class_weight and sample_weight.
TWO_FITS = '''
import numpy as np
import keras

rng = np.random.default_rng(3)
x = rng.normal(size=(300, 5)).astype("float32")
y = (x[:, 0] + 0.5 * x[:, 1] > 0.3).astype("float32")
model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(6, activation="tanh"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
first = model.fit(x, y, batch_size=16, epochs=3, validation_split=0.2, class_weight={0: 1.0, 1: 3.0})
model.optimizer.learning_rate = 0.002
second = model.fit(x, y, batch_size=32, epochs=2, sample_weight=np.linspace(0.5, 1.5, 300))
print("history keys", sorted(first.history), sorted(second.history))
print("iterations", int(model.optimizer.iterations))
'''

# A fit on the port, then one only Keras's fit takes (BackupAndRestore), then evaluate and a draw
# from torch's generator: all as plain Keras would leave them.
THEN_KERAS = '''
import tempfile
import numpy as np
import torch
import keras

rng = np.random.default_rng(5)
x = rng.normal(size=(200, 4)).astype("float32")
y = (x[:, 0] - x[:, 2] > 0).astype("float32")
model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "binary_crossentropy",
              metrics=["accuracy"])
first = model.fit(x, y, batch_size=20, epochs=2, verbose=0)
print("params", first.params, "slots", len(model.optimizer.variables))
backup = keras.callbacks.BackupAndRestore(tempfile.mkdtemp())
second = model.fit(x, y, batch_size=20, epochs=4, initial_epoch=2, verbose=0, callbacks=[backup])
print("second", ["%.6f" % v for v in second.history["loss"]])
print("evaluate", ["%.6f" % v for v in model.evaluate(x, y, verbose=0)])
print("draw %.6f" % float(torch.rand(())))
'''

WITH_CALLBACK = '''
import os
import tempfile
import numpy as np
import keras

x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
y = x.sum(axis=1, keepdims=True)
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
model.compile("sgd", "mse")
backup = keras.callbacks.BackupAndRestore(os.path.join(tempfile.mkdtemp(), "backup"))
model.fit(x, y, epochs=2, callbacks=[backup])
'''

# Keras's callbacks and metric objects around the port's steps: each epoch's logs as the
# callbacks see them, the rate ReduceLROnPlateau lowers, EarlyStopping's restored weights, a
# callback that predicts (weights current), a per-batch callback that stops the run, and the
# checkpoint and CSV files.
WITH_CALLBACKS = '''
import numpy as np
import keras

keras.utils.set_random_seed(4)
rng = np.random.default_rng(2)
x = rng.normal(size=(400, 6)).astype("float32")
y = (x[:, 0] * x[:, 1] + x[:, 2] > 0).astype("int64")
model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(12, activation="relu"),
                          keras.layers.Dense(2, activation="softmax")])
model.compile(keras.optimizers.Adam(0.02), "sparse_categorical_crossentropy",
              metrics=[keras.metrics.SparseCategoricalAccuracy(name="acc"),
                       keras.metrics.SparseTopKCategoricalAccuracy(k=1), "sparse_categorical_crossentropy"],
              weighted_metrics=[keras.metrics.SparseCategoricalAccuracy(name="wacc")])

class Watch(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        p = self.model.predict(x[:3], verbose=0)
        print(epoch, sorted(logs), "%.5f" % logs["val_loss"], "%.5f" % p.sum(),
              "%.6f" % float(self.model.optimizer.learning_rate))

class StopAt(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        if batch == 3 and len(self.model.history.epoch) == 1:
            print("batch logs", sorted(logs), "%.5f" % logs["loss"])
            self.model.stop_training = True

h = model.fit(x, y, batch_size=25, epochs=20, validation_split=0.25, verbose=0,
              sample_weight=np.linspace(0.5, 2, 400),
              callbacks=[Watch(), keras.callbacks.ReduceLROnPlateau(patience=1, factor=0.3),
                         keras.callbacks.EarlyStopping(patience=2, restore_best_weights=True),
                         keras.callbacks.ModelCheckpoint("best.weights.h5", save_best_only=True,
                                                         save_weights_only=True),
                         keras.callbacks.CSVLogger("log.csv")])
print("epochs", h.epoch, sorted(h.history))
print("evaluate", ["%.5f" % v for v in model.evaluate(x, y, verbose=0)])
h2 = model.fit(x, y, batch_size=25, epochs=3, verbose=0, callbacks=[StopAt()])
print("stopped", h2.epoch, ["%.5f" % v for v in h2.history["loss"]])
print("csv", open("log.csv").read().count("\\n"))
'''


def port_and_keras_runs(path: str, logdir) -> tuple[list, list]:
    """The script's fits on the port (auto) and on Keras's fit on torch: every fit of ours ran
    on the port, step for step as Keras's; (ours, theirs) for further checks."""
    ours = run_script(ScriptSpec(path, logdir=str(logdir), verbose=0)).runs
    theirs = run_script(ScriptSpec(path, backend="keras-torch", logdir=str(logdir),
                                   verbose=0)).runs
    assert [r.spec.backend for r in ours] == ["torch"] * len(theirs), [r.engine for r in ours]
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.step_losses, b.step_losses, rtol=1e-5, atol=1e-7)
    return ours, theirs


def assert_the_port_steps_as_keras(path: str, logdir) -> None:
    """The script's one fit trains on the port (auto), step for step as Keras's fit on torch."""
    ours, _ = port_and_keras_runs(path, logdir)
    assert len(ours) == 1


def write(tmp_path, text: str, name: str = "train.py") -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_a_scripts_fits_train_on_the_port_as_keras_fit_trains_them(tmp_path, logdir, capfd):
    path = write(tmp_path, TWO_FITS)
    native = run_script(ScriptSpec(path, logdir=str(logdir), verbose=0))
    keras_fit = run_script(ScriptSpec(path, backend="keras-torch", logdir=str(logdir), verbose=0))
    assert [r.spec.backend for r in native.runs] == ["torch", "torch"]
    assert all("native PyTorch port" in r.engine for r in native.runs)
    assert [r.spec.backend for r in keras_fit.runs] == ["keras-torch", "keras-torch"]
    for ours, theirs in zip(native.runs, keras_fit.runs):
        assert ours.history.keys() == theirs.history.keys()
        np.testing.assert_allclose(ours.step_losses, theirs.step_losses, rtol=1e-5, atol=1e-7)
        for key in ours.history:
            np.testing.assert_allclose(ours.history[key], theirs.history[key], rtol=1e-5,
                                       atol=1e-7, err_msg=key)
    out = capfd.readouterr().out
    # What the script sees after fit is what Keras's fit leaves: History keys, iterations.
    assert out.count("history keys ['accuracy', 'loss', 'val_accuracy', 'val_loss'] "
                     "['accuracy', 'loss']") == 2
    assert out.count("iterations 65") == 2  # 3 x 15 steps + 2 x 10


def test_keras_callbacks_and_metric_objects_act_on_the_port_as_on_keras_fit(tmp_path, logdir,
                                                                            capfd, monkeypatch):
    path = write(tmp_path, WITH_CALLBACKS)
    printed, results, files = {}, {}, {}
    for backend in ("auto", "keras-torch"):
        cwd = tmp_path / backend
        cwd.mkdir()
        monkeypatch.chdir(cwd)
        results[backend] = run_script(ScriptSpec(path, backend=backend, logdir=str(logdir),
                                                 verbose=0))
        printed[backend] = capfd.readouterr().out
        files[backend] = sorted(p.name for p in cwd.iterdir())
    assert [r.spec.backend for r in results["auto"].runs] == ["torch", "torch"]
    out = printed["auto"]
    assert "stopped [0, 1]" in out and "batch logs" in out and "epochs [0, 1, 2" in out
    assert "best.weights.h5" in files["auto"] and files["auto"] == files["keras-torch"]
    assert _rounded(out) == _rounded(printed["keras-torch"]), (out, printed["keras-torch"])
    for ours, theirs in zip(results["auto"].runs, results["keras-torch"].runs):
        np.testing.assert_allclose(ours.step_losses, theirs.step_losses, rtol=1e-5, atol=1e-6)


def _rounded(text: str) -> str:
    """Printed numbers to 3 decimals: the port's sums run in another order than Keras's."""
    import re

    return re.sub(r"-?\d+\.\d+", lambda m: "%.3f" % float(m.group()), text)


def test_a_fit_the_port_cannot_run_goes_to_keras_with_the_reason(tmp_path, logdir):
    path = write(tmp_path, WITH_CALLBACK)
    result = run_script(ScriptSpec(path, logdir=str(logdir), verbose=0))
    (run,) = result.runs
    assert run.spec.backend == "keras-torch" and run.status == "completed"
    assert "cannot take fit 1" in run.engine and "BackupAndRestore" in run.engine
    with pytest.raises(ScenError, match="fit 1: the native port cannot take it: .*BackupAnd"):
        run_script(ScriptSpec(path, backend="torch", logdir=str(logdir), verbose=0))


REFUSED = {  # what the port cannot compute -> the reason its engine line gives
"callable_rate": ("model.compile(keras.optimizers.SGD(lambda: 0.01), 'mse')\n",
                      "the optimizer: a learning rate that is a function"),
}
SMALL = ("import numpy as np\nimport keras\n"
         "x = np.random.default_rng(0).normal(size=(64, 3)).astype('float32')\n")


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_rate_the_port_cannot_compute_goes_to_keras(tmp_path, logdir, case):
    """A learning rate given as a function: Keras's fit trains it (the port would fail on
    it), the engine line says why, and TensorFlow is not imported for it."""
    import sys

    compile_line, reason = REFUSED[case]
    script = (SMALL + "y = x.sum(axis=1, keepdims=True)\n"
              "model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])\n"
              + compile_line + "model.fit(x, y, epochs=2, verbose=0)\n")
    tf_before = "tensorflow" in sys.modules
    (run,) = run_script(ScriptSpec(write(tmp_path, script), logdir=str(logdir), verbose=0)).runs
    assert run.spec.backend == "keras-torch" and run.status == "completed", run.error
    assert reason in run.engine
    assert tf_before or "tensorflow" not in sys.modules


def test_string_labels_go_to_keras_which_refuses_them_as_python_would(tmp_path, logdir):
    """np.asarray(y, 'float32') would parse '0.0'/'1.0' and train; plain Keras raises."""
    script = (SMALL + "y = np.where(x[:, 0] > 0, '1.0', '0.0')\n"
              "model = keras.Sequential([keras.Input((3,)), "
              "keras.layers.Dense(1, activation='sigmoid')])\n"
              "model.compile('adam', 'binary_crossentropy')\n"
              "model.fit(x, y, epochs=2, verbose=0)\n")
    result = run_script(ScriptSpec(write(tmp_path, script), logdir=str(logdir), verbose=0))
    (run,) = result.runs
    assert run.spec.backend == "keras-torch" and run.status == "raised"
    assert "labels of dtype <U3, not numbers" in run.engine


def test_compare_a_script_on_keras_and_the_port(tmp_path, logdir):
    from scen.script_compare import compare_script

    path = write(tmp_path, TWO_FITS)
    comparisons = compare_script(path, [], ["keras-torch", "torch"], logdir=str(logdir))
    assert len(comparisons) == 2
    for c in comparisons:
        assert list(c.runs) == ["keras-torch", "torch"]
        assert c.parted_at["torch"] is None and c.largest["torch"] < 1e-5, c.largest
    notes = []
    with pytest.raises(ScenError, match="fewer than two backends"):
        compare_script(write(tmp_path, WITH_CALLBACK, "cb.py"), [], ["keras-torch", "torch"],
                       logdir=str(logdir), notes=notes)
    assert notes and "torch (the native port) left out" in notes[0] and "BackupAndRestore" in notes[0]


def test_after_a_port_fit_keras_finds_its_optimizer_and_generator_as_it_left_them(
        tmp_path, logdir, capfd):
    """Momentum slots, iterations, built loss and metrics go back into Keras: a Keras fit, an
    evaluate and torch's generator after the port's fit print what plain Keras prints."""
    path = write(tmp_path, THEN_KERAS)
    printed = {}
    for backend in ("auto", "keras-torch"):
        result = run_script(ScriptSpec(path, backend=backend, logdir=str(logdir), verbose=0))
        printed[backend] = capfd.readouterr().out
        assert [r.spec.backend for r in result.runs] == [
            "torch" if backend == "auto" else "keras-torch", "keras-torch"]
    assert "params {'verbose': 0, 'epochs': 2, 'steps': 10} slots 6" in printed["auto"]
    assert printed["auto"] == printed["keras-torch"]


WEIGHTED = '''
import sys
import numpy as np
import keras

rng = np.random.default_rng(7)
x = rng.normal(size=(200, 3)).astype("float32")
y = (x[:, 0] > 0.5).astype("float32")  # ~30% positives
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"),
                          keras.layers.Dense(1, activation="sigmoid")])
model.compile("adam", "binary_crossentropy")  # a slow start: the loss falls a little
if sys.argv[1] == "class":
    model.fit(x, y, epochs=3, class_weight={0: 1.0, 1: 4.0})
else:
    model.fit(x, y, epochs=3, sample_weight=np.where(y > 0, 4.0, 1.0))
'''


@pytest.mark.parametrize("weighting", ["class", "sample"])
def test_a_weighted_loss_is_compared_with_a_weighted_start(tmp_path, logdir, weighting):
    """fit's class or sample weights scale its loss: the loss before training is weighted the
    same way, or a falling loss reads as 'rising' from an unweighted start."""
    result = run_script(ScriptSpec(write(tmp_path, WEIGHTED), [weighting], logdir=str(logdir),
                                   verbose=0))
    (run,) = result.runs
    losses = run.history["loss"]
    assert losses == sorted(losses, reverse=True)  # it falls, every epoch
    assert "diverging_loss" not in {f["name"] for f in run.findings}, run.findings


# Accuracy over outputs with several values per sample: Keras's metric is the mean over all of
# them (positions of a sequence, units of a multi-label output), and picks sparse, binary or
# categorical accuracy from the shapes (compile_utils.is_binary_or_sparse_categorical).
SEVERAL_VALUES = '''
import numpy as np
import keras
from keras import layers

rng = np.random.default_rng(9)
x = rng.normal(size=(160, 12, 3)).astype("float32")
tags = (x @ rng.normal(size=(3, 4))).argmax(-1)
head = {head}
model = keras.Sequential([keras.Input((12, 3)), layers.Conv1D(8, 3, padding="same",
                          activation="relu")] + head)
model.compile("adam", "{loss}", metrics=["accuracy"])
model.fit(x, {labels}, batch_size=16, epochs=2, validation_split=0.25)
'''


@pytest.mark.parametrize("head, loss, labels", [
    ('[layers.Dense(4, activation="softmax")]', "sparse_categorical_crossentropy", "tags"),
    ('[layers.Dense(4, activation="softmax")]', "categorical_crossentropy",
     "keras.utils.to_categorical(tags, 4)"),
    ('[layers.Flatten(), layers.Dense(3, activation="sigmoid")]', "binary_crossentropy",
     "(x[:, 0, :] > 0).astype('float32')"),
    # Softmax over the time axis: Keras's loss renormalises over the last axis and trains it.
    ('[layers.Dense(4), layers.Softmax(axis=1)]', "sparse_categorical_crossentropy", "tags"),
])
def test_accuracy_over_several_values_per_sample_is_kerass(tmp_path, logdir, head, loss,
                                                            labels):
    path = write(tmp_path, SEVERAL_VALUES.format(head=head, loss=loss, labels=labels))
    (ours,) = run_script(ScriptSpec(path, logdir=str(logdir), verbose=0)).runs
    (theirs,) = run_script(ScriptSpec(path, backend="keras-torch", logdir=str(logdir),
                                      verbose=0)).runs
    assert ours.spec.backend == "torch" and ours.status == "completed", ours.error
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        np.testing.assert_allclose(ours.history[key], theirs.history[key], rtol=1e-5,
                                   atol=1e-6, err_msg=key)


@pytest.mark.parametrize("kind", ["gen", "pyds", "pyds-arrays", "loader", "oned", "dict"])
def test_datasets_and_fits_inputs_train_on_the_port_with_kerass_batches(tmp_path, logdir,
                                                                       capfd, kind):
    """A generator, a PyDataset (also as validation_data, or beside validation arrays), a
    shuffling torch DataLoader, a 1-D x and a dict of inputs: the port takes the batches Keras's own data adapters give, in
    their order (Keras's metric objects too), and the script prints what plain Keras prints."""
    from pathlib import Path

    path = str(Path(__file__).with_name("scripts") / "datasets.py")
    printed = {}
    for backend in ("auto", "keras-torch"):
        result = run_script(ScriptSpec(path, [kind], backend=backend, logdir=str(logdir),
                                       verbose=0))
        printed[backend] = capfd.readouterr().out
        (run,) = result.runs
        assert run.status == "completed", run.error
        if backend == "auto":
            assert run.spec.backend == "torch", run.engine
    assert printed["auto"] == printed["keras-torch"]


def test_a_tf_data_dataset_trains_on_the_port_with_kerass_batches_unlooked_at(tmp_path, logdir,
                                                                              capfd):
    """A shuffling tf.data.Dataset: the port builds from its element_spec (a look would take
    the next shuffle), trains on the batches Keras's own epoch iterator gives, and the script
    prints what plain Keras prints. One whose elements are not (x, y) stays with Keras."""
    pytest.importorskip("tensorflow")
    from pathlib import Path

    path = str(Path(__file__).with_name("scripts") / "datasets.py")
    printed = {}
    for backend in ("auto", "keras-torch"):
        (run,) = run_script(ScriptSpec(path, ["tfdata"], backend=backend, logdir=str(logdir),
                                       verbose=0)).runs
        printed[backend] = capfd.readouterr().out
        assert run.status == "completed", run.error
        assert (run.spec.backend == "torch") == (backend == "auto"), run.engine
    assert printed["auto"] == printed["keras-torch"]
    from scen.fit_data import spec_refusal

    import tensorflow as tf

    xs = tf.data.Dataset.from_tensor_slices(np.zeros((8, 3), "float32")).batch(4)
    assert "not (x, y) pairs" in spec_refusal(xs)


@pytest.mark.parametrize("schedule", [
    "keras.optimizers.schedules.ExponentialDecay(0.05, 5, 0.5)",
    "keras.optimizers.schedules.PiecewiseConstantDecay([4, 9], [0.1, 0.03, 0.01])",
    "keras.optimizers.schedules.CosineDecay(0.05, 20, warmup_target=0.1, warmup_steps=4)"])
@pytest.mark.parametrize("optimizer", ["SGD", "Adam"])
def test_a_learning_rate_schedule_steps_on_the_port_as_in_keras(tmp_path, logdir, schedule,
                                                                optimizer):
    """The schedule's rate at each step, as Keras's optimizer takes it, without TensorFlow."""
    import sys

    script = (SMALL + "y = x.sum(axis=1, keepdims=True)\n"
              "model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])\n"
              f"model.compile(keras.optimizers.{optimizer}({schedule}), 'mse')\n"
              "model.fit(x, y, epochs=4, batch_size=16, verbose=0)\n")
    path = write(tmp_path, script)
    tf_before = "tensorflow" in sys.modules
    assert_the_port_steps_as_keras(path, logdir)
    assert tf_before or "tensorflow" not in sys.modules


UNBUILT = '''
import sys
import numpy as np
import keras

keras.utils.set_random_seed(6)
rng = np.random.default_rng(6)
x = rng.normal(size=(240, 4)).astype("float32")
y = (x[:, 0] + x[:, 1] > 0).astype("float32")

class Residual(keras.Model):
    def __init__(self):
        super().__init__()
        self.hidden, self.out = keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)

    def call(self, inputs):
        return keras.activations.sigmoid(self.out(self.hidden(inputs)))

model = (Residual() if sys.argv[1] == "subclassed" else
         keras.Sequential([keras.layers.Dense(8, activation="relu"),
                           keras.layers.Dense(1, activation="sigmoid")]))
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
h = model.fit(x, y, epochs=3, batch_size=16, validation_split=0.25, verbose=0)
print([round(v, 4) for v in h.history["loss"]], model.count_params())
'''


@pytest.mark.parametrize("kind", ["sequential", "subclassed"])
def test_a_model_built_by_its_first_batch_is_built_as_keras_fit_builds_it(tmp_path, logdir,
                                                                          capfd, kind):
    """A Sequential without an Input, and a subclassed model whose call applies
    keras.activations.sigmoid (an op Keras runs for the port), train on the port, with the
    draws plain Keras makes (same weights, batches)."""
    path = write(tmp_path, UNBUILT)
    printed = {}
    for backend in ("auto", "keras-torch"):
        (run,) = run_script(ScriptSpec(path, [kind], backend=backend, logdir=str(logdir),
                                       verbose=0)).runs
        printed[backend] = capfd.readouterr().out
        if backend == "auto":
            assert run.spec.backend == "torch", run.engine
            assert "no weight is trainable" not in run.engine
    assert printed["auto"] == printed["keras-torch"]


@pytest.mark.parametrize("loss", [
    "def my_loss(y_true, y_pred):\n    return keras.ops.mean(keras.ops.abs(y_true - y_pred) ** 3)\n",
    "class MyLoss(keras.losses.Loss):\n    def call(self, y_true, y_pred):\n"
    "        return keras.ops.log(keras.ops.cosh(y_pred - y_true))\nmy_loss = MyLoss()\n"])
def test_the_scripts_own_loss_trains_on_the_port_through_kerass_compiled_loss(tmp_path, logdir,
                                                                              loss):
    script = (SMALL + "y = x.sum(axis=1, keepdims=True)\n"
              "model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), "
              "keras.layers.Dense(1)])\n" + loss +
              "model.compile('adam', my_loss)\n"
              "model.fit(x, y, epochs=3, batch_size=16, verbose=0, "
              "sample_weight=np.linspace(0.5, 1.5, 64))\n")
    path = write(tmp_path, script)
    assert_the_port_steps_as_keras(path, logdir)


NESTED = '''
import numpy as np
import keras

keras.utils.set_random_seed(8)
x = np.random.default_rng(8).uniform(size=(160, 12)).astype("float32")
encoder = keras.Sequential([keras.Input((12,)), keras.layers.Dense(6, activation="relu"),
                            keras.layers.Dropout(0.2), keras.layers.Dense(3, activation="relu")])
inputs = keras.Input((3,))
decoder = keras.Model(inputs, keras.layers.Dense(12, activation="sigmoid")(
    keras.layers.Dense(6, activation="relu")(inputs)))
outer = keras.Input((12,))
model = keras.Model(outer, decoder(encoder(outer)))
model.compile("adam", "binary_crossentropy")
h = model.fit(x, x, epochs=3, batch_size=16, verbose=0)
print([round(v, 4) for v in h.history["loss"]], model.count_params())
'''


def test_models_used_as_layers_train_on_the_port(tmp_path, logdir, capfd):
    """An autoencoder of a nested Sequential and a nested functional model (the decoder's
    sigmoid's logits reach the loss through it), with dropout: Keras's numbers."""
    path = write(tmp_path, NESTED)
    assert_the_port_steps_as_keras(path, logdir)


SUBCLASSED = '''
import numpy as np
import keras
from keras import layers, ops


class Residual(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.stem = layers.Dense(16, activation="relu")
        self.block = layers.Dense(16, activation="relu")
        self.norm = layers.LayerNormalization()
        self.drop = layers.Dropout(0.25)
        self.head = layers.Dense(3)

    def call(self, inputs, training=False):
        h = self.norm(self.stem(inputs) + self.block(self.stem(inputs)))
        return self.head(ops.concatenate([self.drop(h, training=training), inputs], axis=-1))


keras.utils.set_random_seed(4)
x = np.random.default_rng(4).normal(size=(300, 5)).astype("float32")
y = (x[:, 0] > 0).astype("int64") + (x[:, 1] > 1).astype("int64")
def batches():
    while True:
        for i in range(0, 300, 30):
            yield x[i:i + 30], y[i:i + 30]
for data, kw in ((x, dict(y=y, batch_size=25)), (batches(), dict(steps_per_epoch=10))):
    model = Residual()
    model.compile(keras.optimizers.Adam(5e-3),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=[keras.metrics.SparseCategoricalAccuracy()])
    h = model.fit(data, epochs=3, verbose=0, **kw)
    print([round(v, 4) for v in h.history["loss"]], model.count_params())
'''


def test_subclassed_models_train_on_the_port_from_arrays_and_a_generator(tmp_path, logdir):
    """Built by the first batch as Keras's fit builds it (the generator's peeked batches
    stay where Keras keeps them), traced into its own layers, dropout and all: Keras's
    numbers, step for step."""
    ours, _ = port_and_keras_runs(write(tmp_path, SUBCLASSED), logdir)
    assert len(ours) == 2


REGULARIZED = '''
import numpy as np
import keras
from keras import layers, regularizers

keras.utils.set_random_seed(1)
x = np.random.default_rng(1).normal(size=(400, 10)).astype("float32")
y = (x[:, :3].sum(1) > 0).astype("float32")
model = keras.Sequential([
    keras.Input((10,)),
    layers.Dense(32, activation="relu", kernel_regularizer=regularizers.l2(0.01)),
    layers.Dense(16, activation="relu", kernel_regularizer=regularizers.L1L2(l1=1e-3, l2=1e-2),
                 bias_regularizer="l1"),
    layers.Dropout(0.3),
    layers.Dense(1, activation="sigmoid", kernel_regularizer=keras.regularizers.L1(0.005))])
model.compile(keras.optimizers.SGD(0.05, momentum=0.9), "binary_crossentropy")
model.fit(x, y, epochs=4, batch_size=32, validation_split=0.25, verbose=0)
'''


def test_weight_regularizers_train_on_the_port_as_keras_adds_them(tmp_path, logdir):
    """l2, L1L2 and l1 given by name: Keras's compute_loss adds each weight's penalty to the
    compiled loss, in training and validation; so does the port, step for step."""
    assert_the_port_steps_as_keras(write(tmp_path, REGULARIZED), logdir)
    path = write(tmp_path, REGULARIZED.replace("regularizers.l2(0.01)",
                                               "regularizers.OrthogonalRegularizer(0.01)"))
    (run,) = run_script(ScriptSpec(path, logdir=str(logdir), verbose=0)).runs
    assert run.spec.backend == "keras-torch" and "OrthogonalRegularizer" in run.engine


CUSTOM_LAYERS = '''
import numpy as np
import keras
from keras import layers, ops


class NoisyGate(layers.Layer):
    """Weights of its own, Keras's seeded dropout, a count of calls, and an add_loss."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.seed_generator = keras.random.SeedGenerator(3)
        self.proj = layers.Dense(units, activation="tanh")

    def build(self, input_shape):
        self.gate = self.add_weight(shape=(self.units,), initializer="ones", name="gate")
        self.calls = self.add_weight(shape=(), initializer="zeros", trainable=False, name="calls")

    def call(self, x, training=None):
        h = self.proj(x) * ops.sigmoid(self.gate)
        if training:
            h = keras.random.dropout(h, 0.2, seed=self.seed_generator)
            self.calls.assign_add(1.0)
        self.add_loss(1e-3 * ops.mean(ops.square(h)))
        return h


keras.utils.set_random_seed(21)
rng = np.random.default_rng(21)
x = rng.normal(size=(300, 8)).astype("float32")
y = (x[:, :3].sum(1) > 0).astype("float32")
inputs = keras.Input((8,))
h = NoisyGate(12)(inputs)
h = layers.Dense(8, activation="relu", activity_regularizer="l2")(h)
h = ops.exp(h * -0.5)  # keras.ops on a constant
outputs = layers.Dense(1, activation="sigmoid")(layers.Conv1DTranspose(1, 1)(h[:, :, None])[:, :, 0])
model = keras.Model(inputs, outputs)
model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
history = model.fit(x, y, epochs=4, batch_size=30, validation_split=0.2, verbose=0)
print("history", {k: [round(v, 4) for v in vs] for k, vs in history.history.items()})
print("calls", float(model.layers[1].calls.numpy()))
'''


def test_layers_without_a_translation_train_on_the_port_run_by_keras(tmp_path, logdir, capfd):
    """A custom layer (weights of its own, Keras's seeded dropout, state it assigns, add_loss),
    an activity regularizer, keras.ops on constants and a layer the port does not translate
    (Conv1DTranspose) train on the port, Keras running those layers (KerasCall): step for step
    as Keras's fit, validation losses with the add_loss terms too, and the layer's own state
    counted as under Keras's fit."""
    ours, theirs = port_and_keras_runs(write(tmp_path, CUSTOM_LAYERS), logdir)
    np.testing.assert_allclose(ours[0].history["val_loss"], theirs[0].history["val_loss"],
                               rtol=1e-5)
    out = capfd.readouterr().out
    assert out.count("calls 32.0") == 2, out  # 4 epochs x 8 steps, on each engine


TWO_OUTPUTS = '''
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(6)
rng = np.random.default_rng(6)
x = rng.normal(size=(240, 6)).astype("float32")
kind = (x[:, 0] + x[:, 1] > 0).astype("int64") + (x[:, 2] > 1).astype("int64")
score = (x[:, 3:5].sum(1, keepdims=True) * 2.0).astype("float32")
inputs = keras.Input((6,), name="features")
h = layers.Dropout(0.2)(layers.Dense(16, activation="relu")(inputs))
outputs = {"kind": layers.Dense(3, activation="softmax", name="kind")(h),
           "score": layers.Dense(1, name="score")(h)}
model = keras.Model(inputs, outputs)
model.compile(keras.optimizers.Adam(1e-2),
              loss={"kind": "sparse_categorical_crossentropy", "score": keras.losses.Huber()},
              loss_weights={"kind": 1.0, "score": 0.25},
              metrics={"kind": ["accuracy"], "score": [keras.metrics.MeanAbsoluteError()]})
h = model.fit(x, {"kind": kind, "score": score}, epochs=4, batch_size=32,
              validation_split=0.25, verbose=0)
listed = keras.Model(inputs, [outputs["kind"], outputs["score"]])
listed.compile("rmsprop", ["sparse_categorical_crossentropy", "mse"], loss_weights=[0.5, 1.0])
listed.fit(x, [kind, score], sample_weight=np.linspace(0.5, 1.5, 240), epochs=3,
           batch_size=48, verbose=0)
'''


def test_models_of_several_outputs_train_on_the_port_with_keras_losses_and_metrics(
        tmp_path, logdir):
    """Outputs as a dict with loss, loss_weights and metric dicts and a validation split, then
    as a list with sample weights: every history key (the per-output losses included) and
    every step's loss as Keras's fit on torch gives them."""
    ours, theirs = port_and_keras_runs(write(tmp_path, TWO_OUTPUTS), logdir)
    assert len(ours) == 2 and "val_score_mean_absolute_error" in ours[0].history
    for a, b in zip(ours, theirs):
        assert a.history.keys() == b.history.keys()
        for key in a.history:
            np.testing.assert_allclose(a.history[key], b.history[key], rtol=1e-5, atol=1e-6,
                                       err_msg=key)


DROPOUT_PINNED = '''
import numpy as np
import keras
from keras import layers

keras.utils.set_random_seed(8)
x = np.random.default_rng(8).normal(size=(300, 10)).astype("float32")
y = (np.abs(x[:, 0]) + x[:, 1] > 1).astype("float32")
inp = keras.Input((10,))
h = layers.Dropout(0.5)(layers.Dense(32, activation="relu")(inp), training=True)  # MC dropout
model = keras.Model(inp, layers.Dense(1, activation="sigmoid")(h))
model.compile("adam", "binary_crossentropy")
model.fit(x, y, epochs=2, batch_size=30, validation_split=0.2, verbose=0)


class Net(keras.Model):  # Dropout on by the call's own default: training=True
    def __init__(self):
        super().__init__()
        self.d1, self.mid = layers.Dense(16, activation="relu"), layers.Dropout(0.4)
        self.d2 = layers.Dense(1, activation="sigmoid")

    def call(self, x, training=True):
        return self.d2(self.mid(self.d1(x), training=training))


net = Net()
net.compile("adam", "binary_crossentropy")
net.fit(x, y, epochs=2, batch_size=30, validation_split=0.2, verbose=0)
'''


def test_dropout_pinned_on_trains_and_validates_as_keras_fit_does(tmp_path, logdir):
    """A graph's Dropout(..., training=True) and a call whose training defaults to True:
    on in training, off in validation (Keras's evaluate passes training=False), and no
    random draw taken by scen's look before fit: Keras's numbers, val_loss included."""
    ours, theirs = port_and_keras_runs(write(tmp_path, DROPOUT_PINNED), logdir)
    assert len(ours) == 2
    for a, b in zip(ours, theirs):
        for key in ("loss", "val_loss"):
            np.testing.assert_allclose(a.history[key], b.history[key], rtol=1e-5, err_msg=key)


CHECKPOINTED = '''
import numpy as np
import keras

keras.utils.set_random_seed(0)
x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4), keras.layers.Dense(1)])
model.compile("adam", "mse")
model.fit(x, x[:, :1], epochs=2, batch_size=16, verbose=0,
          callbacks=[keras.callbacks.ModelCheckpoint("during.keras"),
                     keras.callbacks.ModelCheckpoint("batch.keras", save_freq=3)])
for saved in ("during.keras", "batch.keras"):  # at each epoch's end, and every 3 batches
    restored = keras.models.load_model(saved)
    print(saved, "iterations", int(restored.optimizer.iterations), "slots",
          [round(float(np.abs(v.numpy()).sum()), 5) for v in restored.optimizer.variables[2:]])
'''


def test_a_checkpoint_saved_during_a_port_fit_holds_the_optimizer_keras_would(tmp_path):
    """ModelCheckpoint saves the optimizer too: its step count and every slot (Adam's
    moments) as Keras's fit has them at that epoch, so a resumed fit goes on the same."""
    import subprocess
    import sys

    path = write(tmp_path, CHECKPOINTED)
    py = subprocess.run([sys.executable, path], capture_output=True, text=True, cwd=tmp_path,
                        env={**__import__("os").environ, "KERAS_BACKEND": "torch"}, timeout=300)
    ours = subprocess.run([sys.executable, "-m", "scen.cli.main", "run", path, "-q", "--logdir",
                           str(tmp_path / "runs")], capture_output=True, text=True,
                          cwd=tmp_path, timeout=300)
    assert py.returncode == ours.returncode == 0, ours.stderr
    assert "during.keras iterations 8" in py.stdout and "batch.keras iterations 6" in py.stdout
    assert "native PyTorch port" in ours.stdout
    assert ours.stdout.startswith(py.stdout)
