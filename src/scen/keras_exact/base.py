"""The base of the Keras-exact optimizers: Keras's float32 learning rate, its iteration
counter and its gradient clipping (keras/src/optimizers/base_optimizer.py,
keras/src/backend/torch/optimizers/torch_optimizer.py)."""

from __future__ import annotations

import numpy as np
import torch


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
        # A Keras LearningRateSchedule (get_optimizer sets it): update() first sets the rate
        # to schedule(iterations), as Keras's _get_current_learning_rate does at each step.
        self.schedule = None
        self._flat: torch.Tensor | None = None  # flatten(): the trainable ones, one buffer
        self._flat_params: list[torch.Tensor] = []
        self._flat_slots: dict[str, torch.Tensor] = {}

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
        super().load_state_dict(state_dict)  # new slot tensors: flat ones are gathered anew
        self._flat_slots = {}
        if extra:
            self.learning_rate, self.iterations = extra["learning_rate"], extra["iterations"]

    def flatten(self) -> bool:
        """Keep every parameter, and each optimizer slot, as views of one flat buffer, so that
        an update runs each of its ops once rather than once per parameter: on the CPU torch's
        _foreach ops loop over the tensors, and Adam on a three-layer model's six parameters
        was a quarter of its training step. Element for element the same arithmetic, so the
        same values (tests/test_keras_exact.py). Only where the update is elementwise and
        uniform: not under clipnorm or global_clipnorm (norms per tensor and over all), not
        with per-row rates; the trainable parameters (frozen ones are never updated) float32,
        on one device. The Parameter objects stay (their .data becomes a view). Returns
        whether the trainable parameters are flat."""
        params = [p for p in self._params if p.requires_grad]
        if self._flat is not None:
            return True
        if (self.clipnorm or self.global_clipnorm or self._lr_float is None or len(params) < 2
                or any(p.dtype != torch.float32 or p.device != params[0].device
                       for p in params)):
            return False
        with torch.no_grad():
            self._flat_params = params
            self._flat = torch.cat([p.detach().reshape(-1) for p in params])
            for p, view in zip(params, self._views(self._flat)):
                p.data = view
        return True

    def _views(self, flat: torch.Tensor) -> list[torch.Tensor]:
        views, start = [], 0
        for p in self._flat_params:
            views.append(flat[start:start + p.numel()].view(p.shape))
            start += p.numel()
        return views

    def slots(self) -> list[tuple[str, float]]:
        """The slots `_update` keeps, (name, initial value): the variables Keras's build()
        adds for this optimizer and its settings."""
        return []

    def build(self, params: list[torch.Tensor]) -> None:
        """Create every slot of `params` now, as Keras's optimizer.build does before the
        first step, and mark them, the rate and the step counter as static addresses for
        torch.compile: slots made inside the first compiled call would compile it again, and
        a CUDA graph can replay only on tensors that stay where they were captured."""
        for name, initial in self.slots():
            self._slots(name, params, initial)
        kept = [v for v in vars(self).values() if isinstance(v, torch.Tensor)]  # rate, step..
        for t in kept + [slot for p in params for slot in self.state[p].values()]:
            torch._dynamo.mark_static_address(t)

    def _slots(self, name, params, initial: float = 0.0):
        """Optimizer slots start at zero (add_optimizer_variables in Keras) or at `initial`.
        For the flat buffer, one flat slot whose views are the parameters' own slots."""
        if self._flat is not None and len(params) == 1 and params[0] is self._flat:
            if name not in self._flat_slots:
                with torch.no_grad():  # gathers slots the parameters have already (a 2nd fit)
                    self._flat_slots[name] = torch.cat([s.reshape(-1) for s in self._slots(
                        name, self._flat_params, initial)])
                for p, view in zip(self._flat_params, self._views(self._flat_slots[name])):
                    self.state[p][name] = view
            return [self._flat_slots[name]]
        out = []
        for p in params:
            st = self.state[p]
            if name not in st:
                st[name] = torch.full_like(p, initial, memory_format=torch.preserve_format)
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
        if self.schedule is not None:
            self.learning_rate = float(np.asarray(self.schedule(int(self._iterations))))
        params = [p for p in self._params if p.grad is not None]  # _filter_empty_gradients
        if self._flat is not None and list(map(id, params)) == list(map(id, self._flat_params)):
            self._apply([torch.cat([p.grad.reshape(-1) for p in params])], [self._flat])
        elif params:
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


def scaled(tensors, factor: torch.Tensor | float):
    """tensors * factor: foreach for a number or a 0-d factor (the single run's ops,
    unchanged), one broadcasting multiply each for per-row learning rates."""
    if not isinstance(factor, torch.Tensor) or factor.dim() == 0:
        return torch._foreach_mul(tensors, factor)
    return [t * factor for t in tensors]


