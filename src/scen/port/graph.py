"""The graph half of the port: walk a built Keras model's nodes and run the translated layers.

Only the public-ish structure of the model is read: layer attributes, `Variable.numpy()` values
and `Variable.path` names, and the model's own node graph (`_nodes_by_depth`, the structure
`Functional._run_through_graph` executes). Nothing here depends on the backend the model was
built on. (Why ~640 lines: the walk over Keras's node graph, its nested models and its
layers with several outputs is one algorithm; the layers themselves live beside it.)
"""

from __future__ import annotations

import contextlib
import inspect
import math
from dataclasses import dataclass

import keras
import numpy as np
import torch
from torch import nn

from scen.observe import warnings_hidden
from scen.port.base import (LOGIT_ACTIVATIONS, Claim, UnsupportedLayerError, layer_error,
                             refuse, weight_penalty)
from scen.port.dense import ActivationLayer, Dense, Embedding
from scen.port.keras_call import KerasCall, keras_call
from scen.port.merge import Concatenate, concatenate, merge
from scen.port.noise import Dropout
from scen.port.registry import BUILDERS
from scen.port.shape import Flatten
from scen.user_code import call_side_effects

__all__ = ["PortedModel", "LayerInfo", "translate", "keras_weights", "count_params"]


# keras.ops calls between tensors that a graph may hold (`h + block(h)` in a subclassed
# model's call, keras.ops.concatenate in a functional one): the merging layers' modules.
OPS = {"Add": merge("add"), "Subtract": merge("subtract"), "Multiply": merge("multiply"),
       "Concatenate": concatenate}


def _make_module(layer, node) -> tuple[nn.Module, list[Claim]]:
    """One torch module for one Keras layer (called once per layer, so sharing is preserved):
    its translation, or, where it has none or the translation refuses a setting, the layer
    itself run by Keras on torch (scen.port.keras_call: a user's custom layer, `keras.ops.exp`
    in a graph)."""
    if not isinstance(layer, keras.layers.Layer):
        build = OPS.get(type(layer).__name__) if type(layer).__module__.startswith(
            "keras.src.ops.") else None
        between_tensors = all(isinstance(a, keras.KerasTensor)
                              for a in keras.tree.flatten(node.arguments.args))
        return build(layer) if build and between_tensors else keras_call(layer)  # x + 1.0
    build = BUILDERS.get(type(layer).__name__)
    if build is None:
        return keras_call(layer)
    try:
        module, claims = build(layer)
    except UnsupportedLayerError:
        return keras_call(layer)
    claimed = {id(c.variable) for c in claims}
    if any(id(v) not in claimed for v in layer.weights):  # state the translation does not know
        return keras_call(layer)
    return module, claims


# --------------------------------------------------------------------------------------------
# Graph walking
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Step:
    key: str  # module name in PortedModel.layer_modules (one per Keras layer)
    inputs: tuple[int, ...]  # tensor slots read
    output: int  # tensor slot written
    many: bool  # the module takes a list (Concatenate) rather than one tensor
    mask: int | None = None  # slot of the Embedding whose (x != 0) mask the module takes
    outputs: int = 1  # a layer of several outputs (LSTM(return_state=True)) writes them from
    # slot `output` on, in Keras's order
    node: object = None  # a KerasCall's Keras node: its arguments, filled in from...
    tensor_slots: tuple[tuple[int, int], ...] = ()  # ...(id(KerasTensor), slot) pairs


@dataclass(frozen=True)
class _WeightSpec:
    path: str  # Variable.path, e.g. "dense/kernel" or "sequential/dense/kernel"
    param: torch.Tensor | None  # parameter or buffer; None: kept as a constant
    constant: np.ndarray | None


def _graph_of(model):
    """The Functional that holds the node graph: the model itself, or a Sequential's inner one."""
    if isinstance(model, keras.Sequential):
        # A built Sequential wraps an auto-generated Functional (models/sequential.py: build());
        # it stays None while the model is unbuilt or was built with a nested input.
        graph = getattr(model, "_functional", None)
        if graph is None:
            raise ValueError(
                f"Sequential model '{model.name}' has no graph yet: give it an Input or call "
                "model.build(input_shape) / model(x) before translating"
            )
        return graph
    if getattr(model, "_nodes_by_depth", None) is None:
        return _traced(model)
    return model


