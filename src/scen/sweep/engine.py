"""The batched engine: a block of seeds of one configuration trained as one, through the native
trainer's own step with a leading seed axis. (Why ~430 lines: parameters, data, dropout and
the per-seed callbacks all change shape together with the seed axis; apart, each would need
the others' layout.)

scen.native.Trainer.loss_and_output is the single run's loss as a pure function of the
parameters; here torch.func differentiates it (grad) and maps it over the seeds (vmap), so a
sweep computes what the single run computes, layer for layer, with every layer, loss and
optimizer the native backend has. The single run is the batch of one.
* Parameters: every seed's trainable weights in one (S, P) tensor, each weight a view of it
  (S, *torch shape), so that the Keras-exact update (scen.keras_exact, elementwise) runs once
  over all seeds. Learning rates are an (S, 1) tensor: ReduceLROnPlateau changes one seed's.
* Data: every seed's inputs and labels side by side in one (rows, width) table (S * n rows when
  the seeds' data differ); each epoch's batches are gathered from it in a thread, ahead.
* Dropout: vmap's randomness="different" gives each seed its own masks, drawn from torch's
  global generator. A single run draws its masks from the generator its batch order comes
  from, so with Dropout a seed's statistics are sound but its trajectory is not its single
  run's (without Dropout it is: tests/test_sweep.py holds each seed to its run, 1e-5).
* ReduceLROnPlateau: one scen.keras_exact.ReduceLROnPlateau per seed, on that seed's own logs
  (its validation set evaluated as the single run evaluates it).
"""

from __future__ import annotations

import math
import time
from typing import Callable, Sequence

import numpy as np

from scen.scenario import ScenError
from scen.sweep import seeds as seeding
from scen.sweep.by_hand import DenseChain
from scen.sweep.memory import MemoryEstimate, available_memory
from scen.sweep.spec import SweepSpec, with_learning_rate
from scen.sweep.stats import chance_level

SMALL_WORK = 1 << 18  # floats per step below which one torch thread is faster than two


def _as_list(x) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


class SeedRate:
    """One seed's learning rate, as ReduceLROnPlateau reads and sets an optimizer's (float32)."""

    def __init__(self, rates: np.ndarray, i: int):
        self.rates, self.i = rates, i

    @property
    def learning_rate(self) -> float:
        return float(self.rates[self.i])

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        self.rates[self.i] = np.float32(value)


