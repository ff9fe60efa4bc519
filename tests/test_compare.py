"""Backends side by side, from the same weights and batch order; and the port taking each
backend's view of the losses."""

import importlib.util

import numpy as np
import pytest

from scen.compare import PORT_AS_TF, compare
from scen.runner import RunSpec, run

needs_tf = pytest.mark.skipif(importlib.util.find_spec("tensorflow") is None,
                              reason="tensorflow is not installed")
needs_jax = pytest.mark.skipif(importlib.util.find_spec("jax") is None,
                               reason="jax is not installed")


@needs_tf
def test_mnist_sigmoid_tensorflow_loss_is_explained_and_reproduced_by_the_port(logdir):
    c = compare("mnist-sigmoid", "as-posted", ["keras-torch", "torch", "keras-tensorflow"],
                epochs=1, steps_per_epoch=60, logdir=logdir)
    tf, port_as_tf = c.runs["keras-tensorflow"], c.runs[PORT_AS_TF]
    assert max(tf.history["loss"]) > 100 > 10 > max(c.runs["keras-torch"].history["loss"])
    assert c.parted_at["torch"] is None  # the port follows Keras-on-torch at every step
    # The port with TensorFlow's loss semantics follows Keras-on-TF step by step until the
    # saturated dynamics amplify rounding.
    a, b = np.asarray(tf.step_losses[:20]), np.asarray(port_as_tf.step_losses[:20])
    np.testing.assert_allclose(b, a, rtol=1e-4)
    text = " ".join(c.verdict)
    assert "pre-activation logits" in text and "clip" in text


@needs_jax
def test_labels_1_2_raise_on_torch_and_go_negative_on_jax(logdir):
    c = compare("toy-blobs", "labels-1-2", ["keras-torch", "keras-jax", "torch"], epochs=40,
                logdir=logdir)
    assert c.runs["keras-torch"].status == c.runs["torch"].status == "raised"
    assert min(c.runs["keras-jax"].history["loss"]) < 0
    text = " ".join(c.verdict)
    assert "refused the program" in text and "went negative" in text


@needs_jax
def test_port_with_jax_semantics_trains_on_labels_1_2_as_keras_jax_does(logdir):
    first = run(RunSpec("toy-blobs", "labels-1-2", backend="keras-jax", epochs=5, shuffle=False,
                        logdir=logdir, verbose=0))
    port = run(RunSpec("toy-blobs", "labels-1-2", backend="torch", semantics="jax", epochs=5,
                       shuffle=False, initial_weights=f"{first.run_dir}/initial_weights.npz",
                       logdir=logdir, verbose=0))
    assert port.status == first.status == "completed"
    # Keras-on-JAX step losses are recovered from float32 running totals: ~1e-6 apart.
    np.testing.assert_allclose(port.step_losses, first.step_losses, rtol=1e-5, atol=1e-5)


def test_compare_needs_two_backends(logdir):
    from scen.scenario import ScenError

    with pytest.raises(ScenError, match="at least two"):
        compare("toy-blobs", "as-posted", ["torch"], logdir=logdir)


# ---- the verdict, from made-up runs: it must read what the steps show, at any length ---------

def _run(step_losses, loss="categorical_crossentropy"):
    from scen.runner import RunResult

    return RunResult(spec=RunSpec("mnist-sigmoid"), run_dir="", status="completed", error=None,
                     info={"loss": loss}, history={"loss": [float(np.mean(step_losses))]},
                     step_losses=list(step_losses), seconds=1.0, weight_change=1.0)


def _verdict(runs, tolerance=1e-4):
    from scen.compare import Comparison, explain, first_parting

    c = Comparison("mnist-sigmoid", "as-posted", runs, tolerance)
    reference = next(iter(runs.values())).step_losses
    for label, r in runs.items():
        same, c.largest[label] = first_parting(reference, r.step_losses, tolerance)
        c.parted_at[label] = None if same == len(r.step_losses) else same + 1
    return " ".join(explain(c))


@pytest.mark.parametrize("port_larger", [True, False])
def test_a_gap_at_step_one_is_a_different_computation_whichever_run_is_larger(port_larger):
    """The port-as-TF run may end above or below Keras-on-TF (rounding in a saturated run):
    the explanation must not depend on which."""
    torch_steps = [2.3, 2.3, 2.29, 2.28]
    tf_steps = [50.0, 400.0, 900.0, 1100.0]
    port_steps = [50.0, 400.0, 900.0, 1100.0 * (1.1 if port_larger else 0.9)]
    text = _verdict({"keras-torch": _run(torch_steps), "torch": _run(torch_steps),
                     "keras-tensorflow": _run(tf_steps), PORT_AS_TF: _run(port_steps)})
    assert "keras-tensorflow computes the loss differently" in text
    assert "pre-activation logits" in text and PORT_AS_TF in text
    assert "rounding, amplified" not in text


def test_a_slow_drift_is_rounding():
    a = [1.0, 0.9, 0.8, 0.7, 0.6]
    b = [1.0, 0.9, 0.8 + 2e-4, 0.7 + 5e-4, 0.6 + 1e-3]
    text = _verdict({"keras-torch": _run(a), "keras-jax": _run(b)})
    assert "keras-jax parts from keras-torch at step 3" in text and "rounding" in text


def test_a_jump_in_a_loss_without_logits_is_not_blamed_on_tensorflow():
    a = [1.0, 0.9, 0.8]
    b = [1.0, 0.9, 3.0]
    text = _verdict({"keras-torch": _run(a, "mse"), "keras-tensorflow": _run(b, "mse")})
    assert "computes the loss differently" in text and "logits" not in text


@pytest.mark.parametrize("backends, says", [
    (["torch", "torch"], "twice"),
    (["keras-torch", "mxnet"], "unknown backend 'mxnet'"),
])
def test_bad_backends_fail_before_any_run(backends, says, logdir):
    from pathlib import Path

    from scen.scenario import ScenError

    with pytest.raises(ScenError, match=says):
        compare("toy-blobs", "as-posted", backends, logdir=logdir)
    assert not Path(logdir).exists()


def test_losses_that_go_nan_together_agree():
    """TerminateOnNaN stops both runs at the step whose loss is NaN: the same loss, not a
    'relative nan' parting."""
    from scen.compare import first_parting

    nan = float("nan")
    assert first_parting([1.0, 0.5, nan], [1.0, 0.5, nan], 1e-4) == (3, 0.0)
    assert first_parting([1.0, 0.5, nan], [1.0, 0.5, 0.4], 1e-4)[0] == 2
    assert first_parting([1.0, float("inf")], [1.0, float("inf")], 1e-4)[0] == 2
