"""Bidirectional (keras/src/layers/rnn/bidirectional.py) and TimeDistributed
(keras/src/layers/rnn/time_distributed.py) over the layers the port already translates.

Bidirectional: a forward copy and a go_backwards copy of an RNN, each (batch, time, features)
-> (batch, units) or (batch, time, units) with return_sequences; the backward sequence is
flipped back to time order, then merged: concat (units * 2 on the last axis), sum, ave, mul.
Keras forces zero_output_for_mask = return_sequences on both copies; the copies' translations
read it from them.

TimeDistributed: (batch, time, ...) -> (batch, time, ...'), the inner layer called once per
time step on (batch, ...) and the results stacked, as Keras does when the time axis is static
(its Python loop): per-step calls keep per-step dropout draws and per-step batch statistics.
"""

from __future__ import annotations

import torch

from scen.port.base import PortLayer, layer_error, refuse

__all__ = ["Bidirectional", "TimeDistributed", "builders"]

MERGE_MODES = ("concat", "sum", "ave", "mul")


def _translate_inner(table: dict, wrapper, inner):
    """The translation of a wrapped layer, by the same table as any layer."""
    build = table.get(type(inner).__name__)
    if build is None:
        raise layer_error(wrapper, f"it wraps an unsupported layer ({type(inner).__name__})")
    return build(inner)


class Bidirectional(PortLayer):
    takes_mask = True

    def __init__(self, forward, backward, merge_mode, return_sequences):
        super().__init__()
        self.forward_layer, self.backward_layer = forward, backward
        self.merge_mode, self.return_sequences = merge_mode, return_sequences

    def forward(self, x, mask=None):
        y = self.forward_layer(x, mask=mask)
        y_rev = self.backward_layer(x, mask=mask)
        if self.return_sequences:
            y_rev = torch.flip(y_rev, [1])
        if self.merge_mode == "concat":
            return torch.cat([y, y_rev], dim=-1)
        if self.merge_mode == "sum":
            return y + y_rev
        if self.merge_mode == "ave":
            return (y + y_rev) / 2
        return y * y_rev


def _bidirectional(table: dict, layer):
    if layer.merge_mode not in MERGE_MODES:
        raise refuse(layer, f"merge_mode={layer.merge_mode!r}")  # None: two outputs
    if layer.return_state or layer.stateful:
        raise refuse(layer, "return_state=True" if layer.return_state else "stateful=True")
    forward, claims = _translate_inner(table, layer, layer.forward_layer)
    backward, back_claims = _translate_inner(table, layer, layer.backward_layer)
    if not (getattr(forward, "takes_mask", False) and getattr(backward, "takes_mask", False)):
        raise layer_error(layer, "it wraps a layer that is not a recurrent layer")
    return (Bidirectional(forward, backward, layer.merge_mode, bool(layer.return_sequences)),
            claims + back_claims)


class TimeDistributed(PortLayer):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        if hasattr(inner, "act"):  # the graph reads the final activation (logits) from it
            self.act = inner.act

    def step(self, x):
        outs, pres = zip(*(self.inner.step(x[:, t]) for t in range(x.shape[1])))
        pre = None if any(p is None for p in pres) else torch.stack(pres, dim=1)
        return torch.stack(outs, dim=1), pre

    def forward(self, x):
        return torch.stack([self.inner(x[:, t]) for t in range(x.shape[1])], dim=1)


def _time_distributed(table: dict, layer):
    inner, claims = _translate_inner(table, layer, layer.layer)
    if getattr(inner, "many", False):
        raise layer_error(layer, "it wraps a layer that takes several inputs")
    return TimeDistributed(inner), claims


def builders(table: dict) -> dict:
    """The wrappers' entries for `table`, the translations by class name, which translates
    their inner layers (a wrapper in a wrapper included, once `table` holds these entries)."""
    return {"Bidirectional": lambda layer: _bidirectional(table, layer),
            "TimeDistributed": lambda layer: _time_distributed(table, layer)}
