"""The sweep's one hand-written path: forward and backward written out for a chain of small
Dense layers, with a trailing seed axis. Why it exists (measured with
benchmarks/sweep_bench.py, toy-blobs, 100 epochs, this project's 2-core CPU, torch 2.13):
torch.func (vmap over a leading seed axis of scen.native.Trainer's own step, grad) costs 4.0x
one seed's run for 256 seeds on as-posted and 3.0x on rmsprop; this path 1.8-1.9x (1.4-1.5x
at 500 epochs). With the seed axis leading, the 2-class softmax, argmax and class sums reduce
over a last axis of size 2 (torch's CPU kernels take ~50 ns a row: 350 us a step for softmax alone), and
autograd's bookkeeping costs more than the arithmetic of such small layers.

It takes only what it computes exactly as the single run does: one input, Dense layers of
up to SMALL weights with an elementwise activation or softmax (and Activation, Flatten,
inactive Dropout), binary or categorical cross-entropy or squared error, no
ReduceLROnPlateau. Anything else trains through the torch.func engine (scen.sweep.engine).
Autograd's own backward kernels (aten::sigmoid_backward, tanh_backward, ...) or formulas, and
its chain rule, op for op, without its graph. Tensors: inputs (batch, features, S), kernels
(in, out, S) in Keras's layout, biases (out, S); every trainable weight is a view of one
(weights, S) tensor that the Keras-exact optimizer updates at once.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from scen.keras_exact import EPSILON

SMALL = 256  # in*out up to this: broadcast products summed over `in`; above: einsum
ACTIVATIONS = ("linear", "relu", "sigmoid", "tanh", "softmax")
LOSSES = ("binary_crossentropy", "categorical_crossentropy", "mean_squared_error")


def dense(x, kernel, bias, small: bool):
    """x (..., in, S) @ kernel (in, out, S) + bias (out, S)."""
    if small:  # (..., in, 1, S) * (in, out, S), summed over in
        z = (x.unsqueeze(-2) * kernel).sum(-3)
    else:
        z = torch.einsum("...is,ios->...os", x, kernel)
    return z if bias is None else z + bias


class DenseChain:
    """One training step for every seed of a Dense chain; None from build() where it does not
    apply. step() takes the engine's batches, (S, batch, ...), and returns the per-seed loss and
    matches, each (S,)."""

    def __init__(self, layers, kind: str, accuracy: str, flat, optimizer, grad):
        self.layers, self.kind, self.accuracy = layers, kind, accuracy
        self.flat, self.optimizer, self.grad = flat, optimizer, grad

    @classmethod
    def build(cls, ported, loss: str, accuracy: str, stacked: dict, make_optimizer,
              plateau: bool):
        """ported: the single run's PortedModel; loss: Keras's loss name; stacked: {parameter
        name: (S, *torch shape) array}, all trainable; make_optimizer(flat) -> a Keras-exact
        optimizer over [flat]."""
        import numpy as np

        from scen.keras_exact import canonical_loss_name

        kind = canonical_loss_name(loss)
        if plateau or len(ported.input_names) != 1 or kind not in LOSSES:
            return None
        infos, slot, used = ported.layers(), 0, set()
        plan = []  # (kind, argument) per layer, weights filled in below
        for info in infos:
            if info.inputs != (slot,) or info.key in used:
                return None  # not a chain, or a layer used twice
            used.add(info.key)
            slot = info.output
            if info.kind == "dense":
                if (info.activation not in ACTIVATIONS or info.bias is None
                        or info.features[0] * info.features[1] > SMALL
                        or info.kernel not in stacked or info.bias not in stacked):
                    return None  # big layers are compute-bound: torch.func is as fast
                plan.append(("dense", info))
            elif info.kind == "activation" and info.activation in ACTIVATIONS:
                plan.append(("activation", info.activation))
            elif info.kind == "flatten" and not info.channels_first:
                plan.append(("flatten", None))
            elif info.kind == "dropout" and info.rate == 0:
                plan.append(("identity", None))
            else:
                return None
        if slot != ported.output_slot or not any(k == "dense" for k, _ in plan):
            return None
        S = next(iter(stacked.values())).shape[0]
        # Keras's layout, seeds last: kernels (in, out, S), biases (out, S).
        values = {}
        for k, info in plan:
            if k == "dense":
                values[info.kernel] = np.moveaxis(stacked[info.kernel], 0, -1)
                values[info.bias] = np.moveaxis(stacked[info.bias], 0, -1)
        sizes = {name: v.size // S for name, v in values.items()}
        flat = torch.zeros((sum(sizes.values()), S))
        grad = torch.zeros_like(flat)
        views, offset = {}, 0
        for name, v in values.items():
            views[name] = (flat[offset:offset + sizes[name]].view(v.shape),
                           grad[offset:offset + sizes[name]].view(v.shape))
            views[name][0].copy_(torch.as_tensor(np.ascontiguousarray(v, dtype="float32")))
            offset += sizes[name]
        layers = []
        for k, arg in plan:
            if k == "dense":
                (kernel, gk), (bias, gb) = views[arg.kernel], views[arg.bias]
                layers.append(("dense", (kernel, bias, gk, gb, arg.activation, True)))
            else:
                layers.append((k, arg))
        return cls(layers, kind, accuracy, flat, make_optimizer(flat), grad)

    def step(self, xs, y):
        x = xs[0].movedim(0, -1).contiguous()  # (S, batch, ...) -> (batch, ..., S)
        y = y.movedim(0, -1).contiguous()
        with torch.no_grad():
            per_seed, out = self._forward_backward(x, y)
            self.optimizer.apply_update([self.grad], [self.flat])
        return per_seed, self._matches(y, out)

    @staticmethod
    def _act(name, z):
        if name == "sigmoid":
            return torch.sigmoid(z)
        if name == "softmax":
            return torch.softmax(z, dim=-2)
        if name == "relu":
            return torch.relu(z)
        if name == "tanh":
            return torch.tanh(z)
        return z

    @staticmethod
    def _act_backward(name, g, out):
        aten = torch.ops.aten
        if name == "sigmoid":
            return aten.sigmoid_backward(g, out)
        if name == "softmax":  # _softmax_backward_data's formula; its strided kernel is slow
            return out * (g - (g * out).sum(-2, keepdim=True))
        if name == "relu":
            return aten.threshold_backward(g, out, 0)
        if name == "tanh":
            return aten.tanh_backward(g, out)
        return g

    def _forward_backward(self, x, y):
        """One training step's forward and backward: (per-seed loss, output); the gradients
        are in the buffers given to build()."""
        saved = []
        a = x
        for kind, arg in self.layers:
            if kind == "dense":
                kernel, bias, _, _, act, small = arg
                z = dense(a, kernel, bias, small)
                out = self._act(act, z)
                saved.append((a, out))
                a = out
            elif kind == "activation":
                out = self._act(arg, a)
                saved.append((None, out))
                a = out
            elif kind == "flatten":
                saved.append((a.shape, None))
                a = a.reshape(a.shape[0], -1, a.shape[-1])
            else:
                saved.append((None, None))
        per_seed, g = self._loss(y, a)
        first_dense = next(i for i, (k, _) in enumerate(self.layers) if k == "dense")
        for i in range(len(self.layers) - 1, first_dense - 1, -1):
            kind, arg = self.layers[i]
            inp, out = saved[i]
            if kind == "dense":
                kernel, _, gk, gb, act, small = arg
                g = self._act_backward(act, g, out)
                batch_dims = tuple(range(g.dim() - 2))
                torch.sum(g, dim=batch_dims, out=gb)
                if small:  # (..., in, 1, S) * (..., 1, out, S), summed over the batch
                    torch.sum(inp.unsqueeze(-2) * g.unsqueeze(-3), dim=batch_dims, out=gk)
                    if i > first_dense:
                        g = (g.unsqueeze(-3) * kernel).sum(-2)
                else:
                    gk.copy_(torch.einsum("...is,...os->ios", inp, g))
                    if i > first_dense:
                        g = torch.einsum("...os,ios->...is", g, kernel)
            elif kind == "activation":
                g = self._act_backward(arg, g, out)
            elif kind == "flatten":
                g = g.reshape(inp)
        return per_seed, a

    def _loss(self, y, out):
        """SeedLoss's value and its gradient with respect to `out`, as autograd computes it."""
        shape = out.shape
        y, o = _prepare(y, out)
        if y.shape != o.shape:
            raise ValueError(f"shapes differ: {tuple(y.shape[:-1])} vs {tuple(o.shape[:-1])}")
        S = o.shape[-1]
        if self.kind == "categorical_crossentropy":
            total = torch.sum(o, dim=-2, keepdim=True)
            p = o / total
            pc = torch.clip(p, EPSILON, 1.0 - EPSILON)
            logp = torch.log(pc)
            values = -torch.sum(y * logp, dim=-2)
            count = values.numel() // S
            per_seed = values.reshape(-1, S).sum(0) / count
            g = (torch.ones_like(per_seed) / count).expand(values.shape)
            g = (-g).unsqueeze(-2).expand(logp.shape)
            g = (g * y) / pc
            g = torch.where((p >= EPSILON) & (p <= 1.0 - EPSILON), g, 0.0)
            g_total = torch.sum(-g * o / (total * total), dim=-2, keepdim=True)
            g = g / total + g_total
        elif self.kind == "binary_crossentropy":
            pc = torch.clip(o, EPSILON, 1.0 - EPSILON)
            per_elem = F.binary_cross_entropy(pc, y, reduction="none")
            values = torch.mean(per_elem, dim=-2)
            count = values.numel() // S
            per_seed = values.reshape(-1, S).sum(0) / count
            g = (torch.ones_like(per_seed) / count).expand(values.shape)
            g = g.unsqueeze(-2).expand(per_elem.shape) / per_elem.shape[-2]
            g = torch.ops.aten.binary_cross_entropy_backward(g, pc, y, None, 0)
            g = torch.where((o >= EPSILON) & (o <= 1.0 - EPSILON), g, 0.0)
        else:  # mean_squared_error
            diff = y - o
            values = torch.mean(torch.square(diff), dim=-2)
            count = values.numel() // S
            per_seed = values.reshape(-1, S).sum(0) / count
            g = (torch.ones_like(per_seed) / count).expand(values.shape)
            g = g.unsqueeze(-2).expand(diff.shape) / diff.shape[-2]
            g = -(g * 2 * diff)
        return per_seed, g.reshape(shape)


    # ---- accuracy, as scen.native.Trainer.matches counts it, classes at -2 ----------------
    @staticmethod
    def _argmax(out):
        """argmax over the class axis (-2): torch.argmax's rule (the first maximum; NaN counts
        as the maximum) without its slow strided kernel."""
        if out.shape[-2] == 2:
            a, b = out[..., 0, :], out[..., 1, :]
            return ((b > a) | ((b != b) & (a == a))).long()
        return out.max(-2).indices  # max's indices follow argmax's first-maximum rule

    def _matches(self, y, out):
        S = y.shape[-1]
        if self.accuracy == "binary":
            y2 = y.reshape(out.shape) if y.numel() == out.numel() else y
            m = y2 == (out > 0.5).to(y2.dtype)
        elif self.accuracy == "sparse":
            m = y.reshape(-1, S) == self._argmax(out).reshape(-1, S).to(y.dtype)
        else:
            m = self._argmax(y) == self._argmax(out)
        return m.reshape(-1, S).sum(0).float()


def _prepare(y, out):
    """keras_exact._prepare (LossFunctionWrapper's rank fixes), the seed axis aside."""
    r_true, r_pred = y.dim() - 1, out.dim() - 1
    if r_true == r_pred + 1 and y.shape[-2] == 1:
        if r_pred == 1:
            out = out.unsqueeze(-2)
        else:
            y = y.squeeze(-2)
    if r_pred == r_true + 1 and out.shape[-2] == 1:
        if r_true == 1:
            y = y.unsqueeze(-2)
        else:
            out = out.squeeze(-2)
    return y, out
