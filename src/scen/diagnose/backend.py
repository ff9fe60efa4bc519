"""What differs per Keras backend: reading a variable as numpy, and recomputing gradients
(TF and JAX keep none after a step; Keras's torch trainer leaves them on each `.grad`).

Keras is imported inside the functions, so that importing scen.diagnose stays cheap.
"""

from __future__ import annotations

import numpy as np


def to_numpy(v) -> np.ndarray:
    """A Keras variable or tensor as a numpy array (a copy)."""
    import keras

    return np.array(keras.ops.convert_to_numpy(v))


def recomputed_gradients(model, x, y) -> dict[str, np.ndarray]:
    """TF and JAX keep no gradients after a step: recompute them on a sample batch (as
    scen.keras_run does, for inputs and targets given as arrays, lists or dicts).
    Returns {variable path: gradient, shaped like the variable}; {} on other backends."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            y_pred = model(x, training=True)
            loss = model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)
        grads = tape.gradient(loss, model.trainable_variables)
    elif backend == "jax":
        import jax

        def loss_of(trainable):
            y_pred, _ = model.stateless_call(
                trainable, [v.value for v in model.non_trainable_variables], x, training=True)
            return model.compute_loss(x=x, y=y, y_pred=y_pred, training=True)

        grads = jax.grad(loss_of)([v.value for v in model.trainable_variables])
    else:
        return {}
    return {v.path: np.asarray(keras.ops.convert_to_numpy(g))
            for v, g in zip(model.trainable_variables, grads) if g is not None}
