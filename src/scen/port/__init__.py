"""Translate a built Keras 3 model into a plain PyTorch module that computes the same function.

Why: scen runs each scenario on Keras's backends *and* on a native PyTorch port, so that a
failure can be pinned on the model/data (it happens everywhere) or on a backend (it does not).
The port must therefore be the same function with the same starting weights, trainable by a
stock torch optimizer, and its weights must go back into Keras in `model.get_weights()` order.

    ported = translate(model)             # an nn.Module, in eval mode like `model(x)`
    y = ported(x1, x2)                    # same order as model.inputs
    y, logits = ported.forward_with_logits(x1, x2)
    model.set_weights(keras_weights(ported))

Layers by family (one module each): dense (Dense, Embedding, activation layers, Rescaling),
noise (Dropout, SpatialDropout, GaussianNoise/Dropout), conv (convolutions and pooling), norm
(BatchNormalization, LayerNormalization, Normalization), rnn (SimpleRNN, LSTM, GRU), merge
(Add, ..., Concatenate, Dot), shape (Flatten, Reshape, Permute, padding, cropping, upsampling,
RepeatVector). Each computes what Keras 3 computes on its torch backend.

Limits, on purpose: one output; float32 throughout (a mixed-precision model's float16/bfloat16
compute is not reproduced); inputs are used as given (Keras's Functional also squeezes or
expands a trailing axis of size 1 when an input's rank is off by one - the port does not);
anything else is refused with an UnsupportedLayerError naming the layer and its setting.
"""

from scen.port.base import SUPPORTED_ACTIVATIONS, UnsupportedLayerError
from scen.port.graph import LayerInfo, PortedModel, count_params, keras_weights, translate
from scen.port.registry import SUPPORTED_LAYERS

__all__ = [
    "UnsupportedLayerError",
    "PortedModel",
    "translate",
    "keras_weights",
    "count_params",
    "SUPPORTED_LAYERS",
    "SUPPORTED_ACTIVATIONS",
    "LayerInfo",
]
