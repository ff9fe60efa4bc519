"""Merging layers (keras/src/layers/merging/): Add, Subtract, Multiply, Average, Maximum,
Minimum, Concatenate, Dot. Each takes a list of tensors of one shape (Concatenate: equal but
for `axis`) and folds them left to right, as Keras's _merge_function does."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from scen.port.base import PortLayer, refuse

__all__ = ["Merge", "Concatenate", "Dot", "BUILDERS"]

_FOLD = {"add": torch.add, "subtract": torch.subtract, "multiply": torch.multiply,
         "average": torch.add, "maximum": torch.maximum, "minimum": torch.minimum}


class Merge(PortLayer):
    many = True

    def __init__(self, kind):
        super().__init__()
        self.kind = kind

    def forward(self, xs):
        xs = list(xs)
        if self.kind == "subtract" and len(xs) != 2:
            raise ValueError("Subtract takes exactly two inputs")
        out = xs[0]
        for x in xs[1:]:
            out = _FOLD[self.kind](out, x)
        if self.kind == "average":
            out = out / len(xs)
        return out


class Concatenate(PortLayer):
    many = True

    def __init__(self, axis: int):
        super().__init__()
        self.axis = axis  # Keras's axis counts the batch axis, as torch's dim does

    def forward(self, xs):
        return torch.cat(list(xs), dim=self.axis)


class Dot(PortLayer):
    """merging/dot.py batch_dot: sum over x's axes[0] and y's axes[1]; the result has x's
    other axes then y's (batch first), and at least rank 2. normalize: l2-normalize each
    along its dot axis first (torch/nn.py normalize: F.normalize, eps 1e-12... as Keras)."""

    many = True

    def __init__(self, axes, normalize):
        super().__init__()
        self.axes, self.normalize = axes, normalize

    def forward(self, xs):
        x, y = xs
        a0, a1 = self.axes
        a0, a1 = a0 % x.dim(), a1 % y.dim()
        if self.normalize:
            x = F.normalize(x, p=2, dim=a0, eps=1e-12)
            y = F.normalize(y, p=2, dim=a1, eps=1e-12)
        xm = torch.movedim(x, a0, -1)
        ym = torch.movedim(y, a1, 1)
        xr, yr = xm.shape[1:-1], ym.shape[2:]
        out = torch.bmm(xm.reshape(x.shape[0], -1, xm.shape[-1]),
                        ym.reshape(y.shape[0], ym.shape[1], -1))
        out = out.reshape(x.shape[0], *xr, *yr)
        return out.unsqueeze(-1) if out.dim() == 1 else out


def merge(kind):
    return lambda layer: (Merge(kind), [])


def concatenate(layer):
    return Concatenate(int(layer.axis)), []


def dot(layer):
    axes = layer.axes
    if isinstance(axes, int):
        axes = (axes, axes)
    if any(isinstance(a, (list, tuple)) for a in axes):
        raise refuse(layer, f"axes={layer.axes}")
    return Dot(tuple(int(a) for a in axes), bool(layer.normalize)), []


BUILDERS = {"Add": merge("add"), "Subtract": merge("subtract"), "Multiply": merge("multiply"),
            "Average": merge("average"), "Maximum": merge("maximum"),
            "Minimum": merge("minimum"), "Concatenate": concatenate, "Dot": dot}
