"""Pure-torch re-implementations that reproduce Keras 3 numerics step for step.

A native PyTorch training loop built from these pieces agrees with Keras-on-torch
to ~1e-6 per step in float32 (bit-for-bit on the same device, outside torch.compile).
Line references are to keras/src of Keras 3.15 (read it, the rules are not obvious):

* Losses mirror ``losses/losses.py`` + ``losses/loss.py`` (reduction) and the backend
  ``nn.py`` of the chosen *flavour*:

  - ``"torch"``  (backend/torch/nn.py): probabilities are clipped to [1e-7, 1-1e-7];
    categorical CE first divides y_pred by its sum; binary CE is
    ``F.binary_cross_entropy`` itself, so labels outside [0, 1] raise
    ``RuntimeError: all elements of target should be between 0 and 1``.
  - ``"jax"``    (backend/jax/nn.py): the same clipping and normalisation, but binary
    CE is written out as ``-(t*log(p) + (1-t)*log(1-p))``: no label check, so labels
    like 2 give *negative* losses, and ``log(1-p)`` instead of torch's ``log1p(-p)``
    (ULP-level difference).  JAX never looks at the pre-activation logits.
  - ``"tensorflow"`` (backend/tensorflow/nn.py): ``_get_logits`` (l.1262) takes
    ``output._keras_logits`` -- set by *both* ``sigmoid`` and ``softmax`` (l.44, l.172)
    -- and switches to ``from_logits=True``.  So with ``logits`` given, binary CE is
    ``sigmoid_cross_entropy_with_logits`` and categorical CE is
    ``softmax_cross_entropy_with_logits`` over those logits, *even when they were
    fed to a sigmoid*: a sigmoid output + categorical_crossentropy is trained on a
    softmax CE of the pre-sigmoid logits, which is unbounded (losses in the hundreds),
    whereas torch/jax clip and stay below -log(1e-7) ~ 16.1.  Sparse categorical CE
    goes through ``_get_logits`` too; without logits it does *not* normalise by the
    sum: it clips, takes log, and feeds that to ``sparse_softmax_cross_entropy_with_logits``.

* Optimizers mirror ``backend/torch/optimizers/torch_{adam,rmsprop,sgd}.py`` (the
  ``_foreach`` versions Keras actually runs on torch, not ``optimizers/adam.py``'s
  generic ``update_step``, which rounds differently), op for op.
* ``ReduceLROnPlateau`` mirrors ``callbacks/reduce_lr_on_plateau.py`` and
  ``callbacks/monitor_callback.py``.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np
import torch
import torch.nn.functional as F

EPSILON = 1e-7  # keras/src/backend/config.py: _EPSILON
FLAVOURS = ("torch", "jax", "tensorflow")


# ----------------------------------------------------------------------------- losses
def _prepare(y_true, y_pred):
    """Loss.__call__ (loss.py l.56) converts both to float32, then
    LossFunctionWrapper.call squeezes/expands ranks (loss.py l.119)."""
    y_pred = torch.as_tensor(y_pred, dtype=torch.float32)
    y_true = torch.as_tensor(y_true, dtype=torch.float32, device=y_pred.device)
    r_true, r_pred = y_true.ndim, y_pred.ndim  # both tests use the original ranks
    if r_true == r_pred + 1 and y_true.shape[-1] == 1:
        if r_pred == 1:
            y_pred = y_pred.unsqueeze(-1)
        else:
            y_true = y_true.squeeze(-1)
    if r_pred == r_true + 1 and y_pred.shape[-1] == 1:
        if r_true == 1:
            y_true = y_true.unsqueeze(-1)
        else:
            y_pred = y_pred.squeeze(-1)
    return y_true, y_pred


def _reduce(values):
    """reduce_values (loss.py l.140): sum / number of elements, divide_no_nan."""
    if values.ndim == 0 or tuple(values.shape) == (0,):
        return values
    # Divide by a device tensor, not a Python scalar: CUDA turns division by a CPU
    # scalar into a multiplication by its reciprocal, which is not bit-identical.
    total = torch.sum(values)
    n = total.new_full((), values.numel())
    return torch.where(n == 0, torch.zeros_like(total), total / n)


def _check_flavour(flavour):
    if flavour not in FLAVOURS:
        raise ValueError(f"Unknown flavour {flavour!r}; expected one of {FLAVOURS}")


def _sigmoid_xent_with_logits(labels, logits):
    """tf.nn.sigmoid_cross_entropy_with_logits (tensorflow nn_impl.py), verbatim."""
    cond = logits >= 0
    relu_logits = torch.where(cond, logits, torch.zeros_like(logits))
    neg_abs_logits = torch.where(cond, -logits, logits)
    return (relu_logits - logits * labels) + torch.log1p(torch.exp(neg_abs_logits))


def _softmax_xent_with_logits(labels, logits):
    """TF's SoftmaxCrossEntropyWithLogits kernel (xent_op.h):
    sum(labels * (log(sum(exp(x - max))) - (x - max)))."""
    shifted = logits - logits.amax(dim=-1, keepdim=True)
    log_sum = torch.log(torch.exp(shifted).sum(dim=-1, keepdim=True))
    return torch.sum(labels * (log_sum - shifted), dim=-1)


def binary_crossentropy(y_true, y_pred, logits=None, flavour="torch"):
    """keras.losses.BinaryCrossentropy(): mean over the last axis (losses.py l.2380),
    then mean over the batch."""
    _check_flavour(flavour)
    y_true, y_pred = _prepare(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"shapes differ: {tuple(y_true.shape)} vs {tuple(y_pred.shape)}")
    if flavour == "tensorflow" and logits is not None:
        z = torch.as_tensor(logits, dtype=torch.float32).reshape(y_pred.shape)
        per_elem = _sigmoid_xent_with_logits(y_true, z)
    else:
        p = torch.clip(y_pred, EPSILON, 1.0 - EPSILON)
        if flavour == "torch":  # torch nn.py l.955: F.binary_cross_entropy checks labels
            per_elem = F.binary_cross_entropy(p, y_true, reduction="none")
        else:  # jax nn.py / tensorflow nn.py: written out, no label check
            bce = y_true * torch.log(p)
            bce = bce + (1 - y_true) * torch.log(1 - p)
            per_elem = -bce
    return _reduce(torch.mean(per_elem, dim=-1))


def categorical_crossentropy(y_true, y_pred, logits=None, flavour="torch"):
    """keras.losses.CategoricalCrossentropy(): y_pred / sum(y_pred), clip, -sum(t*log p)
    (torch nn.py l.869); TF flavour with logits: softmax CE of the logits."""
    _check_flavour(flavour)
    y_true, y_pred = _prepare(y_true, y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"shapes differ: {tuple(y_true.shape)} vs {tuple(y_pred.shape)}")
    if flavour == "tensorflow" and logits is not None:
        z = torch.as_tensor(logits, dtype=torch.float32).reshape(y_pred.shape)
        return _reduce(_softmax_xent_with_logits(y_true, z))
    p = y_pred / torch.sum(y_pred, dim=-1, keepdim=True)
    p = torch.clip(p, EPSILON, 1.0 - EPSILON)
    return _reduce(-torch.sum(y_true * torch.log(p), dim=-1))


def sparse_categorical_crossentropy(y_true, y_pred, logits=None, flavour="torch"):
    """keras.losses.SparseCategoricalCrossentropy() (integer labels, last-axis classes).
    torch/jax: normalise, clip, -log p[label] (torch nn.py l.914).  tensorflow: with
    logits, sparse softmax CE of the logits (via _get_logits); without, clip *without*
    normalising and feed log(p) to sparse_softmax_cross_entropy_with_logits."""
    _check_flavour(flavour)
    y_true, y_pred = _prepare(y_true, y_pred)  # rank fix as in LossFunctionWrapper
    y_true = y_true.to(torch.long)
    if y_true.ndim == y_pred.ndim and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)
    if flavour == "tensorflow":
        if logits is not None:
            x = torch.as_tensor(logits, dtype=torch.float32).reshape(y_pred.shape)
        else:
            x = torch.log(torch.clip(y_pred, EPSILON, 1 - EPSILON))
        # TF's SparseSoftmaxXentWithLogits kernel: log(sum(exp(x - max))) - (x[label] - max)
        shifted = x - x.amax(dim=-1, keepdim=True)
        log_sum = torch.log(torch.exp(shifted).sum(dim=-1))
        picked = torch.gather(shifted, -1, y_true.unsqueeze(-1)).squeeze(-1)
        return _reduce(log_sum - picked)
    p = y_pred / torch.sum(y_pred, dim=-1, keepdim=True)
    logp = torch.log(torch.clip(p, EPSILON, 1.0 - EPSILON))
    return _reduce(-torch.gather(logp, -1, y_true.unsqueeze(-1)).squeeze(-1))


def mean_squared_error(y_true, y_pred, logits=None, flavour="torch"):
    """keras.losses.MeanSquaredError(): mean(square(t - p), -1) (losses.py l.1763)."""
    _check_flavour(flavour)
    y_true, y_pred = _prepare(y_true, y_pred)
    return _reduce(torch.mean(torch.square(y_true - y_pred), dim=-1))


_LOSSES = {
    "binary_crossentropy": binary_crossentropy,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "mean_squared_error": mean_squared_error,
}
_LOSS_ALIASES = {"bce": "binary_crossentropy", "mse": "mean_squared_error",
                 "binarycrossentropy": "binary_crossentropy",
                 "categoricalcrossentropy": "categorical_crossentropy",
                 "sparsecategoricalcrossentropy": "sparse_categorical_crossentropy",
                 "meansquarederror": "mean_squared_error"}


def canonical_loss_name(name: str) -> str:
    """A Keras loss name, alias or class name as its snake_case name ('mse' ->
    'mean_squared_error'); unknown names come back lower-cased."""
    key = name.lower()
    return _LOSS_ALIASES.get(key, key)


def get_loss(name: str, flavour: str = "torch"):
    """Return ``fn(y_true, y_pred, logits=None) -> scalar`` for a Keras loss name
    (snake_case, class name, or 'mse'/'bce') computed as Keras's *flavour* backend does."""
    _check_flavour(flavour)
    key = name.lower()
    key = _LOSS_ALIASES.get(key, key)
    if key not in _LOSSES:
        raise ValueError(f"Unknown loss {name!r}; known: {sorted(_LOSSES)}")
    return functools.partial(_LOSSES[key], flavour=flavour)


