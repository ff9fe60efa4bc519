"""Numeric precision: a model run entirely in float16 (`keras.config.set_floatx("float16")`, or
float16 variables), as opposed to mixed precision, which keeps the weights in float32.

In float16, 1 - 1e-7 rounds to 1.0, so Keras's clipping of probabilities to [1e-7, 1 - 1e-7]
no longer keeps log(1 - p) finite; the largest value is 65504, and an update below ~1/2048 of a
weight is rounded away. The preflight check says so as a warning; once the run shows NaN or Inf,
the detectors' settlement makes it the cause (detectors.py, catalogue.CAUSES).
"""

from __future__ import annotations

import numpy as np

from scen.diagnose.catalogue import Finding, finding

LOW_PRECISION = {"float16"}  # bfloat16 keeps float32's range; its clip problem is the same,
# but no report here has shown it, so it is left to the float16 wording.


def float16_throughout(model) -> bool:
    """Every floating-point trainable weight of `model` is float16 (so not mixed precision,
    whose weights are float32)."""
    dtypes = {str(getattr(v, "dtype", "")) for v in getattr(model, "trainable_weights", [])}
    dtypes = {d.replace("torch.", "") for d in dtypes if "float" in d}
    return bool(dtypes) and dtypes <= LOW_PRECISION


def check_precision(model) -> list[Finding]:
    """float16 throughout: warn, with the arithmetic that makes it fragile."""
    if not float16_throughout(model):
        return []
    try:
        import keras

        floatx = keras.config.floatx()
        policy = keras.config.dtype_policy().name
    except Exception:  # pragma: no cover - Keras is there whenever a model is
        floatx = policy = "?"
    one = np.float16(1 - 1e-7)
    return [finding(
        "float16_throughout",
        f"every trainable weight is float16 (keras.config.floatx() is '{floatx}', dtype policy "
        f"'{policy}'); in float16 1 - 1e-7 rounds to {float(one)} (np.float16(1 - 1e-7) == 1), "
        "so Keras's clipping of probabilities at 1e-7 no longer keeps log(1 - p) finite; the "
        "largest float16 is 65504, and a step smaller than ~1/2048 of a weight is rounded "
        "away. One overflow makes the weights, then the predictions, NaN.")]
