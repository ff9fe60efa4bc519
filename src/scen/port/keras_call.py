"""A layer the port has no translation for, run through Keras's own call on the torch backend.

A user's custom layer (a `Layer` subclass with its own `call`, often with `self.add_loss`), a
built-in layer outside the translated families, or a `keras.ops` call in a functional graph
(`keras.ops.exp(x)`, `x * 0.5`): on the torch backend Keras computes each of these with torch
ops, so calling it is exact by definition, and autograd runs through it.

The port's steps are pure functions of the parameters (`torch.func.functional_call` swaps in
the tensors being differentiated), while a Keras layer reads its weights from its own
variables. Keras's `StatelessScope` is the bridge it built for this (its JAX trainer and
`Layer.stateless_call` use it, keras/src/backend/common/stateless_scope.py): inside it, a
variable's value is the tensor mapped to it, `assign` records the new value instead of writing
it, and `add_loss` collects its losses. So each call maps the layer's variables to this
module's parameters and buffers, writes the updated non-trainable state (moving statistics,
random seeds) back into the buffers, and keeps the layer's `add_loss` values for the step's
loss (`PortedModel.added_losses`, summed into the loss as Keras's `compute_loss` sums
`model.losses`).
"""

from __future__ import annotations

import keras
import numpy as np
import torch
from torch import nn

from scen.port.base import Claim, UnsupportedLayerError, as_buffer, as_param
from scen.user_code import call_side_effects

__all__ = ["KerasCall", "keras_call"]


class KerasCall(nn.Module):
    """One Keras layer or operation, called by Keras. forward(arguments, tensors): the node's
    `SymbolicArguments` filled in from {id(KerasTensor): value}, Keras's own
    `Functional._run_through_graph` protocol; returns the flat list of outputs. `losses`: the
    add_loss values of the latest call, each a tensor."""

    def __init__(self, operation, variables: list):
        super().__init__()
        # Not a submodule: a Keras layer on torch is an nn.Module whose parameters are Keras's
        # own variables, which the port holds as its own tensors (below) and trains.
        object.__setattr__(self, "operation", operation)
        self.variables = variables  # Keras variables, in the order of `names`
        self.names = [f"v{i}" for i in range(len(variables))]
        for v, name in zip(variables, self.names):
            if v.trainable:
                self.register_parameter(name, as_param(v))
            else:  # moving statistics, seed-generator state: written back after each call
                self.register_buffer(name, _state(v))
        self.losses: list[torch.Tensor] = []

    def extra_repr(self) -> str:
        return f"{type(self.operation).__name__} '{self.operation.name}', run by Keras"

    def forward(self, arguments, tensors: dict) -> list:
        args, kwargs = arguments.fill_in(tensors)
        if isinstance(self.operation, keras.layers.Layer) and not kwargs.get("training"):
            # the graph's own `layer(x, training=True)` stays (a node records False unless
            # the graph was built so); else the port's mode, as Keras's fit passes
            # training=True and evaluate/predict False
            kwargs = dict(kwargs, training=self.training)
        mapping = [(v, getattr(self, n)) for v, n in zip(self.variables, self.names)]
        with keras.StatelessScope(state_mapping=mapping, collect_losses=True) as scope:
            out = self.operation(*args, **kwargs)
        with torch.no_grad():  # Keras assigns its non-trainable state; so does the port
            for v, name in zip(self.variables, self.names):
                new = scope.get_current_value(v)
                old = getattr(self, name)
                if not v.trainable and new is not None and new is not old:
                    old.copy_(new.detach())
        self.losses.extend(scope.losses)  # a shared layer's calls add up, as in Keras
        return keras.tree.flatten(out)


def _state(variable) -> torch.Tensor:
    """A non-trainable variable's value: float32 as the port holds every weight, or in its
    own integer dtype (a SeedGenerator's counter, which a float32 would round)."""
    value = np.array(variable.numpy())
    return as_buffer(variable) if value.dtype.kind == "f" else torch.from_numpy(value)


def keras_call(operation) -> tuple[KerasCall, list[Claim]]:
    """The KerasCall for a layer or operation the port does not translate, with claims on
    every variable it holds (its weights and its seed generators' state).

    Raises UnsupportedLayerError: Keras is not on torch here (the module calls Keras's torch
    ops), or the layer's call prints or keeps state on `self` (the port calls it where Keras's
    fit would, but also to look at the model, and a print would show it)."""
    if keras.backend.backend() != "torch":
        raise UnsupportedLayerError(
            f"cannot port '{operation.name}' ({type(operation).__name__}): the port runs "
            "layers it has no translation for through Keras's torch backend, and Keras runs "
            f"on {keras.backend.backend()} here")
    why = call_side_effects(operation) if isinstance(operation, keras.layers.Layer) else None
    if why:
        raise UnsupportedLayerError(
            f"cannot port layer '{operation.name}' ({type(operation).__name__}): {why}, and "
            "the port calls it outside the training steps too")
    variables = list(operation.variables) if isinstance(operation, keras.layers.Layer) else []
    constrained = [v.path for v in variables if getattr(v, "constraint", None) is not None]
    if constrained:  # Keras's optimizer applies them after each update; the port's does not
        raise UnsupportedLayerError(
            f"cannot port layer '{operation.name}' ({type(operation).__name__}): its weight "
            f"{constrained[0]} has a constraint, which Keras's optimizer applies after each step")
    module = KerasCall(operation, variables)
    claims = [Claim(v, getattr(module, n)) for v, n in zip(variables, module.names)]
    return module, claims
