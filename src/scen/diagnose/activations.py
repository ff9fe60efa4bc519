"""Units on a data sample: activation statistics per layer (`ActivationExtractor`,
`activation_stats`) and the check over them (`check_activations`: saturated, dead or tied
units). Preflight runs it at initialisation; the in-run detector `detect_units` on the last
epoch with statistics.

BatchNormalization normalises each training batch by the batch's own moments and only
inference by its moving averages (keras/src/layers/normalization/batch_normalization.py), so
the units are looked at as training sees them (`batch_statistics`), and each
BatchNormalization's moving averages are measured against its inputs' moments (`kind`
"batchnorm": what validation and predict() see, `detect_batchnorm_statistics`).
"""

from __future__ import annotations

import contextlib

import numpy as np

from scen.diagnose.catalogue import Finding, finding
from scen.diagnose.model import activation_of, layer_tensors, looked_at, without_gradients


SIGMOID_SATURATED = 0.0025  # sigmoid'(z) = s(1-s) below 1% of its maximum 0.25: |z| > ~6.
TANH_SATURATED = 0.01  # tanh'(z) = 1 - t^2 below 1% of its maximum 1: |z| > ~3.
SOFTMAX_SATURATED = 0.99  # a row whose largest probability is above this is one-hot already.
SATURATED_SHARE = 0.5  # "most of the batch": over half the unit-sample pairs are saturated.
DEAD_RELU_SHARE = 0.5  # over half a layer's ReLUs never fire on the sample. Some dead units are
# normal (a unit whose weights all point away from positive data); a majority wastes the layer.
TIE_SHARE_WARNING = 0.1  # rows whose largest output is tied (exactly equal values): argmax, and
TIE_SHARE_ERROR = 0.5  # so Keras's accuracy, picks the first; at half the rows accuracy is noise.


class ActivationExtractor:
    """A keras.Model over the outputs of every layer with a known activation (plus the model's
    output), sharing the live layers, so its answers follow the weights as they train.
    Calling it on a sample gives {layer name: activation_stats(...)}, and "(output)" for the
    model's output (ties and non-finite values) when it has more than one unit."""

    KINDS = {"sigmoid", "hard_sigmoid", "tanh", "relu", "relu6", "softmax"}

    def __init__(self, model):
        import keras

        self.layers = [l for l in model.layers
                       if activation_of(l) in self.KINDS and len(layer_tensors(l, "output")) == 1]
        inputs = model.inputs if len(model.inputs) > 1 else model.inputs[0]
        outputs = [l.output for l in self.layers] + [model.outputs[0]]
        self.model = keras.Model(inputs, outputs)
        self.keras = keras
        # Each BatchNormalization with the part of the model that feeds it, in graph order.
        self.norms = [(l, keras.Model(inputs, l.input)) for l in model.layers
                      if type(l).__name__ == "BatchNormalization"
                      and len(layer_tensors(l, "input")) == 1]

    def _run(self, model, x) -> list[np.ndarray]:
        context = without_gradients()
        with context, looked_at(model):  # Keras warns about input structure and batch size
            values = model(x, training=False)
        values = values if isinstance(values, (list, tuple)) else [values]
        return [np.asarray(self.keras.ops.convert_to_numpy(v), dtype=np.float32) for v in values]

    @contextlib.contextmanager
    def batch_statistics(self, x, stats: dict):
        """Within: each BatchNormalization normalises by its inputs' moments on the sample x,
        as in training, not by its moving averages (restored after; nothing random is drawn,
        where a training=True call would draw Dropout's masks). stats gets, per
        BatchNormalization, how far its moving averages are from those moments."""
        saved = [(bn, self.keras.ops.convert_to_numpy(bn.moving_mean),
                  self.keras.ops.convert_to_numpy(bn.moving_variance)) for bn, _ in self.norms]
        try:
            for (bn, feeds), (_, moving_mean, moving_variance) in zip(self.norms, saved):
                a = self._run(feeds, x)[0]
                axes = tuple(i for i in range(a.ndim) if i != bn.axis % a.ndim)
                mean, variance = a.mean(axis=axes), a.var(axis=axes)
                stats[bn.name] = batchnorm_stats(moving_mean, moving_variance, mean, variance,
                                                 bn.epsilon, bn.momentum)
                bn.moving_mean.assign(mean)
                bn.moving_variance.assign(variance)
            yield
        finally:
            for bn, mean, variance in saved:
                bn.moving_mean.assign(mean)
                bn.moving_variance.assign(variance)

    def __call__(self, x) -> dict[str, dict]:
        norms: dict[str, dict] = {}
        with self.batch_statistics(x, norms):
            values = self._run(self.model, x)
        stats = {l.name: activation_stats(activation_of(l), v) for l, v in zip(self.layers, values)}
        if norms:  # the output again, as inference computes it: what the averages change
            stats.update(norms)
            stats["(batchnorm)"] = views_compared(values[-1], self._run(self.model, x)[-1])
        out = values[-1]
        if out.ndim >= 2 and out.shape[-1] > 1:
            rows = out.reshape(-1, out.shape[-1])
            stats["(output)"] = dict(kind="output", ties=_tie_share(out),
                                     uniform=float(np.mean(np.ptp(rows, axis=1) == 0)),
                                     nonfinite=int((~np.isfinite(out)).sum()))
        return stats