class SeedTrainer:
    """scen.native.Trainer for a block of seeds at once. Setting up reseeds Python's, NumPy's
    and torch's global generators for every seed, as a run does (native_block restores them).

    After fit(): histories() gives (loss, accuracy), each (seeds, epochs), per epoch as the
    single run's history has them. validate: also evaluate each seed's validation set every
    epoch, as the single run does (val_rows: "val_loss", "val_accuracy" -> per-epoch (S,)
    arrays), so that a scenario's symptom checks can read a seed's whole history
    (seed_history); weight_change() gives each seed's largest weight change, as a run's."""

    def __init__(self, keras, scenario, variant: str, seeds: Sequence[int],
                 epochs: int | None = None, device: str = "cpu", validate: bool = False):
        import torch

        from scen import keras_exact
        from scen.keras_run import fit_for, loss_name, train_size
        from scen.native import Trainer
        from scen.runner import RunSpec

        started = time.perf_counter()
        self.torch, self.device = torch, torch.device(device)
        self.seeds = [int(s) for s in seeds]
        S = self.S = len(self.seeds)
        config = scenario.config_for(variant)
        fit = fit_for(RunSpec(scenario.name, variant=variant, epochs=epochs), scenario, config)
        self.fit_args, self.epochs = fit, fit.epochs
        model, data0, created, made = seeding.reference_build(keras, scenario, config,
                                                              self.seeds[0])
        reference = [np.asarray(w) for w in model.get_weights()]
        initial = seeding.InitialWeights(keras, model, created, made)
        n = self.n = train_size(data0, fit)

        if fit.class_weight is not None:
            raise ScenError("sweeps do not take class_weight yet: sweep the run without it")
        # Per seed: its data, torch's generator as its fit() finds it, its initial weights.
        generators, weights, datas = [], [], []
        for s in self.seeds:
            seeding.seed_cpu(s)
            datas.append(scenario.make_data(config, s))
            if datas[-1].sample_weight is not None:
                raise ScenError("sweeps do not take sample weights yet: sweep the run without")
            g = torch.Generator()
            g.set_state(torch.default_generator.get_state())
            generators.append(g)
            weights.append(initial.after_seeding() if initial.ok else None)
        # The replay must give the weights a Keras build gives: check the first seed (built
        # above) and the last; fall back to building every seed if they differ.
        self.replayed = initial.ok and seeding.same(weights[0], reference)
        if self.replayed and S > 1:
            self.replayed = seeding.same(weights[-1], seeding.build_weights(
                keras, scenario, config, self.seeds[-1]))
        if not self.replayed:
            weights = [seeding.build_weights(keras, scenario, config, s) for s in self.seeds]
        self.chance = np.asarray([chance_level(d.y[:n]) for d in datas])

        # The single run's trainer (seed 0's): its network, loss, accuracy and step function.
        self.trainer = Trainer(model, data0, fit, device=device)
        net = self.trainer.net
        from scen.port.keras_call import KerasCall

        called = [m for m in net.modules() if isinstance(m, KerasCall)]
        if called:  # its Keras variables hold one seed's state, not a seed axis
            raise ScenError(f"sweeps cannot batch seeds through a layer Keras runs "
                            f"({called[0].extra_repr()}): sweep one process per seed")
        paths = [v.path for v in model.weights]
        name_of = {id(p): name for name, p in net.named_parameters()}
        stacked = {}
        for path, param in net.keras_paths.items():
            value = np.stack([w[paths.index(path)] for w in weights])  # (S, *Keras shape)
            stacked[name_of[id(param)]] = (value, param.requires_grad)
        del weights
        self.trainable, self.frozen = {}, {}
        serialized = keras_exact.keras_config(model.optimizer)
        make_optimizer = lambda flat: keras_exact.get_optimizer(serialized, [flat])
        from scen.port import noise

        # Any of the port's noise layers (Dropout and its kin) draws in training: each seed its own.
        self.dropout = any(isinstance(m, noise.Dropout) for m in net.modules())
        self.chain = None
        # Validation rows are evaluated by torch.func (evaluate), which the chain does not have.
        validating = validate and self.trainer.val is not None
        if all(grad for _, grad in stacked.values()) and device == "cpu" and not self.dropout:
            self.chain = DenseChain.build(net, loss_name(model), self.trainer.accuracy,
                                          {k: v for k, (v, _) in stacked.items()},
                                          make_optimizer,
                                          bool(fit.reduce_lr_on_plateau) or validating)
        if self.chain is None:
            self._stack(stacked, make_optimizer)
        self.initial = (self.chain.flat if self.chain is not None else self.flat).clone()
        self.engine = "by hand" if self.chain is not None else "torch.func"
        del stacked
        self.rates = np.full(S, np.float32(self.trainer.optimizer.learning_rate), "float32")
        self.lr = torch.tensor(self.rates, device=self.device)[:, None]
        if self.chain is None:
            self.optimizer.use_learning_rates(self.lr)
        self.plateaus = ([keras_exact.ReduceLROnPlateau(SeedRate(self.rates, i),
                                                        **fit.reduce_lr_on_plateau)
                          for i in range(S)] if fit.reduce_lr_on_plateau else [])

        # Inputs and labels side by side, one table: one gather per epoch fetches every batch.
        shared = all(seeding.same(_as_list(d.x), _as_list(data0.x))
                     and seeding.same(d.y, data0.y) for d in datas[1:])
        parts_of = lambda d, lo, hi: [a[lo:hi] for a in _as_list(d.x)] + [d.y[lo:hi]]
        per_seed = [parts_of(d, 0, n) for d in (datas[:1] if shared else datas)]
        self.shapes = [tuple(np.shape(a)[1:]) for a in per_seed[0]]
        self.widths = [math.prod(sh) for sh in self.shapes]
        self.table = torch.as_tensor(np.concatenate([np.concatenate(
            [np.asarray(a, "float32").reshape(len(a), -1) for a in parts], axis=1)
            for parts in per_seed]), device=self.device)
        self.offsets = (torch.zeros(S, 1, dtype=torch.long, device=self.device) if shared else
                        (torch.arange(S, device=self.device) * n)[:, None])
        self.validation = None
        if validating or (self.plateaus and self.plateaus[0].monitor.startswith("val_")):
            self.validation = self._validation_sets(datas, fit, n)
        self.validate = validating
        self.val_rows: dict[str, list[np.ndarray]] = {}
        del datas

        self._grads = torch.func.vmap(
            self._one_seed, in_dims=(0, 0, 0, 0),
            randomness="different" if self.dropout else "error")
        self.batches = math.ceil(n / fit.batch_size)
        self.orders = seeding.BatchOrders(
            generators, n, self.batches, fit.steps_per_epoch or self.batches,
            fit.steps_per_epoch is not None, fit.shuffle)
        self.threads = 1 if S * fit.batch_size * sum(self.widths) < SMALL_WORK else None
        self.loss_rows: list[np.ndarray] = []
        self.accuracy_rows: list[np.ndarray] = []
        self.rate_rows: list[np.ndarray] = []  # each seed's learning rate per epoch
        self.setup_seconds = time.perf_counter() - started

    def _stack(self, stacked: dict, make_optimizer) -> None:
        """The torch.func engine's parameters: the trainable ones views of one (S, P) tensor."""
        torch = self.torch
        sizes = {k: math.prod(v.shape[1:]) for k, (v, grad) in stacked.items() if grad}
        self.flat = torch.zeros((self.S, sum(sizes.values())), device=self.device)
        offset = 0
        for name, (value, grad) in stacked.items():
            value = torch.as_tensor(np.ascontiguousarray(value, dtype="float32"),
                                    device=self.device)
            if grad:
                view = self.flat[:, offset:offset + sizes[name]].view(value.shape)
                view.copy_(value)
                self.trainable[name] = view
                offset += sizes[name]
            else:
                self.frozen[name] = value
        self.optimizer = make_optimizer(self.flat)

    def _validation_sets(self, datas, fit, n):
        """Every seed's validation inputs and labels, (S, rows, ...): what its run evaluates."""
        def one(d):
            if d.validation is not None:
                return _as_list(d.validation[0]), d.validation[1]
            return [a[n:] for a in _as_list(d.x)], d.y[n:]
        sets = [one(d) for d in datas]
        t = lambda arrays: self.torch.as_tensor(np.stack(arrays).astype("float32"),
                                                device=self.device)
        return ([t([s[0][i] for s in sets]) for i in range(len(sets[0][0]))],
                t([s[1] for s in sets]))

    # ---- one step ----------------------------------------------------------------------------
    def _one_seed(self, trainable, frozen, xb, yb):
        """One seed's gradients, loss and matches: the single run's step function."""
        loss_of = lambda p: self.trainer.loss_and_output({**p, **frozen}, xb, yb)
        grads, (loss, out) = self.torch.func.grad(loss_of, has_aux=True)(trainable)
        return grads, loss, self.trainer.matches(yb, out)

    def _step(self, xs, y):
        """One step for every seed: xs, each (S, batch, ...), y (S, batch, ...) -> the per-seed
        loss and number of matches, each (S,)."""
        torch = self.torch
        if self.chain is not None:
            return self.chain.step(xs, y)
        grads, loss, matches = self._grads(self.trainable, self.frozen, xs, y)
        flat = torch.cat([grads[k].reshape(self.S, -1) for k in self.trainable], dim=1)
        self.optimizer.apply_update([flat], [self.flat])
        return loss, matches

    def _gather(self, rows):
        """Each seed's rows (S, r) of the table -> inputs and labels, each (S, r, ...)."""
        got = self.table[rows + self.offsets]  # (S, r, width)
        return [part.reshape(*rows.shape, *shape).contiguous()
                for part, shape in zip(got.split(self.widths, dim=-1), self.shapes)]

    def _plans(self):
        """Each epoch's batches, as (inputs, labels) per step; drawn and gathered ahead."""
        b = self.fit_args.batch_size
        self.orders.start()
        for _ in range(self.epochs):
            order, first, count = self.orders.epoch()
            if self.trainer.val is not None:  # the run's evaluate draws from the generator too
                self.orders.evaluate()
            steps = []
            if count:
                lo, hi = first * b, min((first + count) * b, self.n)
                parts = self._gather(order[:, lo:hi].to(self.device))
                for j in range(count):
                    batch = [p[:, j * b:(j + 1) * b] for p in parts]
                    steps.append((batch[:-1], batch[-1]))
            yield steps

    # ---- epochs --------------------------------------------------------------------------------
    def fit(self, on_epoch: Callable[[int], None] | None = None) -> None:
        torch = self.torch
        threads = torch.get_num_threads()
        if self.threads:
            torch.set_num_threads(self.threads)
        try:
            self._fit(on_epoch)
        finally:
            torch.set_num_threads(threads)

    def _fit(self, on_epoch) -> None:
        torch = self.torch
        plans = seeding.Prefetch(self._plans(), depth=2)
        self.trainer.net.train()
        try:
            for epoch in range(self.epochs):
                losses, sizes = [], []
                correct = torch.zeros(self.S, device=self.device)
                for xs, y in next(plans):
                    loss, matches = self._step(xs, y)
                    losses.append(loss)
                    sizes.append(y.shape[1])
                    correct += matches
                # One host transfer per epoch; the epoch's numbers as scen.native computes them.
                step_losses = torch.stack(losses).cpu().numpy().astype(float)  # (steps, S)
                w = np.asarray(sizes, dtype=float)
                self.loss_rows.append((step_losses * w[:, None]).sum(0) / w.sum())
                self.accuracy_rows.append(correct.cpu().numpy().astype(float) / w.sum())
                self.rate_rows.append(self.rates.astype(float))  # as the run logs it: before
                val = ({} if self.validation is None or not (self.validate or self.plateaus)
                       else self.evaluate(*self.validation, prefix="val_"))
                if self.validate:
                    for k, v in val.items():
                        self.val_rows.setdefault(k, []).append(v)
                if self.plateaus:
                    self._plateau(epoch, val)
                if on_epoch is not None:
                    on_epoch(epoch)
        finally:
            plans.close()

    def _plateau(self, epoch: int, val: dict) -> None:
        """Each seed's ReduceLROnPlateau on its own logs; the new rates go to the optimizer."""
        logs = dict(loss=self.loss_rows[-1], accuracy=self.accuracy_rows[-1], **val)
        for i, plateau in enumerate(self.plateaus):
            plateau.on_epoch_end(epoch, {k: float(v[i]) for k, v in logs.items()})
        self.lr.copy_(self.torch.as_tensor(self.rates, device=self.device)[:, None])

    def evaluate(self, xs, y, prefix="") -> dict:
        """scen.native.Trainer.evaluate for every seed: xs, each (S, rows, ...), y (S, rows,
        ...) -> {prefix + "loss": (S,), prefix + "accuracy": (S,)} as float arrays."""
        torch, b, n = self.torch, self.fit_args.batch_size, y.shape[1]
        one = lambda p, xb, yb: self.trainer.loss_and_output({**p, **self.frozen}, xb, yb)[1]
        batched = torch.func.vmap(one)
        total = torch.zeros(self.S, device=self.device)
        correct = torch.zeros(self.S, device=self.device)
        self.trainer.net.eval()
        with torch.no_grad():
            for lo in range(0, n, b):
                xb, yb = [a[:, lo:lo + b] for a in xs], y[:, lo:lo + b]
                loss, out = batched(self.trainable, xb, yb)
                total += loss * yb.shape[1]
                correct += torch.vmap(self.trainer.matches)(yb, out)
        self.trainer.net.train()
        total, correct = total.cpu().numpy(), correct.cpu().numpy()
        return {f"{prefix}accuracy": correct.astype(float) / n,
                f"{prefix}loss": np.array([float(t) / n for t in total])}

    def weight_change(self) -> np.ndarray:
        """Each seed's largest change of any trainable weight from start to end, (S,)."""
        flat = self.chain.flat if self.chain is not None else self.flat
        axis = 0 if self.chain is not None else 1  # the chain keeps seeds last
        return (flat - self.initial).abs().amax(dim=axis).cpu().numpy().astype(float)

    def seed_history(self, i: int) -> dict[str, list[float]]:
        """Seed i's history as its single run's: loss, accuracy, val_* where validated, and
        learning_rate, per epoch run."""
        k = len(self.loss_rows)
        history = dict(loss=[float(r[i]) for r in self.loss_rows],
                       accuracy=[float(r[i]) for r in self.accuracy_rows])
        for name, rows in self.val_rows.items():
            history[name] = [float(r[i]) for r in rows[:k]]
        history["learning_rate"] = [float(r[i]) for r in self.rate_rows[:k]]
        return history

    def epoch_logs(self, i: int) -> dict[str, float]:
        """Seed i's logs of the last epoch run, as seed_history's last entries."""
        logs = dict(loss=float(self.loss_rows[-1][i]), accuracy=float(self.accuracy_rows[-1][i]))
        logs.update({name: float(rows[-1][i]) for name, rows in self.val_rows.items()})
        logs["learning_rate"] = float(self.rate_rows[-1][i])
        return logs

    def histories(self) -> tuple[np.ndarray, np.ndarray]:
        """(loss, accuracy), each (seeds, epochs), NaN after the last epoch run."""
        loss = np.full((self.S, self.epochs), np.nan)
        acc = np.full((self.S, self.epochs), np.nan)
        k = len(self.loss_rows)
        if k:
            loss[:, :k] = np.stack(self.loss_rows, axis=1)
            acc[:, :k] = np.stack(self.accuracy_rows, axis=1)
        return loss, acc