# ------------------------------------------------------------------------- optimizers
class KerasOptimizer(torch.optim.Optimizer):
    """Base: Keras keeps the learning rate in a float32 Variable and counts
    ``iterations`` (base_optimizer.py l.154-193); ``apply`` increments it *after* the
    update (l.533).  We keep both as 0-d device tensors (no host sync, compile-friendly)
    plus the float32-rounded lr as a Python float for ``alpha=`` arguments, which
    Keras passes as scalars (the fused a + alpha*b must not be split into mul + add)."""

    def __init__(self, params, learning_rate, defaults, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, weight_decay=None):
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set.")
        self.clipnorm, self.clipvalue, self.global_clipnorm = clipnorm, clipvalue, global_clipnorm
        self.weight_decay = weight_decay
        super().__init__(params, defaults)
        self._params = [p for g in self.param_groups for p in g["params"]]
        if not self._params:
            raise ValueError("optimizer got an empty parameter list")
        dev = self._params[0].device
        self._lr = torch.zeros((), dtype=torch.float32, device=dev)
        self._iterations = torch.zeros((), dtype=torch.int32, device=dev)  # int32 on torch
        self.learning_rate = learning_rate

    @property
    def learning_rate(self) -> float:
        return self._lr_float

    @learning_rate.setter
    def learning_rate(self, value):
        """Like ``optimizer.learning_rate = x`` in Keras: stored as float32."""
        self._lr_float = float(np.float32(value))
        with torch.no_grad():
            self._lr.fill_(self._lr_float)

    @property
    def iterations(self) -> int:
        return int(self._iterations)

    @iterations.setter
    def iterations(self, value):
        with torch.no_grad():
            self._iterations.fill_(int(value))

    def state_dict(self):
        sd = super().state_dict()
        sd["keras"] = {"learning_rate": self.learning_rate, "iterations": self.iterations}
        return sd

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        extra = state_dict.pop("keras", None)
        super().load_state_dict(state_dict)
        if extra:
            self.learning_rate, self.iterations = extra["learning_rate"], extra["iterations"]

    def _slots(self, name, params):
        """Optimizer slots start at zero, like add_optimizer_variables in Keras."""
        out = []
        for p in params:
            st = self.state[p]
            if name not in st:
                st[name] = torch.zeros_like(p, memory_format=torch.preserve_format)
            out.append(st[name])
        return out

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        self.update()
        return loss

    @torch.no_grad()
    def update(self):
        """The step itself, without torch.optim's per-call hooks and profiling (~60 us of a
        ~500 us step on a small model): what a tight training loop calls."""
        params = [p for p in self._params if p.grad is not None]  # _filter_empty_gradients
        if params:
            self._apply([p.grad for p in params], params)
        self._iterations.add_(1)

    def _apply(self, grads, params):
        """base_optimizer.apply: clip the gradients, decay the weights, then the update."""
        grads = self._clip(grads)
        if self.weight_decay:  # torch_optimizer.py _apply_weight_decay: p *= 1 - wd * lr
            torch._foreach_mul_(params, 1 - self.weight_decay * self._lr)
        self._update(grads, params)

    def _clip(self, grads):
        """base_optimizer._clip_gradients (clip_by_norm / clip_by_global_norm / clip)."""
        if self.clipnorm:
            out = []
            for g in grads:
                l2sum = torch.sum(torch.square(g))
                pred = l2sum > 0
                l2norm = torch.where(pred, torch.sqrt(torch.where(pred, l2sum, torch.ones_like(l2sum))), l2sum)
                out.append(g * self.clipnorm / torch.clamp(l2norm, min=self.clipnorm))
            return out
        if self.global_clipnorm:
            norm = torch.sqrt(sum(torch.sum(torch.square(g)) for g in grads))
            scale = self.global_clipnorm * torch.minimum(1.0 / norm, torch.tensor(
                1.0 / self.global_clipnorm, device=norm.device))
            scale = scale + (norm - norm)  # NaN when the norm is not finite, as Keras
            return [g * scale for g in grads]
        if self.clipvalue:
            return [torch.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    @torch.no_grad()
    def apply_update(self, grads, params):
        """One update from the given gradients (aligned with `params`), then iterations += 1:
        update() for gradients that are not in .grad (torch.func)."""
        self._apply(grads, params)
        self._iterations.add_(1)

    def use_learning_rates(self, rates: torch.Tensor) -> None:
        """Per-row learning rates for parameters stacked along a leading axis (a sweep's seeds):
        `rates` is (rows, 1), float32, and broadcasts against every (rows, ...) parameter. The
        caller owns it and changes it in place; `learning_rate` no longer applies."""
        self._lr = rates
        self._lr_float = None

    def apply(self, grads, params=None):
        """Keras-style ``optimizer.apply(grads)``; grads aligned with the params."""
        for p, g in zip(params or self._params, grads):
            p.grad = g
        self.step()


def _scaled(tensors, factor: torch.Tensor):
    """tensors * factor: foreach for a 0-d factor (the single run's ops, unchanged), one
    broadcasting multiply each for per-row learning rates."""
    if factor.dim() == 0:
        return torch._foreach_mul(tensors, factor)
    return [t * factor for t in tensors]


class Adam(KerasOptimizer):
    """torch_adam.py: alpha = lr*sqrt(1-b2^t)/(1-b1^t) in float32 with t=iterations+1;
    p -= (m*alpha) / (sqrt(v) + eps).  Epsilon is added to the *uncorrected* sqrt(v)
    ('epsilon hat'), unlike torch.optim.Adam, which adds it after dividing by
    sqrt(1-b2^t) -- hence torch.optim.Adam(eps=1e-7) drifts from Keras."""

    def __init__(self, params, learning_rate=0.001, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **common):
        super().__init__(params, learning_rate, dict(beta_1=beta_1, beta_2=beta_2,
                                                     epsilon=epsilon, amsgrad=amsgrad), **common)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad
        dev = self._params[0].device
        self._b1 = torch.tensor(beta_1, dtype=torch.float32, device=dev)  # ops.cast(beta_1)
        self._b2 = torch.tensor(beta_2, dtype=torch.float32, device=dev)

    def _update(self, grads, params):
        dtype = params[0].dtype
        local_step = (self._iterations + 1).to(dtype)
        b1p = torch.pow(self._b1.to(dtype), local_step)
        b2p = torch.pow(self._b2.to(dtype), local_step)
        alpha = self._lr.to(dtype) * torch.sqrt(1 - b2p) / (1 - b1p)
        m, v = self._slots("m", params), self._slots("v", params)
        torch._foreach_mul_(m, self.beta_1)
        torch._foreach_add_(m, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(v, self.beta_2)
        torch._foreach_add_(v, torch._foreach_mul(grads, grads), alpha=1 - self.beta_2)
        if self.amsgrad:
            v_hat = self._slots("v_hat", params)
            torch._foreach_maximum_(v_hat, v)
            v = v_hat
        torch._foreach_add_(params, torch._foreach_div(
            _scaled(m, alpha),
            torch._foreach_add(torch._foreach_sqrt(v), self.epsilon)), alpha=-1)


class RMSprop(KerasOptimizer):
    """torch_rmsprop.py: v = rho*v + (1-rho)*g^2; p -= lr*g / sqrt(v + eps) -- epsilon
    *inside* the sqrt (torch.optim.RMSprop adds it outside), default rho=0.9
    (torch: alpha=0.99).  centered subtracts avg_g^2 after adding eps; momentum
    accumulates the increment (m = momentum*m + inc; p -= m)."""

    def __init__(self, params, learning_rate=0.001, rho=0.9, momentum=0.0,
                 epsilon=1e-7, centered=False, **common):
        super().__init__(params, learning_rate, dict(rho=rho, momentum=momentum,
                                                     epsilon=epsilon, centered=centered), **common)
        self.rho, self.momentum, self.epsilon, self.centered = rho, momentum, epsilon, centered

    def _update(self, grads, params):
        lr = self._lr.to(params[0].dtype)
        vel, rho = self._slots("velocity", params), self.rho
        torch._foreach_mul_(vel, rho)
        torch._foreach_add_(vel, torch._foreach_mul(grads, grads), alpha=1 - rho)
        den = torch._foreach_add(vel, self.epsilon)
        if self.centered:
            avg = self._slots("average_gradient", params)
            torch._foreach_mul_(avg, rho)
            torch._foreach_add_(avg, grads, alpha=1 - rho)
            torch._foreach_add_(den, torch._foreach_mul(avg, avg), alpha=-1)
        torch._foreach_sqrt_(den)
        inc = torch._foreach_div(_scaled(grads, lr), den)
        if self.momentum > 0:
            mom = self._slots("momentum", params)
            torch._foreach_mul_(mom, self.momentum)
            torch._foreach_add_(mom, inc)
            torch._foreach_add_(params, mom, alpha=-1)
        else:
            torch._foreach_add_(params, inc, alpha=-1)


class SGD(KerasOptimizer):
    """torch_sgd.py: b = momentum*b - lr*g; p += b, or for nesterov
    p += -lr*g + momentum*b.  Keras's velocity carries the lr (torch.optim.SGD's
    does not), so the two differ as soon as lr changes mid-training.
    Default lr 0.01 (sgd.py); momentum must lie in [0, 1]."""

    def __init__(self, params, learning_rate=0.01, momentum=0.0, nesterov=False, **common):
        if not 0 <= momentum <= 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        super().__init__(params, learning_rate, dict(momentum=momentum, nesterov=nesterov),
                         **common)
        self.momentum, self.nesterov = float(momentum), nesterov

    def _update(self, grads, params):
        if self._lr_float is None:  # per-row rates: lr * g first (Keras fuses it: ~1 ulp)
            grads, lr = _scaled(grads, self._lr), 1.0
        else:
            lr = self._lr_float  # Keras: alpha=-learning_rate (a scalar)
        if self.momentum != 0:
            bufs = self._slots("momentum", params)
            torch._foreach_mul_(bufs, self.momentum)
            torch._foreach_add_(bufs, grads, alpha=-lr)
            if self.nesterov:
                torch._foreach_add_(params, grads, alpha=-lr)
                torch._foreach_add_(params, bufs, alpha=self.momentum)
            else:
                torch._foreach_add_(params, bufs)
        else:
            torch._foreach_add_(params, grads, alpha=-lr)


class AdamW(Adam):
    """adamw.py: Adam with weight_decay (default 0.004) applied first, p *= 1 - wd * lr."""

    def __init__(self, params, learning_rate=0.001, weight_decay=0.004, **kwargs):
        super().__init__(params, learning_rate, weight_decay=weight_decay, **kwargs)


class Adagrad(KerasOptimizer):
    """torch_adagrad.py: acc += g^2; p -= lr*g / sqrt(acc + eps); acc starts at
    initial_accumulator_value (0.1)."""

    def __init__(self, params, learning_rate=0.001, initial_accumulator_value=0.1,
                 epsilon=1e-7, **common):
        super().__init__(params, learning_rate, dict(epsilon=epsilon), **common)
        self.initial, self.epsilon = initial_accumulator_value, epsilon

    def _update(self, grads, params):
        acc = []
        for p in params:
            st = self.state[p]
            if "accumulator" not in st:
                st["accumulator"] = torch.full_like(p, self.initial)
            acc.append(st["accumulator"])
        torch._foreach_add_(acc, torch._foreach_mul(grads, grads))
        lr = self._lr.to(params[0].dtype)
        torch._foreach_add_(params, torch._foreach_div(
            _scaled(grads, lr), torch._foreach_sqrt(torch._foreach_add(acc, self.epsilon))),
            alpha=-1)


class Adamax(KerasOptimizer):
    """torch_adamax.py: m = b1*m + (1-b1)*g; u = max(b2*u, |g|);
    p -= lr*m / ((u + eps) * (1 - b1^t))."""

    def __init__(self, params, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **common):
        super().__init__(params, learning_rate, dict(beta_1=beta_1, beta_2=beta_2), **common)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._b1 = torch.tensor(beta_1, dtype=torch.float32, device=self._params[0].device)

    def _update(self, grads, params):
        dtype = params[0].dtype
        b1p = torch.pow(self._b1.to(dtype), (self._iterations + 1).to(dtype))
        m, u = self._slots("m", params), self._slots("u", params)
        torch._foreach_mul_(m, self.beta_1)
        torch._foreach_add_(m, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(u, self.beta_2)
        torch._foreach_maximum_(u, torch._foreach_abs(grads))
        torch._foreach_add_(params, torch._foreach_div(
            _scaled(m, self._lr.to(dtype)),
            _scaled(torch._foreach_add(u, self.epsilon), 1 - b1p)), alpha=-1)


class Lion(KerasOptimizer):
    """torch_lion.py: p -= lr * sign(b1*m + (1-b1)*g); then m = b2*m + (1-b2)*g."""

    def __init__(self, params, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **common):
        super().__init__(params, learning_rate, dict(beta_1=beta_1, beta_2=beta_2), **common)
        self.beta_1, self.beta_2 = beta_1, beta_2

    def _update(self, grads, params):
        m = self._slots("m", params)
        c = torch._foreach_mul(m, self.beta_1)
        torch._foreach_add_(c, grads, alpha=1 - self.beta_1)
        c = [t.sign() for t in c]
        torch._foreach_add_(params, _scaled(c, self._lr.to(params[0].dtype)), alpha=-1)
        torch._foreach_mul_(m, self.beta_2)
        torch._foreach_add_(m, grads, alpha=1 - self.beta_2)


_OPTIMIZERS = {"adam": Adam, "rmsprop": RMSprop, "sgd": SGD, "adamw": AdamW,
               "adagrad": Adagrad, "adamax": Adamax, "lion": Lion}
# Keys of a Keras get_config() that we accept only at their default (inactive) value.
_INERT = {"use_ema": False, "ema_momentum": 0.99,
          "ema_overwrite_frequency": None, "loss_scale_factor": None,
          "gradient_accumulation_steps": None}


def get_optimizer(name_or_config, params) -> KerasOptimizer:
    """Build from a Keras identifier ('adam', 'RMSprop', 'sgd'), a dict
    ``{"name": "adam", "learning_rate": 0.01, ...}``, or a serialized Keras optimizer
    ``{"class_name": "Adam", "config": {...}}``.  Unknown names raise ValueError."""
    if isinstance(name_or_config, str):
        name, kwargs = name_or_config, {}
    elif isinstance(name_or_config, dict):
        cfg = dict(name_or_config)
        if "class_name" in cfg:
            name, kwargs = cfg["class_name"], dict(cfg.get("config") or {})
            kwargs.pop("name", None)
        else:
            name = cfg.pop("name", None)
            kwargs = cfg
        if name is None:
            raise ValueError(f"Optimizer config has no 'name': {name_or_config!r}")
    else:
        raise ValueError(f"Could not interpret optimizer identifier: {name_or_config!r}")
    cls = _OPTIMIZERS.get(str(name).lower())
    if cls is None:
        raise ValueError(f"Unknown optimizer {name!r}; supported: {sorted(_OPTIMIZERS)}")
    for key in list(kwargs):
        if key in _INERT:
            val = kwargs.pop(key)
            if val not in (_INERT[key], None, False):
                raise ValueError(f"{name}: {key}={val!r} is not supported here")
    return cls(params, **kwargs)


# ------------------------------------------------------------------ ReduceLROnPlateau
_UP_METRICS = {"accuracy", "acc", "binary_accuracy", "categorical_accuracy",
               "sparse_categorical_accuracy", "top_k_categorical_accuracy",
               "sparse_top_k_categorical_accuracy", "auc", "precision", "recall",
               "f1_score", "fbeta_score", "r2_score", "iou", "mean_iou"}


class ReduceLROnPlateau:
    """keras.callbacks.ReduceLROnPlateau without a model.  Subtleties kept from Keras:
    the improvement test ``ops.less(current - min_delta, best)`` (monitor_callback.py
    l.104) converts Python floats to *float32* tensors before comparing; min_delta is
    negated in min mode; the epoch on which cooldown runs out already counts toward
    ``wait``; the lr is reduced only while ``old_lr > np.float32(min_lr)``
    (reduce_lr_on_plateau.py l.83) and is stored as float32.
    In mode='auto' Keras asks the model's metrics for their direction; here 'loss'
    means min, well-known accuracy-like names mean max, anything else must name a mode."""

    def __init__(self, optimizer=None, monitor="val_loss", factor=0.1, patience=10,
                 verbose=0, mode="auto", min_delta=1e-4, cooldown=0, min_lr=0.0):
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau does not support a factor >= 1.0. "
                             f"Received factor={factor}")
        if mode not in ("auto", "min", "max"):
            warnings.warn(f"ReduceLROnPlateau mode '{mode}' is unknown, fallback to auto mode.",
                          stacklevel=2)
            mode = "auto"
        self.optimizer, self.monitor, self.factor, self.patience = optimizer, monitor, factor, patience
        self.verbose, self.cooldown, self.min_lr = verbose, cooldown, min_lr
        if mode == "auto":
            metric = monitor.removeprefix("val_")
            if metric in _UP_METRICS:
                mode = "max"
            elif metric == "loss" or "loss" in metric or metric in ("mse", "mae"):
                mode = "min"
            else:
                raise ValueError(f"ReduceLROnPlateau received monitor={monitor}, but the "
                                 "direction cannot be inferred; pass mode='min' or 'max'.")
        self.mode = mode
        self.min_delta = -abs(min_delta) if mode == "min" else abs(min_delta)
        self._reset()

    def _reset(self):
        self.best, self.cooldown_counter, self.wait = None, 0, 0

    def on_train_begin(self, logs=None):
        self._reset()

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def _is_improvement(self, current, best):
        if best is None:
            return True
        a, b = np.float32(current - self.min_delta), np.float32(best)
        return bool(a < b) if self.mode == "min" else bool(a > b)

    def on_epoch_end(self, epoch, logs=None, optimizer=None):
        """Returns the new learning rate when it was reduced this epoch, else None."""
        opt = optimizer or self.optimizer
        logs = logs if logs is not None else {}
        logs["learning_rate"] = float(opt.learning_rate)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(f"Learning rate reduction is conditioned on metric `{self.monitor}` "
                          f"which is not available. Available metrics are: {','.join(logs)}.",
                          stacklevel=2)
            return None
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best, self.wait = current, 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = float(opt.learning_rate)
                if old_lr > np.float32(self.min_lr):
                    opt.learning_rate = max(old_lr * self.factor, self.min_lr)
                    if self.verbose > 0:
                        print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning "
                              f"rate to {max(old_lr * self.factor, self.min_lr)}.")
                    self.cooldown_counter, self.wait = self.cooldown, 0
                    return float(opt.learning_rate)
        return None