def _traced(model):
    """A subclassed model's graph: its own `call` run once on a symbolic input, as a
    Functional whose nodes are the model's own layers (so its weights are the model's).

    Keras's fit builds a subclassed model by calling it on the first batch
    (Trainer._symbolic_build); the shape it recorded (`_build_shapes_dict`) is the input's.
    The trace runs with training left at the call's default, and again with training=True
    and False: a call that takes other layers in training or in evaluation (`if training:`,
    `if training is False:`) has no one graph and is refused. The trace must leave no mark
    on the model the script goes on using: Keras names what it makes (the input, the model,
    each ops call) from per-name counters, which are put back, so later layers keep the names
    `python train.py` gives them; and the nodes it adds to the layers are taken off again
    (forget_trace) once the graph has been read, so that `model.summary()` and `layer.output`
    read as after Keras's own fit. A call that prints or keeps state on self is refused too
    (scen.user_code): Keras's fit calls it every batch, a graph of its layers would not."""
    from keras.src.backend.common import global_state

    name = f"{model.name} ({type(model).__name__})"
    why = call_side_effects(model)
    if why:  # Keras's fit calls it every batch; a graph of its layers would not
        raise UnsupportedLayerError(f"cannot port subclassed model {name}: {why}, and Keras's "
                                    "fit calls it every batch")
    shapes = dict(getattr(model, "_build_shapes_dict", None) or {})
    shape = next(iter(shapes.values())) if len(shapes) == 1 else None
    if not model.built or not isinstance(shape, (tuple, list)) or not all(
            d is None or isinstance(d, int) for d in shape):
        raise UnsupportedLayerError(
            f"cannot port subclassed model {name}: it is not built on one input tensor")
    uids = global_state.get_global_attribute("object_name_uids")
    saved = dict(uids) if uids is not None else None
    try:
        takes_training = "training" in inspect.signature(model.call).parameters
        try:
            with warnings_hidden():
                inputs = keras.Input(batch_shape=(None, *shape[1:]), name=f"{model.name}_input")
                graph = keras.Model(inputs, model.call(inputs), name=f"{model.name}_traced")
                others = [] if not takes_training else [  # fit's call, and evaluate's
                    keras.Model(inputs, model.call(inputs, training=mode),
                                name=f"{model.name}_{mode}") for mode in (True, False)]
        except Exception as e:  # ops on concrete values, Python on tensors, several inputs
            raise UnsupportedLayerError(
                f"cannot port subclassed model {name}: its call cannot be traced into a graph "
                f"({type(e).__name__}: {str(e).splitlines()[0][:120]})") from None
        same = all(_layers_in_order(graph) == _layers_in_order(o) for o in others)
        for other in others:
            forget_trace(other)
        if not same:
            forget_trace(graph)
            raise UnsupportedLayerError(
                f"cannot port subclassed model {name}: its call runs other layers in training")
    finally:
        if saved is not None:
            uids.clear()
            uids.update(saved)
    graph._scen_trace = True
    return graph


def forget_trace(graph) -> None:
    """Take a traced graph's nodes off its layers' inbound and outbound node lists (keras
    ops/node.py puts them there), as if the symbolic call had never been made."""
    nodes = {id(n) for depth in graph._nodes_by_depth.values() for n in depth}
    for depth in graph._nodes_by_depth.values():
        for node in depth:
            for op in [node.operation] + [t._keras_history.operation
                                          for t in node.input_tensors]:
                op._inbound_nodes[:] = [n for n in op._inbound_nodes if id(n) not in nodes]
                op._outbound_nodes[:] = [n for n in op._outbound_nodes if id(n) not in nodes]


def _layers_in_order(graph) -> list[str]:
    """The graph's layers (by name) and ops (by kind: each trace names them anew), in order."""
    return [type(n.operation).__name__ + (":" + n.operation.name if isinstance(
        n.operation, keras.layers.Layer) else "") for n in _node_order(graph)]


def compute_dtype(x) -> torch.dtype | None:
    """The 16-bit dtype a mixed run computes in (torch.autocast active on x's device), else
    None. Autocast alone keeps the ops on its float32 list (softmax, log_softmax, the norms)
    in float32, where Keras's mixed_float16 and mixed_bfloat16 policies round every layer's
    output to the compute dtype (keras.src.layers.layer.Layer.__call__ casts; the torch
    backend's softmax computes in float32 on the CPU and casts back)."""
    device = getattr(x, "device", None)
    if device is None or not torch.is_autocast_enabled(device.type):
        return None
    return torch.get_autocast_dtype(device.type)


