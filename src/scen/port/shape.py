"""Shape layers (keras/src/layers/reshaping/): Flatten, Reshape, Permute, RepeatVector,
ZeroPadding1D/2D/3D, Cropping1D/2D/3D, UpSampling1D/2D/3D (nearest). No weights."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from scen.port.base import PortLayer, refuse

__all__ = ["Flatten", "Reshape", "Permute", "RepeatVector", "Pad", "Crop", "UpSample",
           "BUILDERS"]


class Flatten(PortLayer):
    """(batch, ...) -> (batch, prod(...)). Keras moves channels last before flattening a
    channels_first input, so a following Dense sees the features in the same order."""

    def __init__(self, channels_first: bool):
        super().__init__()
        self.channels_first = channels_first

    def forward(self, x):
        if self.channels_first and x.dim() > 2:
            x = x.permute(0, *range(2, x.dim()), 1)
        return x.reshape(x.shape[0], -1)


class Reshape(PortLayer):
    def __init__(self, shape):
        super().__init__()
        self.shape = tuple(shape)

    def forward(self, x):
        return x.reshape(x.shape[0], *self.shape)


class Permute(PortLayer):
    def __init__(self, dims):
        super().__init__()
        self.dims = (0,) + tuple(dims)  # Keras's dims start at 1 (the batch axis is fixed)

    def forward(self, x):
        return x.permute(*self.dims)


class RepeatVector(PortLayer):
    """(batch, features) -> (batch, n, features)."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def forward(self, x):
        return x.unsqueeze(1).repeat(1, self.n, 1)


def _spatial_axes(rank, channels_first, ndim):
    return list(range(2, 2 + rank)) if channels_first else list(range(1, 1 + rank))


class Pad(PortLayer):
    """ZeroPadding: zeros added (before, after) on each spatial axis."""

    def __init__(self, rank, pads, channels_first):
        super().__init__()
        self.rank, self.pads, self.channels_first = rank, pads, channels_first

    def forward(self, x):
        axes = _spatial_axes(self.rank, self.channels_first, x.dim())
        flat = [0, 0] * x.dim()
        for axis, (a, b) in zip(axes, self.pads):
            k = x.dim() - 1 - axis  # F.pad lists the last axis first
            flat[2 * k], flat[2 * k + 1] = a, b
        return F.pad(x, tuple(flat))


class Crop(PortLayer):
    def __init__(self, rank, crops, channels_first):
        super().__init__()
        self.rank, self.crops, self.channels_first = rank, crops, channels_first

    def forward(self, x):
        idx = [slice(None)] * x.dim()
        for axis, (a, b) in zip(_spatial_axes(self.rank, self.channels_first, x.dim()),
                                self.crops):
            idx[axis] = slice(a, x.shape[axis] - b)
        return x[tuple(idx)]


class UpSample(PortLayer):
    """Nearest-neighbour upsampling: each step/pixel repeated `size` times per axis."""

    def __init__(self, rank, size, channels_first):
        super().__init__()
        self.rank, self.size, self.channels_first = rank, size, channels_first

    def forward(self, x):
        for axis, s in zip(_spatial_axes(self.rank, self.channels_first, x.dim()), self.size):
            x = torch.repeat_interleave(x, s, dim=axis)
        return x


def _pairs(value, rank):
    """Keras's padding/cropping arguments as ((before, after),) * rank."""
    if isinstance(value, int):
        return [(value, value)] * rank
    if rank == 1 and all(isinstance(v, int) for v in value):  # Cropping1D((2, 0)): one pair
        return [tuple(value)]
    out = []
    for v in value:
        out.append((v, v) if isinstance(v, int) else tuple(v))
    return out


def _channels_first(layer):
    return getattr(layer, "data_format", "channels_last") == "channels_first"


def flatten(layer):
    return Flatten(_channels_first(layer)), []


def reshape(layer):
    return Reshape(layer.target_shape), []


def permute(layer):
    return Permute(layer.dims), []


def repeat_vector(layer):
    return RepeatVector(int(layer.n)), []


def pad(rank):
    def build(layer):
        return Pad(rank, _pairs(layer.padding, rank), _channels_first(layer)), []
    return build


def crop(rank):
    def build(layer):
        return Crop(rank, _pairs(layer.cropping, rank), _channels_first(layer)), []
    return build


def upsample(rank):
    def build(layer):
        if getattr(layer, "interpolation", "nearest") != "nearest":
            raise refuse(layer, f"interpolation={layer.interpolation!r}")
        size = (layer.size,) if rank == 1 else tuple(layer.size)
        return UpSample(rank, size, _channels_first(layer)), []
    return build


BUILDERS = {"Flatten": flatten, "Reshape": reshape, "Permute": permute,
            "RepeatVector": repeat_vector}
for _r in (1, 2, 3):
    BUILDERS[f"ZeroPadding{_r}D"] = pad(_r)
    BUILDERS[f"Cropping{_r}D"] = crop(_r)
    BUILDERS[f"UpSampling{_r}D"] = upsample(_r)
