"""Keras's optimizers on torch, op for op: keras/src/backend/torch/optimizers/torch_*.py
(the ``_foreach`` versions Keras actually runs on torch, not ``optimizers/*.py``'s generic
``update_step``, which rounds differently). Parameters and gradients: any shapes, float32."""

from __future__ import annotations

import numpy as np
import torch

from scen.keras_exact.base import KerasOptimizer, scaled

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
        self._alpha_block = (0, None, [])  # (first step, learning rate, alphas)

    def _alpha(self, dtype):
        """This step's alpha: a 0-d tensor computed as Keras computes it, or on the CPU a float
        taken from a block of ALPHA_BLOCK steps computed ahead, the same float32 values for a
        tenth of the ops (a small model's step spends ~15% of its time on these scalars)."""
        if (self._lr_float is None or dtype != torch.float32 or self._lr.device.type != "cpu"
                or torch.compiler.is_compiling()):
            local_step = (self._iterations + 1).to(dtype)
            b1p = torch.pow(self._b1.to(dtype), local_step)
            b2p = torch.pow(self._b2.to(dtype), local_step)
            return self._lr.to(dtype) * torch.sqrt(1 - b2p) / (1 - b1p)
        t = int(self._iterations) + 1
        first, lr, alphas = self._alpha_block
        if lr != self._lr_float or not first <= t < first + len(alphas):
            alphas = keras_adam_alphas(self.beta_1, self.beta_2, self._lr_float, t, ALPHA_BLOCK)
            self._alpha_block = first, lr, alphas = t, self._lr_float, alphas
        return alphas[t - first]

    def slots(self):
        return [("m", 0.0), ("v", 0.0)] + ([("v_hat", 0.0)] if self.amsgrad else [])

    def _update(self, grads, params):
        alpha = self._alpha(params[0].dtype)
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
            scaled(m, alpha), torch._foreach_add(torch._foreach_sqrt(v), self.epsilon)), alpha=-1)


ALPHA_BLOCK = 256


def keras_adam_alphas(beta_1: float, beta_2: float, learning_rate: float, first: int,
                      count: int) -> list[float]:
    """Adam's alpha = lr * sqrt(1 - b2^t) / (1 - b1^t) for t = first .. first+count-1, bit for
    bit the float32 value Keras's torch_adam.py computes with 0-d tensor ops: the powers with
    the C library's powf (what torch's scalar pow calls; torch's vectorized pow, SLEEF's,
    differs in the last bit), the square roots with torch itself (its float32 sqrt was not
    numpy's correctly rounded one on an AVX-512 CPU, and is the same for one value or many;
    measured), the rest in IEEE float32 arithmetic, exact anywhere."""
    f32 = np.float32
    one, b1, b2 = f32(1), f32(beta_1), f32(beta_2)
    steps = [f32(t) for t in range(first, first + count)]
    b1p = np.array([b1 ** t for t in steps], dtype=np.float32)
    b2p = np.array([b2 ** t for t in steps], dtype=np.float32)
    roots = torch.sqrt(torch.from_numpy(one - b2p)).numpy()
    return (f32(learning_rate) * roots / (one - b1p)).tolist()


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

    def slots(self):
        return [("velocity", 0.0)] + ([("average_gradient", 0.0)] if self.centered else []) \
            + ([("momentum", 0.0)] if self.momentum > 0 else [])

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
        inc = torch._foreach_div(scaled(grads, lr), den)
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

    def slots(self):
        return [("momentum", 0.0)] if self.momentum != 0 else []

    def _update(self, grads, params):
        if self._lr_float is None:  # per-row rates: lr * g first (Keras fuses it: ~1 ulp)
            grads, lr = scaled(grads, self._lr), 1.0
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

    def slots(self):
        return [("accumulator", self.initial)]

    def _update(self, grads, params):
        acc = self._slots("accumulator", params, self.initial)
        torch._foreach_add_(acc, torch._foreach_mul(grads, grads))
        lr = self._lr.to(params[0].dtype)
        torch._foreach_add_(params, torch._foreach_div(
            scaled(grads, lr), torch._foreach_sqrt(torch._foreach_add(acc, self.epsilon))),
            alpha=-1)