def native_block(task: dict, on_epoch: Callable[[int], None] | None = None) -> dict:
    """Train a block of seeds of one configuration as one batched model (a task's dict:
    scenario, variant, lr, seeds, device, epochs). Returns plain data: loss, accuracy and
    learning_rate (seeds, epochs), chance (seeds,), status per seed, error, seconds."""
    from scen import scenario as scenarios

    keras = seeding.keras_on_torch()
    scenario = with_learning_rate(scenarios.get(task["scenario"]), task["variant"], task["lr"])
    started = time.perf_counter()
    status, error = "completed", None
    with seeding.global_generators_kept():  # set-up reseeds them; Dropout draws from torch's
        trainer = SeedTrainer(keras, scenario, task["variant"], task["seeds"],
                              epochs=task["epochs"], device=task["device"])
        try:
            trainer.fit(on_epoch)
        except RuntimeError as e:  # e.g. torch's label check in binary cross-entropy, as a run
            status, error = "raised", f"{type(e).__name__}: {str(e).strip().splitlines()[0]}"
    loss, accuracy = trainer.histories()
    rates = np.stack(trainer.rate_rows, axis=1) if trainer.rate_rows else None
    return dict(seeds=list(task["seeds"]), loss=loss, accuracy=accuracy, chance=trainer.chance,
                learning_rate=rates,
                status=[status] * len(task["seeds"]), error=error,
                seconds=time.perf_counter() - started, epochs=trainer.epochs,
                setup_seconds=trainer.setup_seconds, replayed=trainer.replayed)


