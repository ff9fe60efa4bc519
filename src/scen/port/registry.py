"""Which Keras layer class each translation handles (exact class names: a user subclass of
Dense may override call(), so isinstance is not enough)."""

from __future__ import annotations

from scen.port import conv, dense, merge, noise, norm, rnn, shape, wrappers

__all__ = ["BUILDERS", "SUPPORTED_LAYERS"]

BUILDERS = {}
for _family in (dense, noise, conv, norm, rnn, merge, shape):
    BUILDERS.update(_family.BUILDERS)
BUILDERS.update(wrappers.builders(BUILDERS))  # they translate their inner layer by this table
SUPPORTED_LAYERS = tuple(sorted(set(BUILDERS) | {"InputLayer"}))