def to_compute(t, dtype: torch.dtype):
    return t.to(dtype) if isinstance(t, torch.Tensor) and t.is_floating_point() else t


def _node_order(graph) -> list:
    """Non-input nodes of this model's graph in an order where inputs come before use.

    `_nodes_by_depth` only holds this model's nodes (a layer's `_inbound_nodes` also lists calls
    made in other models). Deepest-first is Keras's own execution order; the extra
    "ready" check mirrors `_run_through_graph`, which skips nodes it cannot compute from the
    declared inputs instead of trusting depths blindly.
    """
    pending = [
        node
        for depth in sorted(graph._nodes_by_depth, reverse=True)
        for node in graph._nodes_by_depth[depth]
        if not node.is_input
    ]
    known = {id(t) for t in graph.inputs}
    ordered = []
    progress = True
    while pending and progress:
        progress, rest = False, []
        for node in pending:
            if all(id(t) in known for t in node.input_tensors):
                ordered.append(node)
                known.update(id(t) for t in node.outputs)
                progress = True
            else:
                rest.append(node)
        pending = rest
    return ordered  # nodes left in `pending` are unreachable from the inputs, as in Keras


@dataclass(frozen=True)
class LayerInfo:
    """One step of a PortedModel's graph, for code that computes the same function its own way
    (scen.sweep's hand-written Dense chains). Slots number the tensors: inputs first."""

    key: str  # the layer (a shared layer's steps share it)
    kind: str  # "dense", "activation", "flatten", "concatenate", "dropout", "other"
    inputs: tuple[int, ...]  # slots read
    output: int  # slot written
    activation: str | None = None  # dense, activation: the activation's name
    kernel: str | None = None  # dense: parameter names, as named_parameters() gives them
    bias: str | None = None
    features: tuple[int, int] | None = None  # dense: (in, out)
    channels_first: bool = False  # flatten
    rate: float = 0.0  # dropout: the rate when active in training, else 0


