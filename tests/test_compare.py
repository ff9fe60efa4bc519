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
                        logdir=logdir, quiet=True))
    port = run(RunSpec("toy-blobs", "labels-1-2", backend="torch", semantics="jax", epochs=5,
                       shuffle=False, initial_weights=f"{first.run_dir}/initial_weights.npz",
                       logdir=logdir, quiet=True))
    assert port.status == first.status == "completed"
    # Keras-on-JAX step losses are recovered from float32 running totals: ~1e-6 apart.
    np.testing.assert_allclose(port.step_losses, first.step_losses, rtol=1e-5, atol=1e-5)


def test_compare_needs_two_backends(logdir):
    from scen.scenario import ScenError

    with pytest.raises(ScenError, match="at least two"):
        compare("toy-blobs", "as-posted", ["torch"], logdir=logdir)