def activation_stats(kind: str, a: np.ndarray) -> dict:
    """Saturated share (derivative under 1% of its maximum), exact limits in float32, dead
    ReLU units (never positive on the sample), and non-finite values. `a`: (samples, ...,
    units); shares are fractions in [0, 1]."""
    a = np.asarray(a, dtype=np.float32)
    s = dict(kind=kind, nonfinite=int((~np.isfinite(a)).sum()), units=int(a.shape[-1]))
    if kind in ("sigmoid", "hard_sigmoid"):
        s["saturated"] = float(np.mean(a * (1 - a) < SIGMOID_SATURATED))
        s["exact"] = float(np.mean((a == 0.0) | (a == 1.0)))
    elif kind == "tanh":
        s["saturated"] = float(np.mean(1 - a * a < TANH_SATURATED))
        s["exact"] = float(np.mean(np.abs(a) == 1.0))
    elif kind in ("relu", "relu6"):
        fired = (a > 0).reshape(-1, a.shape[-1]).any(axis=0)
        s["dead"] = float(1 - fired.mean())
        s["zero"] = float(np.mean(a <= 0))
    elif kind == "softmax" and a.shape[-1] > 1:
        s["saturated"] = float(np.mean(a.max(axis=-1) > SOFTMAX_SATURATED))
    if a.ndim >= 2 and a.shape[-1] > 1 and kind in ("sigmoid", "hard_sigmoid", "softmax"):
        s["ties"] = _tie_share(a)
    return s


def batchnorm_stats(moving_mean, moving_variance, mean, variance, epsilon: float,
                    momentum: float) -> dict:
    """How far a BatchNormalization's moving averages are from its inputs' moments (mean,
    variance: per feature, on the sample): `shift`, the median over features of |moving mean
    - mean| in the inputs' standard deviations; `scale`, the median of sqrt(moving variance /
    variance) (1: settled). Inference divides by the moving one where training divided by
    the batch's."""
    sd = np.sqrt(np.asarray(variance, dtype=np.float64) + epsilon)
    shift = np.abs(np.asarray(moving_mean, dtype=np.float64) - mean) / sd
    scale = np.sqrt(np.asarray(moving_variance, dtype=np.float64) + epsilon) / sd
    return dict(kind="batchnorm", shift=float(np.median(shift)), scale=float(np.median(scale)),
                momentum=float(momentum), input_mean=float(np.median(np.abs(mean))),
                moving_mean=float(np.median(np.abs(moving_mean))))


