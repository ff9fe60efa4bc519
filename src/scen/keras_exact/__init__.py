"""Pure-torch re-implementations that reproduce Keras 3 numerics step for step.

A native PyTorch training loop built from these pieces agrees with Keras-on-torch to ~1e-6 per
step in float32 (bit-for-bit on the same device, outside torch.compile). The rules are Keras
3.15's (keras/src; read it, they are not obvious):

* losses: ``get_loss`` takes what compile(loss=...) takes -- a name, a function, a
  ``keras.losses.X(...)`` object with its settings -- and computes it as Keras's chosen
  backend (*flavour*: torch, jax, tensorflow) does: crossentropy.py (the backends differ,
  see there), elementwise.py (regression, probabilistic and hinge losses), reduction.py
  (rank fixes, sample weights, reductions; losses/loss.py).
* optimizers: ``get_optimizer`` from a Keras optimizer or its serialized config
  (``keras_config``); optimizers.py mirrors backend/torch/optimizers/torch_*.py op for op,
  base.py the learning rate, iteration counter, clipping and weight decay of
  base_optimizer.py.
* ``ReduceLROnPlateau`` (plateau.py) mirrors callbacks/reduce_lr_on_plateau.py.
"""

from scen.keras_exact.base import KerasOptimizer
from scen.keras_exact.losses import (LOSS_NAMES, KerasLoss, binary_crossentropy,
                                     canonical_loss_name, categorical_crossentropy,
                                     check_labels_as_the_cpu_does,
                                     categorical_hinge, cosine_similarity, get_loss, hinge,
                                     huber, kl_divergence, log_cosh, mean_absolute_error,
                                     mean_absolute_percentage_error, mean_squared_error,
                                     mean_squared_logarithmic_error, poisson,
                                     sparse_categorical_crossentropy, squared_hinge)
from scen.keras_exact.optimizers import (SGD, Adadelta, Adagrad, Adam, Adamax, AdamW, Lion,
                                         Nadam, RMSprop, get_optimizer, keras_config)
from scen.keras_exact.plateau import ReduceLROnPlateau
from scen.keras_exact.reduction import EPSILON, FLAVOURS, reduce_values

__all__ = [
    "EPSILON", "FLAVOURS", "LOSS_NAMES", "KerasLoss", "KerasOptimizer", "ReduceLROnPlateau",
    "get_loss", "get_optimizer", "keras_config", "canonical_loss_name", "reduce_values",
    "check_labels_as_the_cpu_does",
    "binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy",
    "mean_squared_error", "mean_absolute_error", "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error", "cosine_similarity", "huber", "log_cosh",
    "kl_divergence", "poisson", "hinge", "squared_hinge", "categorical_hinge",
    "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adamax", "Lion", "Nadam", "Adadelta",
]
