"""Dropout, SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout
(keras/src/layers/regularization/). Identity at inference; in training they draw the same
random numbers as Keras-on-torch:

* Dropout without a seed takes keras/src/backend/torch/random.py's "fast path",
  F.dropout on torch's *global* generator, which the port calls the same way, in the same
  layer order, so the masks agree as long as both runs start from the same global state.
* Seeded ops (SpatialDropout's noise_shape, GaussianNoise, GaussianDropout) draw from a fresh
  torch.Generator seeded from the layer's SeedGenerator counter (KerasSeedStream).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from scen.port.base import KerasSeedStream, PortLayer, refuse

__all__ = ["Dropout", "SpatialDropout", "GaussianNoise", "GaussianDropout", "BUILDERS"]


class Dropout(PortLayer):
    """Inverted dropout (scale 1/(1-p)) in train mode, identity in eval. `always` pins it on
    for dropout built into the graph with training=True (Monte-Carlo dropout)."""

    always = False

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def active(self) -> bool:
        return (self.training or self.always) and self.p > 0

    def forward(self, x):
        if not self.active():
            return x
        if self.p >= 1.0:
            return torch.zeros_like(x)
        return F.dropout(x, self.p, training=True)


def dropout(layer):
    if layer.noise_shape is not None:
        raise refuse(layer, f"noise_shape={layer.noise_shape}")
    if layer.seed is not None:
        # A seeded Dropout takes Keras's seeded bernoulli path; the unseeded one is the common
        # case and matches draw for draw.
        raise refuse(layer, f"seed={layer.seed}")
    return Dropout(float(layer.rate)), []


class SpatialDropout(Dropout):
    """Whole channels dropped: noise shape (batch, 1, ..., 1, channels) for channels_last."""

    def __init__(self, p: float, stream: KerasSeedStream, channels_first: bool):
        super().__init__(p)
        self.stream, self.channels_first = stream, channels_first

    def forward(self, x):
        if not self.active():
            return x
        if self.p >= 1.0:
            return torch.zeros_like(x)
        keep = 1.0 - self.p
        if self.channels_first:
            shape = (x.shape[0], x.shape[1]) + (1,) * (x.dim() - 2)
        else:
            shape = (x.shape[0],) + (1,) * (x.dim() - 2) + (x.shape[-1],)
        probs = torch.full(shape, keep, device=x.device)
        mask = torch.bernoulli(probs, generator=self.stream.generator(x.device)).bool()
        return torch.where(torch.broadcast_to(mask, x.shape), x / keep, torch.zeros_like(x))


def spatial_dropout(layer):
    return SpatialDropout(float(layer.rate), KerasSeedStream(layer.seed_generator),
                          getattr(layer, "data_format", None) == "channels_first"), []


class GaussianNoise(Dropout):
    """x + N(0, stddev) in training (regularization/gaussian_noise.py)."""

    def __init__(self, stddev: float, stream: KerasSeedStream):
        super().__init__(stddev)
        self.stream = stream

    def forward(self, x):
        if not self.active():
            return x
        noise = torch.normal(0.0, self.p, size=tuple(x.shape), dtype=x.dtype, device=x.device,
                             generator=self.stream.generator(x.device))
        return x + noise


def gaussian_noise(layer):
    return GaussianNoise(float(layer.stddev), KerasSeedStream(layer.seed_generator)), []


class GaussianDropout(Dropout):
    """x * N(1, sqrt(rate / (1 - rate))) in training (regularization/gaussian_dropout.py)."""

    def __init__(self, rate: float, stream: KerasSeedStream):
        super().__init__(rate)
        self.stream = stream

    def forward(self, x):
        if not self.active() or not 0 < self.p < 1:
            return x
        stddev = (self.p / (1.0 - self.p)) ** 0.5
        noise = torch.normal(1.0, stddev, size=tuple(x.shape), dtype=x.dtype, device=x.device,
                             generator=self.stream.generator(x.device))
        return x * noise


def gaussian_dropout(layer):
    return GaussianDropout(float(layer.rate), KerasSeedStream(layer.seed_generator)), []


BUILDERS = {
    "Dropout": dropout, "SpatialDropout1D": spatial_dropout, "SpatialDropout2D": spatial_dropout,
    "SpatialDropout3D": spatial_dropout, "GaussianNoise": gaussian_noise,
    "GaussianDropout": gaussian_dropout,
}