def views_compared(training: np.ndarray, inference: np.ndarray) -> dict:
    """The model's output on the sample as training computes it (batch statistics) against
    inference (moving averages): `changed`, the share of rows whose predicted class differs
    (argmax, or 0.5 for one unit); `relative`, the median |difference| in units of the
    training view's standard deviation (for regression)."""
    t, i = training.reshape(len(training), -1), inference.reshape(len(inference), -1)
    if t.shape[-1] > 1:
        changed = float(np.mean(t.argmax(-1) != i.argmax(-1)))
    else:
        changed = float(np.mean((t > 0.5) != (i > 0.5)))
    relative = float(np.median(np.abs(t - i)) / (np.std(t) + 1e-12))
    return dict(kind="batchnorm_views", changed=changed, relative=relative)


def _tie_share(a: np.ndarray) -> float:
    rows = a.reshape(-1, a.shape[-1])
    return float(np.mean((rows == rows.max(axis=1, keepdims=True)).sum(axis=1) >= 2))


def check_activations(stats: dict[str, dict], when: str, output_layer: str | None = None,
                      argmax: bool = True) -> list[Finding]:
    """Units saturated, dead or tied on the sample, from `activation_stats` per layer.
    `when` words the evidence ("at initialisation", "after epoch 3").
    `output_layer`: exempt from saturation once trained (a confident output saturates).
    `argmax`: the accuracy is an argmax over the outputs (one-of-K), so ties matter."""
    f = []
    nonfinite = [layer for layer, s in stats.items() if s.get("nonfinite")]
    for layer, s in stats.items():
        kind = s["kind"]
        if s.get("nonfinite"):
            if layer == nonfinite[0]:  # the layers after it only pass its NaN on: said here
                after = ", ".join(repr(a) for a in nonfinite[1:4]) + (
                    ", ..." if len(nonfinite) > 4 else "")
                f.append(finding(
                    "nonfinite_activations",
                    f"{s['nonfinite']} non-finite values on the sample {when}"
                    + (f", the first of {len(nonfinite)} layers with them (then {after})"
                       if after else "") + ".",
                    layer=layer, when=when))
            continue
        if kind in ("sigmoid", "hard_sigmoid", "tanh") and s["saturated"] > SATURATED_SHARE and (
                layer != output_layer):
            f.append(finding(
                "saturated_units",
                f"{s['saturated']:.0%} of the unit outputs of layer '{layer}' ({kind}) are at "
                f"their limits {when} (derivative under 1% of its maximum), {s['exact']:.0%} "
                "exactly at them in float32: almost no gradient flows through.",
                layer=layer, kind=kind, when=when))
        if kind in ("relu", "relu6") and s["dead"] > DEAD_RELU_SHARE:
            every = s["dead"] >= 1.0  # all dead: nothing below this layer learns at all
            f.append(finding(
                "dead_relu",
                f"{round(s['dead'] * s['units'])} of {s['units']} units of layer '{layer}' "
                f"output 0 for every sample {when}; a dead ReLU gets no gradient and never recovers"
                + ("; with all of them dead nothing below this layer learns." if every else "."),
                severity="error" if every else "warning", layer=layer, dead=s["dead"], when=when))
        ties = s.get("ties", 0.0)
        if ties > TIE_SHARE_WARNING and layer == "(output)" and argmax:
            # Every unit equal: the output layer was fed nothing that varies (units upstream
            # all 0: a dead bottleneck, zero kernels); else saturation at exactly 1.0.
            uniform = s.get("uniform", 0.0) >= ties / 2
            f.append(finding(
                "argmax_ties:uniform" if uniform else "argmax_ties",
                f"in {ties:.0%} of the sample rows the largest output value is shared by two or "
                f"more units {when}"
                + (f" ({s['uniform']:.0%} of the rows give every unit the same value: the "
                   "layers before the output pass on nothing that varies)" if uniform else
                   " (typically sigmoids saturated at exactly 1.0 in float32)")
                + "; argmax, and so Keras's accuracy, picks the first of them.",
                severity="error" if ties > TIE_SHARE_ERROR else "warning"))
    return f