def native_estimate(spec: SweepSpec, scenario, seeds, n_lrs: int, device: str,
                    epochs: int) -> MemoryEstimate:
    """Weights, gradients and optimizer slots, a batch's activations, the data, the epoch's
    gathered batches and orders, per seed; the histories of every seed of every configuration."""
    keras = seeding.keras_on_torch()

    from scen.keras_run import fit_for, train_size
    from scen.port import translate
    from scen.port.dense import Dense
    from scen.runner import RunSpec

    config = scenario.config_for(spec.variant)
    fit = fit_for(RunSpec(scenario.name, variant=spec.variant, epochs=epochs), scenario, config)
    with seeding.global_generators_kept():
        model, data, _, _ = seeding.reference_build(keras, scenario, config, seeds[0])
        ported = translate(model)
    params = sum(p.numel() for p in ported.parameters())
    n = train_size(data, fit)
    width = sum(math.prod(np.shape(a)[1:]) for a in _as_list(data.x))
    width += math.prod(np.shape(data.y)[1:])
    data_bytes = 4 * n * width
    shared = False
    if len(seeds) > 1:
        other = scenario.make_data(config, seeds[1])
        shared = (seeding.same(_as_list(other.x), _as_list(data.x))
                  and seeding.same(other.y, data.y))
    activations = sum(3 * m.out_features for m in ported.modules()
                      if isinstance(m, Dense))
    live = len(seeds) if spec.seed_block is None else min(spec.seed_block, len(seeds))
    per_seed = (4 * params * 9  # weights, gradients (and their copy), slots, temporaries
                + 4 * fit.batch_size * (width + 2 * activations)  # a batch, activations, grads
                + (0 if shared else data_bytes)
                + 3 * data_bytes  # an epoch's batches, gathered, two epochs ahead
                + 40 * n + 8 * seeding.BatchOrders.BLOCK  # orders, draws
                + 2 * data_bytes + 4 * params + 16384)  # setup: data, weights, generator
    per_result = 2 * 8 * epochs * 2 + 1024  # loss and accuracy rows, twice while assembled
    available, source = available_memory(device)
    return MemoryEstimate(per_seed, data_bytes if shared else 0, per_result, live,
                          len(seeds) * n_lrs, available, source, n_lrs)

