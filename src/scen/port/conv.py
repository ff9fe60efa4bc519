"""Conv1D/2D/3D, Max/AveragePooling1D/2D/3D, GlobalAverage/GlobalMaxPooling1D/2D/3D.

What Keras-on-torch computes (keras/src/backend/torch/nn.py conv, max_pool, average_pool;
layers/convolutional/base_conv.py; layers/pooling/): channels_last inputs are permuted to
channels_first, the kernel (k..., in, out) to torch's (out, in, k...); "same" padding is
Keras's (TensorFlow's) split, the extra pixel at the end, given to torch directly when both
sides agree and padded by hand (zeros for conv, edge values for pooling) when not.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from scen.port.base import Claim, PortLayer, activation_for, as_param, check_plain, refuse

__all__ = ["Conv", "Pool", "GlobalPool", "same_padding", "BUILDERS"]

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


def same_padding(spatial, kernel, strides, dilation):
    """[(left, right)] per spatial axis: torch/nn.py _compute_padding_length."""
    out = []
    for size, k, s, d in zip(spatial, kernel, strides, dilation):
        eff = (k - 1) * d + 1
        if s == 1:
            total = eff - 1
        else:
            total = max(0, ((size + s - 1) // s - 1) * s + eff - size)
        out.append((total // 2, total - total // 2))
    return out


def _to_channels_first(x):
    return x.permute(0, x.dim() - 1, *range(1, x.dim() - 1)).contiguous()


def _to_channels_last(x):
    return x.permute(0, *range(2, x.dim()), 1)


def _padded(x, kernel, strides, dilation, mode):
    """(x, padding for torch) for "same" on a channels_first x (torch/nn.py
    _apply_same_padding)."""
    pads = same_padding(x.shape[2:], kernel, strides, dilation)
    if all(a == b for a, b in pads):
        return x, [a for a, _ in pads]
    flat = [p for pair in reversed(pads) for p in pair]
    return F.pad(x, tuple(flat), mode=mode), 0


class Conv(PortLayer):
    """Convolution of rank 1, 2 or 3. Input (batch, *spatial, in) for channels_last, else
    (batch, in, *spatial); kernel in Keras's layout (*k, in / groups, out)."""

    def __init__(self, rank, kernel, bias, strides, padding, dilation, channels_first, act):
        super().__init__()
        self.rank, self.kernel, self.bias = rank, kernel, bias
        self.strides, self.padding, self.dilation = strides, padding, dilation
        self.channels_first, self.act = channels_first, act

    def step(self, x):
        r = self.rank
        if self.padding == "causal":  # conv1d.py: left-pad dilation * (k - 1) steps, then valid
            left = self.dilation[0] * (self.kernel.shape[0] - 1)
            pad = (0, 0, left, 0) if not self.channels_first else (left, 0)
            x = F.pad(x, pad)
        if not self.channels_first:
            x = _to_channels_first(x)
        k = self.kernel.permute(r + 1, r, *range(r))  # (out, in, *k)
        if not self.channels_first and r == 2:  # Keras's _maybe_convert_to_channels_last
            x = x.contiguous(memory_format=torch.channels_last)
            k = k.contiguous(memory_format=torch.channels_last)
        elif not self.channels_first and r == 3:
            x = x.contiguous(memory_format=torch.channels_last_3d)
            k = k.contiguous(memory_format=torch.channels_last_3d)
        groups = x.shape[1] // k.shape[1]
        padding = 0
        if self.padding == "same":
            x, padding = _padded(x, k.shape[2:], self.strides, self.dilation, "constant")
        y = _CONV[r](x, k, stride=self.strides, padding=padding, dilation=self.dilation,
                     groups=groups)
        if not self.channels_first:
            y = _to_channels_last(y)
        if self.bias is not None:
            shape = (1, -1) + (1,) * r if self.channels_first else (1,) * (r + 1) + (-1,)
            y = y + self.bias.to(y.dtype).reshape(shape)  # compute dtype, as Keras reads it
        return self.act(y), y

    def forward(self, x):
        return self.step(x)[0]