class PortedModel(nn.Module):
    """The torch twin of a Keras model. Build it with `translate(model)`.

    Attributes:
        layer_modules: nn.ModuleDict, one module per Keras layer, keyed by the layer's name.
        keras_paths: {Keras variable path: the tensor that holds it (a parameter, or a buffer
            for non-trainable state such as moving statistics)}, in get_weights order.
        input_names / output_name: names of the Keras input and output tensors.
        final_activation: name of the activation that produced the output ("sigmoid",
            "softmax", ...) or None if the output is not an activation's result.
    """

    def __init__(self, model):
        super().__init__()
        graph = _graph_of(model)
        try:
            owner = self._read_graph(model, graph)
        finally:
            if getattr(graph, "_scen_trace", False):  # a subclassed model's: leave no mark
                forget_trace(graph)
        # Record the weights in model.weights order, which is exactly the order of
        # model.get_weights() / set_weights() (Layer.get_weights), matched by variable identity.
        self._weights: list[_WeightSpec] = []
        for v in model.weights:
            claim = owner.get(id(v))
            if claim is not None and claim.tensor is not None:
                self._weights.append(_WeightSpec(v.path, claim.tensor, None))
            else:
                # A layer attached to the model object but not used by its graph, or state the
                # call does not read (Normalization's adapt counters): it cannot change the
                # output, so carry its value unchanged for set_weights round-trips.
                self._weights.append(_WeightSpec(v.path, None, np.array(v.numpy())))
        self.keras_paths: dict[str, torch.Tensor] = {
            w.path: w.param for w in self._weights if w.param is not None
        }
        # Weight regularizers: (parameter name, l1, l2) in Keras's order, that of
        # Layer._get_regularization_losses (model.trainable_weights); see penalties().
        names = {id(p): n for n, p in self.named_parameters()}
        self.penalized: list[tuple[str, float, float]] = []
        for v in model.trainable_weights:
            if v.regularizer is not None and v.path in self.keras_paths:
                factors = weight_penalty(v.regularizer)
                if factors is None:  # a layer Keras runs, or a builder without check_plain
                    raise UnsupportedLayerError(
                        f"cannot port the regularizer {type(v.regularizer).__name__} of "
                        f"{v.path}: the port computes Keras's L1, L2 and L1L2")
                self.penalized.append((names[id(self.keras_paths[v.path])], *factors))
        # Where inputs go: parameters() walks every module, too slow for every step. (A list,
        # so that nn.Module does not register it; .to() moves the parameter itself.)
        self._first_parameter = [next(self.parameters(), None)]
        # Keras's `model(x)` runs with training=False (Dropout off): start in eval mode to match.
        # Call .train() for training, as with any torch module.
        self.eval()

    def _read_graph(self, model, graph) -> dict:
        """Walk the graph's nodes in execution order: a module per layer, a step per call.
        The claims on the Keras variables, by id(variable)."""
        self.name = model.name
        self.input_names = [t.name for t in graph.inputs]
        self.layer_modules = nn.ModuleDict()

        slots: dict[int, int] = {id(t): i for i, t in enumerate(graph.inputs)}
        keys: dict[int, str] = {}  # id(keras layer) -> module key; a shared layer maps once
        owner: dict[int, Claim] = {}  # id(keras variable) -> its claim
        steps: list[_Step] = []
        final_act: dict[int, str | None] = {}  # slot -> activation that produced it
        # Masks (Embedding(mask_zero=True)): Keras leaves each symbolic tensor's mask on it as
        # `_keras_mask`; a mask slot names the Embedding output whose (x != 0) it is.
        mask_of: dict[int, int] = {}  # id(Keras mask tensor) -> slot of the Embedding output
        # Embedding's compute_mask runs keras.ops.not_equal symbolically, which adds a node for
        # each mask; the port derives masks itself, so those nodes and mask inputs are skipped.
        mask_ids = {id(m) for depth in graph._nodes_by_depth.values() for n in depth
                    for t in n.outputs if (m := getattr(t, "_keras_mask", None)) is not None}
        for node in _node_order(graph):
            layer = node.operation
            if node.outputs and all(id(t) in mask_ids for t in node.outputs):
                continue
            if id(layer) not in keys:
                key = layer.name.replace(".", "_")  # ModuleDict keys cannot contain dots
                module, claims = _make_module(layer, node)
                self.layer_modules[key] = module
                keys[id(layer)] = key
                owner.update({id(c.variable): c for c in claims})
            key = keys[id(layer)]
            module = self.layer_modules[key]
            if isinstance(module, KerasCall):
                steps.append(self._keras_call_step(key, node, slots, mask_of, mask_ids))
                continue
            # Keras records the symbolic call's `training` value in the node (False unless the
            # graph was built with `layer(x, training=True)`); other keyword arguments would
            # change what a layer computes, and the translated layers take none.
            kwargs = {k: v for k, v in node.arguments.kwargs.items() if v is not None}
            baked_training = bool(kwargs.pop("training", False))
            kwargs.pop("mask", None)  # Keras passes masks itself; handled below
            if kwargs:
                raise layer_error(layer, f"called with keyword arguments {sorted(kwargs)}")
            if len(node.outputs) != getattr(module, "n_outputs", 1):
                raise layer_error(layer, "layers with several outputs are not supported")
            if baked_training and isinstance(module, Dropout):
                # `Dropout(r)(x, training=True)` in the graph: Keras's `model(x)` keeps it on
                # (Monte-Carlo dropout); only an explicit model(x, training=False) turns it off.
                module.always = True
            ins = tuple(slots[id(t)] for t in node.input_tensors if id(t) not in mask_ids)
            out = len(slots)
            for i, t in enumerate(node.outputs):
                slots[id(t)] = out + i
            many = getattr(module, "many", False)
            if not many and len(ins) != 1:
                raise layer_error(layer, f"expected one input tensor, got {len(ins)}")
            mask = self._mask_for(layer, module, node, mask_of, mask_ids)
            out_mask = getattr(node.outputs[0], "_keras_mask", None)
            if out_mask is not None and id(out_mask) not in mask_of:
                if isinstance(module, Embedding):
                    mask_of[id(out_mask)] = out
                else:
                    raise refuse(layer, "...) on a masked input, making a new mask (")
            steps.append(_Step(key, ins, out, many, mask, len(node.outputs)))
            if hasattr(module, "act"):
                final_act[out] = module.act.name
            elif isinstance(module, Dropout) and not module.always:
                final_act[out] = final_act.get(ins[0])  # identity at eval keeps the logits
        if any(getattr(t, "_keras_mask", None) is not None for t in graph.outputs):
            raise UnsupportedLayerError(
                f"cannot port model '{model.name}': its output carries a mask from "
                "Embedding(mask_zero=True), which Keras applies to the loss; the port does not"
            )
        self._steps = steps
        self._keras_calls = [m for m in self.layer_modules.values() if isinstance(m, KerasCall)]
        if any(id(t) not in slots for t in graph.outputs):
            raise ValueError(f"cannot port model '{model.name}': its output is not connected to its inputs")
        # Several outputs come in the order of model.outputs (Keras's flattened structure).
        self._output_slots = [slots[id(t)] for t in graph.outputs]
        self._output_slot = self._output_slots[0]
        self.output_name = graph.outputs[0].name
        self.final_activations = [final_act.get(i) for i in self._output_slots]
        self.final_activation = self.final_activations[0]
        return owner

    @contextlib.contextmanager
    def evaluating(self):
        """As Keras's evaluate (and predict) call the model: training=False, which turns off
        even a Dropout the graph pins on (`Dropout(r)(x, training=True)`, Monte-Carlo
        dropout, which a plain `model(x)` keeps on), drawing no random number; the mode it
        was in after."""
        pinned = [m for m in self.modules() if isinstance(m, Dropout) and m.always]
        was_training = self.training
        for m in pinned:
            m.always = False
        self.eval()
        try:
            yield
        finally:
            for m in pinned:
                m.always = True
            self.train(was_training)

    def added_losses(self) -> list[torch.Tensor]:
        """The `add_loss` values of the latest forward pass (the layers Keras runs collect
        them), each summed to a 0-d float as Keras's `_aggregate_additional_loss` does, in the
        order of the model's layers (`model.losses`: the layers' own, then the regularizers')."""
        return [torch.sum(v if v.is_floating_point() else v.float())
                for m in self._keras_calls for v in m.losses]

    def penalties(self, params: dict[str, torch.Tensor]) -> list[torch.Tensor]:
        """The weight regularizers' losses, each a 0-d tensor, as Keras's L1, L2 and L1L2
        compute them (keras/src/regularizers/regularizers.py: l1 * sum(|w|) + l2 * sum(w**2),
        a term only where its factor is not 0), from `params` (named_parameters()' names:
        the parameters being differentiated). Keras's compute_loss adds them to the compiled
        loss, in training and in validation alike."""
        out = []
        for name, l1, l2 in self.penalized:
            w = params[name]
            factor = lambda f: torch.tensor(f, dtype=w.dtype, device=w.device)  # ops.cast
            if l1 and l2:  # L1L2: 0.0 + l1 * sum(|w|) + l2 * sum(w**2), in that order
                out.append(w.new_zeros(()) + factor(l1) * torch.sum(torch.abs(w))
                           + factor(l2) * torch.sum(torch.square(w)))
            elif l1:
                out.append(factor(l1) * torch.sum(torch.abs(w)))
            else:
                out.append(factor(l2) * torch.sum(torch.square(w)))
        return out

    @staticmethod
    def _keras_call_step(key, node, slots, mask_of, mask_ids) -> _Step:
        """The step of a layer that Keras runs (KerasCall): its node's arguments and the slots
        of the tensors they name. Keras hands a layer its inputs' masks itself, from the
        `_keras_mask` its tensors carry; the port's tensors carry none, so a masked input to a
        layer that takes `mask`, or a new mask out of it, is refused."""
        layer = node.operation
        tensors = [t for t in node.input_tensors if id(t) not in mask_ids]
        if any(getattr(t, "_keras_mask", None) is not None for t in tensors) and (
                "mask" in inspect.signature(getattr(layer, "call", layer)).parameters):
            raise layer_error(layer, "it takes the mask of Embedding(mask_zero=True), which "
                              "only the translated layers honour")
        out_mask = getattr(node.outputs[0], "_keras_mask", None) if node.outputs else None
        if out_mask is not None and id(out_mask) not in mask_of:
            raise layer_error(layer, "it makes a mask of its own")
        out = len(slots)
        for i, t in enumerate(node.outputs):
            slots[id(t)] = out + i
        return _Step(key, tuple(slots[id(t)] for t in tensors), out, False,
                     outputs=len(node.outputs), node=node,
                     tensor_slots=tuple((id(t), slots[id(t)]) for t in tensors))

    @staticmethod
    def _mask_for(layer, module, node, mask_of, mask_ids) -> int | None:
        """The mask slot a node's layer receives, or None; refuses masks the port cannot honour.

        Keras hands a mask to a layer only if its call() takes `mask`; layers whose call does
        not (Dense, Dropout, Conv1D, ...) compute as if unmasked and pass the mask on.
        """
        masks = [getattr(t, "_keras_mask", None) for t in node.input_tensors
                 if id(t) not in mask_ids]
        if all(m is None for m in masks):
            return None
        if "mask" not in inspect.signature(layer.call).parameters:
            return None
        if not getattr(module, "takes_mask", False) or len(masks) != 1:
            raise refuse(layer, "...) on a masked input from Embedding(mask_zero=True) (")
        if id(masks[0]) not in mask_of:
            raise refuse(layer, "...) on a mask not made by an Embedding (")
        return mask_of[id(masks[0])]

    # ---- execution -------------------------------------------------------------------------
    def _inputs(self, inputs) -> list[torch.Tensor]:
        if len(inputs) == 1 and isinstance(inputs[0], (list, tuple)):
            inputs = tuple(inputs[0])  # accept model([a, b]) style too
        if len(inputs) != len(self.input_names):
            raise ValueError(
                f"{self.name} expects {len(self.input_names)} inputs "
                f"({', '.join(self.input_names)}), got {len(inputs)}"
            )
        ref = self._first_parameter[0]
        device = ref.device if ref is not None else None
        # as_tensor neither copies nor detaches a tensor that already has the right dtype/device.
        return [torch.as_tensor(x, dtype=torch.float32, device=device) for x in inputs]

    @property
    def several_outputs(self) -> bool:
        return len(self._output_slots) > 1

    def forward_with_logits(self, *inputs) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(output, logits): logits are the final sigmoid/softmax's input, else None. A model
        of several outputs gives a list of each (in model.outputs' order)."""
        values: list[torch.Tensor | None] = self._inputs(inputs)
        values += [None] * sum(s.outputs for s in self._steps)
        half = compute_dtype(values[0])
        for m in self._keras_calls:
            m.losses = []
        pre: dict[int, torch.Tensor] = {}
        masks: dict[int, torch.Tensor] = {}
        for s in self._steps:
            module = self.layer_modules[s.key]
            if s.node is not None:  # a layer Keras runs: its outputs, flattened
                values[s.output:s.output + s.outputs] = module(
                    s.node.arguments, {t: values[i] for t, i in s.tensor_slots})
                continue
            if s.many:
                y = module([values[i] for i in s.inputs])
            elif s.mask is not None:
                y = module(values[s.inputs[0]], mask=masks[s.mask])
            else:
                x = values[s.inputs[0]]
                y, p = module.step(x)
                if p is not None:
                    pre[s.output] = p
                if isinstance(module, Embedding) and module.mask_zero:
                    masks[s.output] = module.mask_of(x)
                if isinstance(module, Dropout) and not module.active():
                    # Keras's Dropout returns its input object at inference, so the TF
                    # backend still finds `_keras_logits` on it; keep the logits too.
                    if s.inputs[0] in pre:
                        pre[s.output] = pre[s.inputs[0]]
            if half is not None:  # Keras's mixed policies: every layer outputs its compute dtype
                y = [to_compute(t, half) for t in y] if s.outputs > 1 else to_compute(y, half)
            if s.outputs == 1:
                values[s.output] = y
            else:
                values[s.output:s.output + s.outputs] = y
        pairs = [(values[i], pre.get(i) if act in LOGIT_ACTIVATIONS else None)
                 for i, act in zip(self._output_slots, self.final_activations)]
        if len(pairs) == 1:
            return pairs[0]
        return [o for o, _ in pairs], [lg for _, lg in pairs]  # several outputs: lists

    def layers(self) -> list[LayerInfo]:
        """The graph's steps in execution order; the output is slot `output_slot`. Layers other
        than Dense, Activation, Flatten, Concatenate and Dropout have kind "other"."""
        names = {id(p): name for name, p in self.named_parameters()}
        kinds = {Dense: "dense", ActivationLayer: "activation", Flatten: "flatten",
                 Concatenate: "concatenate", Dropout: "dropout"}
        out = []
        for s in self._steps:
            m = self.layer_modules[s.key]
            info = dict(key=s.key, kind=kinds.get(type(m), "other"), inputs=s.inputs,
                        output=s.output)
            if isinstance(m, (Dense, ActivationLayer)):
                info["activation"] = m.act.name
            if isinstance(m, Dense):
                info.update(kernel=names[id(m.weight)], features=(m.in_features, m.out_features),
                            bias=names[id(m.bias)] if m.bias is not None else None)
            elif isinstance(m, Flatten):
                info["channels_first"] = m.channels_first
            elif type(m) is Dropout:
                info["rate"] = m.p
            out.append(LayerInfo(**info))
        return out

    @property
    def output_slot(self) -> int:
        return self._output_slot

    def forward(self, *inputs, with_logits: bool = False):
        """The output; with_logits=True gives forward_with_logits's pair (for functional_call,
        which calls forward)."""
        out, logits = self.forward_with_logits(*inputs)
        return (out, logits) if with_logits else out

    # ---- weights ---------------------------------------------------------------------------
    def named_keras_weights(self) -> list[tuple[str, np.ndarray]]:
        """[(Keras path, value as Keras lays it out)] in model.get_weights() order."""
        result = []
        for w in self._weights:
            if w.param is None:
                result.append((w.path, w.constant.copy()))
                continue
            value = w.param.detach().cpu().numpy()  # shares memory with the parameter: copy
            result.append((w.path, np.array(value, order="C")))
        return result

    def keras_weights(self) -> list[np.ndarray]:
        return [value for _, value in self.named_keras_weights()]

    def parameters_by_path(self) -> dict[str, torch.Tensor]:
        """{Keras variable path: the tensor holding it} (parameters and buffers)."""
        return {w.path: w.param for w in self._weights if w.param is not None}

    def set_keras_weights(self, values: list) -> None:
        """Load values in model.get_weights() order (Keras's layouts) into the port, in place:
        what a Keras callback set (EarlyStopping's best weights, a user's set_weights) is then
        what the port trains on. Parameters that are views of the optimizer's flat buffer stay
        views."""
        with torch.no_grad():
            for w, value in zip(self._weights, values):
                if w.param is not None:  # a constant takes no part in the computation
                    w.param.copy_(torch.as_tensor(np.asarray(value), dtype=w.param.dtype))

    def named_keras_gradients(self) -> dict[str, np.ndarray]:
        """{Keras path: .grad laid out as Keras lays the variable out}, for parameters that
        have a gradient."""
        return self.named_keras_values(lambda p: p.grad)

    def named_keras_values(self, value_of) -> dict[str, np.ndarray]:
        """{Keras path: value_of(parameter), laid out as Keras lays the variable out} for each
        parameter where it is not None: its gradient, an optimizer slot (float32 numpy)."""
        out = {}
        for w in self._weights:
            v = value_of(w.param) if w.param is not None else None
            if v is not None:
                v = v.detach().float().cpu().numpy()
                out[w.path] = np.array(v, order="C")
        return out


class NestedModel(nn.Module):
    """A Sequential or functional model used as a layer of another (an encoder and a decoder,
    a base network under a head): translated whole, as Keras calls it whole, its weights
    claimed by the outer model. step(x) gives the inner model's (output, logits)."""

    def __init__(self, inner: PortedModel):
        super().__init__()
        self.inner = inner
        if inner.final_activation is not None:  # the outer graph reads logits through it
            self.act = _FinalActivation(inner.final_activation)

    def step(self, x):
        return self.inner.forward_with_logits(x)

    def forward(self, x):
        return self.inner(x)


@dataclass(frozen=True)
class _FinalActivation:
    name: str


def nested_model(layer) -> tuple[nn.Module, list[Claim]]:
    """The BUILDERS entry for a model used as a layer (one input)."""
    inner = PortedModel(layer)
    if len(inner.input_names) != 1 or inner.several_outputs:
        raise layer_error(layer, "a nested model with several inputs or outputs is not "
                                 "supported")
    return NestedModel(inner), [Claim(v, inner.keras_paths.get(v.path)) for v in layer.weights]


BUILDERS["Sequential"] = BUILDERS["Functional"] = nested_model


def translate(model) -> PortedModel:
    """A torch.nn.Module computing the same function as the built Keras `model` (float32)."""
    return PortedModel(model)


def keras_weights(ported: PortedModel) -> list[np.ndarray]:
    """The port's weights in `model.get_weights()` order."""
    return ported.keras_weights()


def count_params(ported: PortedModel) -> int:
    """Number of scalars in the port's parameters (equals model.count_params() when shared
    layers are shared)."""
    return sum(math.prod(p.shape) for p in ported.parameters())