class Adamax(KerasOptimizer):
    """torch_adamax.py: m = b1*m + (1-b1)*g; u = max(b2*u, |g|);
    p -= lr*m / ((u + eps) * (1 - b1^t))."""

    def __init__(self, params, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **common):
        super().__init__(params, learning_rate, dict(beta_1=beta_1, beta_2=beta_2), **common)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        self._b1 = torch.tensor(beta_1, dtype=torch.float32, device=self._params[0].device)

    def slots(self):
        return [("m", 0.0), ("u", 0.0)]

    def _update(self, grads, params):
        dtype = params[0].dtype
        b1p = torch.pow(self._b1.to(dtype), (self._iterations + 1).to(dtype))
        m, u = self._slots("m", params), self._slots("u", params)
        torch._foreach_mul_(m, self.beta_1)
        torch._foreach_add_(m, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(u, self.beta_2)
        torch._foreach_maximum_(u, torch._foreach_abs(grads))
        torch._foreach_add_(params, torch._foreach_div(
            scaled(m, self._lr.to(dtype)),
            scaled(torch._foreach_add(u, self.epsilon), 1 - b1p)), alpha=-1)


class Lion(KerasOptimizer):
    """torch_lion.py: p -= lr * sign(b1*m + (1-b1)*g); then m = b2*m + (1-b2)*g."""

    def __init__(self, params, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **common):
        super().__init__(params, learning_rate, dict(beta_1=beta_1, beta_2=beta_2), **common)
        self.beta_1, self.beta_2 = beta_1, beta_2

    def slots(self):
        return [("m", 0.0)]

    def _update(self, grads, params):
        m = self._slots("m", params)
        c = torch._foreach_mul(m, self.beta_1)
        torch._foreach_add_(c, grads, alpha=1 - self.beta_1)
        c = [t.sign() for t in c]
        torch._foreach_add_(params, scaled(c, self._lr.to(params[0].dtype)), alpha=-1)
        torch._foreach_mul_(m, self.beta_2)
        torch._foreach_add_(m, grads, alpha=1 - self.beta_2)


class Nadam(KerasOptimizer):
    """torch_nadam.py: Adam with Nesterov momentum and a momentum schedule
    u_t = b1 * (1 - 0.5 * 0.96^t), t = iterations + 1, whose running product u_product (a
    float32 variable starting at 1) is updated every step; m_hat = m*u_{t+1} / (1 - u_prod
    * u_{t+1}) + g*(1 - u_t) / (1 - u_prod); v_hat = v / (1 - b2^t);
    p -= lr*m_hat / (sqrt(v_hat) + eps). Keras passes 1 - u_prod to the divisions as a host
    number (convert_to_numpy), so this does too: a device sync per step, as in Keras."""

    def __init__(self, params, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **common):
        super().__init__(params, learning_rate, dict(beta_1=beta_1, beta_2=beta_2), **common)
        self.beta_1, self.beta_2, self.epsilon = beta_1, beta_2, epsilon
        dev = self._params[0].device
        self._b1 = torch.tensor(beta_1, dtype=torch.float32, device=dev)
        self._b2 = torch.tensor(beta_2, dtype=torch.float32, device=dev)
        self._decay = torch.tensor(0.96, dtype=torch.float32, device=dev)
        self._u_product = torch.ones((), dtype=torch.float32, device=dev)

    def state_dict(self):
        sd = super().state_dict()
        sd["keras"]["u_product"] = float(self._u_product)
        return sd

    def load_state_dict(self, state_dict):
        u_product = (state_dict.get("keras") or {}).get("u_product", 1.0)
        super().load_state_dict(state_dict)
        self._u_product.fill_(u_product)

    def slots(self):
        return [("momentum", 0.0), ("velocity", 0.0)]

    def _update(self, grads, params):
        dtype = params[0].dtype
        local_step = (self._iterations + 1).to(dtype)
        next_step = (self._iterations + 2).to(dtype)
        b1 = self._b1.to(dtype)
        u_t = b1 * (1.0 - 0.5 * torch.pow(self._decay, local_step))
        u_t_1 = b1 * (1.0 - 0.5 * torch.pow(self._decay, next_step))
        u_product_t = self._u_product * u_t
        u_product_t_1 = u_product_t * u_t_1
        beta_2_power = torch.pow(self._b2.to(dtype), local_step)
        self._u_product.copy_(u_product_t)
        m, v = self._slots("momentum", params), self._slots("velocity", params)
        torch._foreach_mul_(m, self.beta_1)
        torch._foreach_add_(m, grads, alpha=1 - self.beta_1)
        torch._foreach_mul_(v, self.beta_2)
        torch._foreach_add_(v, torch._foreach_mul(grads, grads), alpha=1 - self.beta_2)
        # 1 - u as a float32 number on the host, then a Python scalar: what Keras divides by.
        one_minus = lambda u: float(np.float32(1) - np.float32(u.item()))
        m_hat = torch._foreach_add(
            torch._foreach_div(torch._foreach_mul(m, u_t_1), one_minus(u_product_t_1)),
            torch._foreach_div(torch._foreach_mul(grads, 1 - u_t), one_minus(u_product_t)))
        v_hat = torch._foreach_div(v, 1 - beta_2_power)
        torch._foreach_add_(params, torch._foreach_div(
            scaled(m_hat, self._lr.to(dtype)),
            torch._foreach_add(torch._foreach_sqrt(v_hat), self.epsilon)), alpha=-1)


class Adadelta(KerasOptimizer):
    """torch_adadelta.py: acc_g = rho*acc_g + (1-rho)*g^2;
    delta = -sqrt(acc_d + eps) * g / sqrt(acc_g + eps); acc_d = rho*acc_d + (1-rho)*delta^2;
    p += lr * delta. Defaults lr 0.001, rho 0.95 (adadelta.py)."""

    def __init__(self, params, learning_rate=0.001, rho=0.95, epsilon=1e-7, **common):
        super().__init__(params, learning_rate, dict(rho=rho, epsilon=epsilon), **common)
        self.rho, self.epsilon = rho, epsilon

    def slots(self):
        return [("accumulated_grad", 0.0), ("accumulated_delta_var", 0.0)]

    def _update(self, grads, params):
        rho = self.rho
        acc_g = self._slots("accumulated_grad", params)
        acc_d = self._slots("accumulated_delta_var", params)
        torch._foreach_mul_(acc_g, rho)
        torch._foreach_add_(acc_g, torch._foreach_mul(grads, grads), alpha=1 - rho)
        rms = lambda x: torch._foreach_sqrt(torch._foreach_add(x, self.epsilon))
        delta = torch._foreach_mul(
            torch._foreach_div(torch._foreach_mul(rms(acc_d), grads), rms(acc_g)), -1)
        torch._foreach_mul_(acc_d, rho)
        torch._foreach_add_(acc_d, torch._foreach_mul(delta, delta), alpha=1 - rho)
        if self._lr_float is None:  # per-row rates (a sweep's seeds)
            torch._foreach_add_(params, scaled(delta, self._lr))
        else:  # Keras: alpha=lr, the float32 rate as a scalar
            torch._foreach_add_(params, delta, alpha=self._lr_float)


_OPTIMIZERS = {"adam": Adam, "rmsprop": RMSprop, "sgd": SGD, "adamw": AdamW,
               "adagrad": Adagrad, "adamax": Adamax, "lion": Lion, "nadam": Nadam,
               "adadelta": Adadelta}
# Keys of a Keras get_config() that we accept only at their default (inactive) value.
_INERT = {"use_ema": False, "ema_momentum": 0.99,
          "ema_overwrite_frequency": None, "loss_scale_factor": None,
          "gradient_accumulation_steps": None}


def keras_config(optimizer) -> dict:
    """A Keras optimizer (the inner one of a LossScaleOptimizer) as keras.optimizers.serialize
    gives it, without serialize's import of TensorFlow. Under a LearningRateSchedule the
    config's learning_rate is the schedule's first rate (get_optimizer then steps the
    schedule itself), and get_config is asked with the schedule set aside, as its
    serialisation of one imports TensorFlow where installed. Another callable rate (a function
    of nothing, which Keras calls at every step) raises ValueError."""
    from keras.optimizers.schedules import LearningRateSchedule

    inner = getattr(optimizer, "inner_optimizer", optimizer)
    rate = getattr(inner, "_learning_rate", None)
    if isinstance(rate, LearningRateSchedule):
        inner._learning_rate = None  # get_config's placeholder branch: no serialisation
        try:
            config = inner.get_config()
        finally:
            inner._learning_rate = rate
        config["learning_rate"] = float(np.asarray(rate(0)))
        return {"class_name": type(inner).__name__, "config": config}
    if callable(rate):
        raise ValueError(f"a learning rate that is a function ({type(rate).__name__}), which "
                         "Keras's fit calls at every step")
    return {"class_name": type(inner).__name__, "config": inner.get_config()}


def learning_rate_schedule(optimizer):
    """The Keras optimizer's LearningRateSchedule, or None."""
    from keras.optimizers.schedules import LearningRateSchedule

    rate = getattr(getattr(optimizer, "inner_optimizer", optimizer), "_learning_rate", None)
    return rate if isinstance(rate, LearningRateSchedule) else None


def get_optimizer(name_or_config, params) -> KerasOptimizer:
    """Build from a Keras optimizer object, a Keras identifier ('adam', 'RMSprop', 'sgd'), a
    dict ``{"name": "adam", "learning_rate": 0.01, ...}``, or a serialized Keras optimizer
    ``{"class_name": "Adam", "config": {...}}``.  Unknown names and schedules raise
    ValueError."""
    schedule = None
    if hasattr(name_or_config, "get_config"):
        schedule = learning_rate_schedule(name_or_config)
        name_or_config = keras_config(name_or_config)
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
    optimizer = cls(params, **kwargs)
    optimizer.schedule = schedule
    return optimizer