def conv(layer):
    check_plain(layer)
    if getattr(layer, "lora_enabled", False):
        raise refuse(layer, "lora_rank=...")
    rank = layer.rank
    kernel = as_param(layer.kernel)
    bias = as_param(layer.bias) if layer.bias is not None else None
    module = Conv(rank, kernel, bias, tuple(layer.strides), layer.padding,
                  tuple(layer.dilation_rate), layer.data_format == "channels_first",
                  activation_for(layer, layer.activation))
    claims = [Claim(layer.kernel, kernel)] + ([Claim(layer.bias, bias)] if bias is not None else [])
    return module, claims


class Pool(PortLayer):
    """Max or average pooling of rank 1-3 (torch/nn.py max_pool / average_pool; the average
    leaves padding out of the count, count_include_pad=False)."""

    def __init__(self, kind, rank, pool, strides, padding, channels_first):
        super().__init__()
        self.kind, self.rank, self.pool, self.strides = kind, rank, pool, strides
        self.padding, self.channels_first = padding, channels_first

    def forward(self, x):
        if not self.channels_first:
            x = _to_channels_first(x)
        padding = 0
        if self.padding == "same":
            x, padding = _padded(x, self.pool, self.strides, (1,) * self.rank, "replicate")
        if self.kind == "max":
            y = _MAX[self.rank](x, kernel_size=self.pool, stride=self.strides, padding=padding)
        else:
            y = _AVG[self.rank](x, kernel_size=self.pool, stride=self.strides, padding=padding,
                                count_include_pad=False)
        return y if self.channels_first else _to_channels_last(y)


def pool(kind, rank):
    def build(layer):
        strides = tuple(layer.strides) if layer.strides is not None else tuple(layer.pool_size)
        return Pool(kind, rank, tuple(layer.pool_size), strides, layer.padding,
                    layer.data_format == "channels_first"), []
    return build


class GlobalPool(PortLayer):
    """Mean or max over the spatial axes (layers/pooling/global_*). GlobalAveragePooling1D
    honours a mask from Embedding(mask_zero=True): sum of the kept steps / their count."""

    takes_mask = True

    def __init__(self, kind, rank, channels_first, keepdims):
        super().__init__()
        self.kind, self.channels_first, self.keepdims = kind, channels_first, keepdims
        self.axes = tuple(range(2, 2 + rank)) if channels_first else tuple(range(1, 1 + rank))

    def forward(self, x, mask=None):
        if mask is not None:
            m = mask.unsqueeze(1 if self.channels_first else 2)
            x = torch.where(m, x, torch.zeros_like(x))
            return (torch.sum(x, dim=self.axes, keepdim=self.keepdims)
                    / torch.sum(m.to(x.dtype), dim=self.axes, keepdim=self.keepdims))
        if self.kind == "max":
            return torch.amax(x, dim=self.axes, keepdim=self.keepdims)
        return torch.mean(x, dim=self.axes, keepdim=self.keepdims)


def global_pool(kind, rank):
    def build(layer):
        m = GlobalPool(kind, rank, layer.data_format == "channels_first", bool(layer.keepdims))
        m.takes_mask = kind == "average" and rank == 1  # the only one whose call takes a mask
        return m, []
    return build


BUILDERS = {"Conv1D": conv, "Conv2D": conv, "Conv3D": conv}
for _r in (1, 2, 3):
    BUILDERS[f"MaxPooling{_r}D"] = pool("max", _r)
    BUILDERS[f"AveragePooling{_r}D"] = pool("average", _r)
    BUILDERS[f"GlobalMaxPooling{_r}D"] = global_pool("max", _r)
    BUILDERS[f"GlobalAveragePooling{_r}D"] = global_pool("average", _r)
