"""Prove a fix: apply a finding's mechanical fix, rerun over N seeds, and compare the failure
rate before and after (Wilson intervals); "verified" only where the improvement is significant.
(Why ~430 lines: the fixes' table, the statistics and the verdict's words are one argument,
read top to bottom.)

    result = verify(trial, config, "slow_start", seeds=range(16))
    print(result.text())

`trial(config, seed) -> (failed, metric)` runs one training (a scenario, or a user's program)
and says whether it shows the failure. A trial may also run many seeds at once: one with a
`batch(config, seeds, finding, side) -> Batch` method is asked for each side's seeds together
(`side` is "before" or "after"; Batch.how says how they ran: "batched over 16 seeds", or "16
runs, one per seed: <why not batched>"). A trial raises FixRefused where its program cannot
take the fix; verify then says so in place of the rates. `MECHANICAL_FIXES` says, per finding,
how its fix changes a config; findings not listed have no mechanical fix, and `verify` says so.
`scenario_trial(name, variant)` makes a trial of a scen scenario (its symptom checks decide):
a ScenarioTrial, which runs a side's seeds as one batched model through the sweep engine
where it takes the scenario, each seed's own run where it does not.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass, field
from typing import Callable, Iterable

Z95 = 1.959964  # two-sided 95%: the Wilson intervals below use it.
SEED_BLOCK = 256  # seeds per batched model in ScenarioTrial (--seeds goes up to 10,000)


def _times(key: str, factor: float, default: float | None = None):
    """A config change: config[key] times `factor` (`default` where the key is None)."""
    def change(config: dict) -> dict | None:
        if key not in config:
            return None
        value = config[key] if config[key] is not None else default
        return None if value is None else {**config, key: value * factor}
    return change


def _set(**values):
    def change(config: dict) -> dict | None:
        if not set(values) <= set(config):
            return None
        return {**config, **values}
    return change


# finding -> (what the fix does, config -> fixed config, or None where the config cannot take it)
MECHANICAL_FIXES: dict[str, tuple[str, Callable[[dict], dict | None]]] = {
    "slow_start": ("learning rate x100", _times("learning_rate", 100, default=1e-3)),
    "learning_rate_too_low": ("learning rate x100", _times("learning_rate", 100, default=1e-3)),
    "diverging_loss": ("learning rate /10", _times("learning_rate", 0.1, default=1e-3)),
    "oscillating_loss": ("learning rate /10", _times("learning_rate", 0.1, default=1e-3)),
    "plateau": ("ReduceLROnPlateau", _set(reduce_lr=True)),
    "unscaled_inputs": ("inputs scaled", _set(scale_inputs=True)),
    "unscaled_targets": ("targets standardised", _set(standardise_targets=True)),
    "softmax_single_unit": ("linear output", _set(output_activation="linear")),
    "output_cannot_reach_targets": ("linear output", _set(output_activation="linear")),
    "regression_with_classification_loss": ("linear output and MSE",
                                            _set(output_activation="linear", loss="mse")),
    "majority_class_predictor": ("balanced class weights", _set(class_weight="balanced")),
    "float16_throughout": ("float32", _set(precision="fp32")),
    "integer_labels_with_categorical_crossentropy": (
        "sparse_categorical_crossentropy", _set(loss="sparse_categorical_crossentropy")),
    "one_hot_labels_with_sparse_crossentropy": (
        "categorical_crossentropy", _set(loss="categorical_crossentropy")),
    "gradients_died": ("learning rate /10", _times("learning_rate", 0.1, default=1e-3)),
    "loss_spikes": ("learning rate /10", _times("learning_rate", 0.1, default=1e-3)),
    "still_improving_at_end": ("epochs x3", _times("epochs", 3)),
    "few_updates": ("batch_size=32", _set(batch_size=32)),
    "loss_domain_excludes_targets": ("mean_squared_error", _set(loss="mean_squared_error")),
    "percentage_loss_near_zero_targets": ("mean_absolute_error",
                                          _set(loss="mean_absolute_error")),
}
# Fixes that leave the loss as it was (its function, targets and weighting): a run's final
# loss before and after compares, and a fix after which it is higher on average did not fix
# the run, however rarely its own finding fires again (a learning rate x100 on vanishing
# gradients silences learning_rate_too_low and leaves the model at chance).
SAME_LOSS_FIXES = {MECHANICAL_FIXES[finding][0] for finding in (
    "learning_rate_too_low", "diverging_loss", "plateau", "unscaled_inputs", "float16_throughout",
    "still_improving_at_end")}
# A script's run, judged by its symptom rather than by its finding firing again (a finding seen
# before training, say unscaled inputs, fires again whatever the run does): accuracy within a
# tenth of the way from chance (the majority class's share) to 1, or, without an accuracy, a
# final epoch loss not 10% below the first step's.
ACCURACY_KEYS = ("accuracy", "acc", "binary_accuracy", "categorical_accuracy",
                 "sparse_categorical_accuracy")
AT_CHANCE = 0.1
NOT_FALLING = 0.9


# Findings that are themselves the symptom, read from the curves: a seed fails where the
# finding fires again.
CURVE_FINDINGS = {"still_improving_at_end", "plateau", "oscillating_loss", "diverging_loss",
                  "loss_spikes", "overfitting", "train_val_gap"}


def symptom(run) -> tuple[bool, float, str]:
    """(failed, metric, the metric's name) of one fit's run (a RunResult): its final accuracy
    against chance (RunInfo.chance) where it logs one, else its final loss against its first
    step's."""
    history, chance = run.history, (run.info or {}).get("chance")
    key = next((k for k in ACCURACY_KEYS if history.get(k)), None)
    if key is not None and chance is not None:
        final = float(history[key][-1])
        return (not final > chance + AT_CHANCE * (1 - chance), final,
                f"final {key} (chance {chance:.2f})")
    losses = history.get("loss") or [math.nan]
    final = float(losses[-1])
    first = next((float(v) for v in run.step_losses if math.isfinite(v)), math.nan)
    falling = math.isfinite(final) and math.isfinite(first) and final < NOT_FALLING * first
    return not falling, final, "final training loss"


def wilson(failures: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion failures/n."""
    if n == 0:
        return 0.0, 1.0
    p = failures / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def significantly_lower(after: int, before: int, n: int, alpha: float = 0.025) -> bool:
    """One-sided Fisher exact test: are `after` failures out of n significantly fewer than
    `before` out of n? p = P(at most `after` of all the failures fall on the after side) under
    the hypergeometric law of the margins; significant where p < alpha (0.025: the one-sided
    half of the 95% the intervals use). Exact at any n, where a z-test is not: 2/2 -> 0/2 has
    p = 1/6, not significant; 8/8 -> 0/8 has p = 8e-5."""
    if before <= after:
        return False
    failures = before + after
    p = sum(math.comb(failures, k) * math.comb(2 * n - failures, n - k)
            for k in range(after + 1)) / math.comb(2 * n, n)
    return p < alpha


class FixRefused(Exception):
    """A trial's program cannot take the fix (its message says why, in one line)."""


@dataclass
class Batch:
    results: list[tuple[bool, float]]  # (failed, metric) per seed, in the seeds' order
    how: str  # "batched over 16 seeds" or "16 runs, one per seed: <reason>"
    metric: str = "final loss"  # what the metric is, as the report names it


@dataclass
class Verification:
    finding: str
    fix: str  # what the fix did ("" where none is mechanical)
    seeds: list[int] = field(default_factory=list)
    failed_before: list[bool] = field(default_factory=list)
    failed_after: list[bool] = field(default_factory=list)
    metric_before: list[float] = field(default_factory=list)
    metric_after: list[float] = field(default_factory=list)
    note: str = ""
    how_before: str = ""  # how each side's seeds ran (Batch.how)
    how_after: str = ""
    refused: str = ""  # the fix the program could not take (note: why)
    metric: str = "final loss"  # the metric's name (Batch.metric)

    @property
    def higher_is_better(self) -> bool:
        return "acc" in self.metric  # symptom() names an accuracy by its key (ACCURACY_KEYS)

    @property
    def verified(self) -> bool:
        """Fewer failures, significantly, and the outcome no worse on average."""
        n = len(self.seeds)
        return (bool(n) and not self.same_runs() and not self.metric_worse()
                and significantly_lower(sum(self.failed_after), sum(self.failed_before), n))

    def metric_worse(self) -> bool:
        """The mean outcome got worse: a lower accuracy, or a higher final loss where the fix
        leaves the loss as it was defined (another loss's values do not compare)."""
        before, after = _mean(self.metric_before), _mean(self.metric_after)
        if not math.isfinite(before):
            return False
        if self.higher_is_better:
            return not math.isfinite(after) or after < before
        return self.fix in SAME_LOSS_FIXES and (not math.isfinite(after) or after > before)

    def rates(self) -> dict:
        n = len(self.seeds)
        b, a = sum(self.failed_before), sum(self.failed_after)
        return dict(n=n, before=b / n if n else None, after=a / n if n else None,
                    before_ci=wilson(b, n), after_ci=wilson(a, n))

    def how(self) -> str:
        """How the seeds ran: one phrase where both sides ran alike."""
        if self.how_before == self.how_after:
            return self.how_before
        return f"before {self.how_before}; after {self.how_after}"

    def text(self) -> str:
        if self.refused:
            return f"{self.finding}: {self.refused} cannot be applied: {self.note}"
        if not self.fix:
            return f"{self.finding}: no mechanical fix to verify ({self.note})"
        r = self.rates()
        verdict = ("not verified (every seed gave the same run: the program fixes its own "
                   "random seed, so these are one run, not independent ones)" if self.same_runs()
                   else f"not verified (the {self.metric} got worse: the run is no better)"
                   if self.metric_worse()
                   else "verified" if self.verified
                   else "not verified (no significant improvement)")
        how = f" [{self.how()}]" if self.how() else ""
        return (f"{self.finding}: {self.fix}: failed {sum(self.failed_before)}/{r['n']} seeds "
                f"before (95% CI {r['before_ci'][0]:.2f}-{r['before_ci'][1]:.2f}), "
                f"{sum(self.failed_after)}/{r['n']} after ({r['after_ci'][0]:.2f}-"
                f"{r['after_ci'][1]:.2f}); mean {self.metric} {_mean(self.metric_before):.4g}"
                f" -> {_mean(self.metric_after):.4g}"
                + ("" if self.fix in SAME_LOSS_FIXES or self.higher_is_better
                   else " (another loss: the fix changes it)")
                + f"{how}: {verdict}")

    def same_runs(self) -> bool:
        """Every seed gave the same run, on each side: a program that fixes its own seed
        (keras.utils.set_random_seed(0), say) runs identically whatever seed scen gives it, so
        N seeds are one run, and prove nothing about seeds."""
        same = lambda v: len(v) > 1 and len(set(v)) == 1  # noqa: E731
        return same(self.metric_before) and same(self.metric_after)


Trial = Callable[[dict, int], tuple[bool, float]]


def _mean(values: list[float]) -> float:
    """The mean of the finite values (nan where there are none)."""
    finite = [v for v in values if math.isfinite(v)]
    return sum(finite) / len(finite) if finite else math.nan


def _run_side(trial, config: dict, seeds: list[int], finding: str, side: str) -> Batch:
    """One side's seeds: the trial's batch where it has one, else the trial seed by seed."""
    batch = getattr(trial, "batch", None)
    if batch is not None:
        return batch(config, seeds, finding, side)
    return Batch([trial(config, s) for s in seeds], "")


def verify(trial: Trial, config: dict, finding: str, seeds: Iterable[int] = range(16),
           settings: dict[str, dict] | None = None) -> Verification:
    """Run `trial` on `config` and on its fixed copy for every seed (the fixed side first: a
    program that refuses the fix says so before the seeds as they are have run).

    settings: fix name -> the config changes that apply it in this program, where its config
    names the fix otherwise (a scenario's variant that `applies` it, say)."""
    seeds = list(seeds)
    fix = MECHANICAL_FIXES.get(finding)
    if fix is None:
        return Verification(finding, "", note="its fix is a judgement, not a setting")
    own = (settings or {}).get(fix[0])
    fixed = {**config, **own} if own is not None else fix[1](config)
    if fixed is None:
        return Verification(finding, "", note=f"the program has no setting for '{fix[0]}'")
    try:
        after = _run_side(trial, fixed, seeds, finding, "after")
    except FixRefused as e:
        return Verification(finding, "", note=str(e), refused=fix[0])
    before = _run_side(trial, config, seeds, finding, "before")
    v = Verification(finding, fix[0], seeds, how_before=before.how, how_after=after.how,
                     metric=before.metric)
    for failed, metric in before.results:
        v.failed_before.append(bool(failed))
        v.metric_before.append(float(metric))
    for failed, metric in after.results:
        v.failed_after.append(bool(failed))
        v.metric_after.append(float(metric))
    return v


def scenario_fix_settings(name: str) -> dict[str, dict]:
    """Fix name -> config changes, from the scenario's variants that apply a mechanical fix."""
    from scen import scenario as scenarios

    return {v.applies: dict(v.changes) for v in scenarios.get(name).variants if v.applies}


@dataclass
class SeedRun:
    """What a scenario's symptom checks read of a run, for one seed of a batched model."""

    history: dict[str, list[float]]
    weight_change: float


class ScenarioTrial:
    """A trial over a scen scenario (native torch backend): the config is the variant's, the
    failure is any of the scenario's symptom checks holding, the metric the last `metric`.

    Called with (config, seed): that seed's own run. batch(): a side's seeds as one batched
    model (scen.sweep's engine), the checks run on each seed's history, or, where the engine
    refuses the scenario (or `batched` is False), each seed's own run. Every seed of a side
    goes to TensorBoard under <logdir>/<scenario>/<time>-verify-<finding>/<side>-seed<s>
    (epoch_* scalars in train/ and validation/, as a run's), before beside after."""

    def __init__(self, name: str, variant: str = "as-posted", epochs: int | None = None,
                 logdir: str = "runs", metric: str = "loss", batched: bool = True,
                 device: str = "auto"):
        from scen import scenario as scenarios

        self.name, self.variant, self.epochs, self.logdir = name, variant, epochs, logdir
        self.metric, self.batched, self.device = metric, batched, device
        self.scenario = scenarios.get(name)
        self.dirs: dict[str, str] = {}  # finding -> its verify directory

    def config(self) -> dict:
        return self.scenario.config_for(self.variant)

    def verify_dir(self, finding: str) -> str:
        if finding not in self.dirs:
            from scen.runner import fresh_dir

            self.dirs[finding] = fresh_dir(self.logdir, self.name, f"verify-{finding}")
        return self.dirs[finding]

    def patched(self, config: dict):
        """The scenario with the variant's changes making `config`."""
        sc = self.scenario
        changed = dataclasses.replace(sc.variant(self.variant), changes={
            k: v for k, v in config.items() if sc.config.get(k, object()) != v})
        return dataclasses.replace(sc, variants=tuple(
            changed if v.name == self.variant else v for v in sc.variants))

    def judge(self, config: dict, run) -> tuple[bool, float]:
        checks = self.scenario.symptom(config, run)
        return (any(c.holds for c in checks),
                float(run.history.get(self.metric, [math.nan])[-1]))

    def run_one(self, config: dict, seed: int, run_dir: str | None = None):
        from scen.runner import RunSpec, new_run_dir, resolve_device, run_here

        spec = RunSpec(self.name, self.variant, backend="torch", device=self.device,
                       epochs=self.epochs, seed=seed, logdir=self.logdir, verbose=0)
        spec.device = resolve_device(spec)
        if run_dir is None:
            run_dir = new_run_dir(spec)
        else:
            os.makedirs(run_dir, exist_ok=True)
        return run_here(spec, self.patched(config), run_dir)

    def __call__(self, config: dict, seed: int) -> tuple[bool, float]:
        result = self.run_one(config, seed)
        return any(c.holds for c in result.checks), \
            float(result.history.get(self.metric, [math.nan])[-1])

    def batch(self, config: dict, seeds: list[int], finding: str = "", side: str = "") -> Batch:
        where = self.verify_dir(finding) if finding else None
        reason = "asked for" if not self.batched else None
        if reason is None:
            try:
                return self._batched(config, seeds, where, side)
            except _Refused as e:
                reason = str(e)
        results = []
        for s in seeds:
            run_dir = os.path.join(where, f"{side}-seed{s}") if where else None
            result = self.run_one(config, s, run_dir)
            results.append((any(c.holds for c in result.checks),
                            float(result.history.get(self.metric, [math.nan])[-1])))
        n = len(seeds)
        return Batch(results, f"{n} run{'s' * (n != 1)}, one per seed: {reason}",
                     f"final {self.metric}")

    def _batched(self, config: dict, seeds: list[int], where: str | None, side: str) -> Batch:
        """The seeds as one batched model; _Refused (why) where the engine does not take it."""
        from scen.runner import RunSpec, resolve_device
        from scen.scenario import ScenError
        from scen.sweep import seeds as seeding
        from scen.sweep.engine import SeedTrainer

        device = resolve_device(RunSpec(self.name, self.variant, backend="torch",
                                        device=self.device))
        runs = []
        for lo in range(0, len(seeds), SEED_BLOCK):  # a block at a time bounds the memory
            block = seeds[lo:lo + SEED_BLOCK]
            try:
                keras = seeding.keras_on_torch()
                with seeding.global_generators_kept():
                    trainer = SeedTrainer(keras, self.patched(config), self.variant, block,
                                          epochs=self.epochs, device=device, validate=True)
                    trainer.fit()
            except ScenError as e:
                raise _Refused(str(e)) from None
            except RuntimeError as e:  # a run would raise too: each seed's own run says how
                raise _Refused(f"the batched model raised {type(e).__name__}") from None
            changes = trainer.weight_change()
            runs += [SeedRun(trainer.seed_history(i), float(changes[i]))
                     for i in range(len(block))]
            del trainer
        results = []
        for s, run in zip(seeds, runs):
            try:
                results.append(self.judge(config, run))
            except (AttributeError, KeyError) as e:  # the checks read what a seed lacks
                raise _Refused(f"the symptom checks need {e} of a whole run") from None
            if where:
                write_seed_scalars(os.path.join(where, f"{side}-seed{s}"), run.history)
        n = len(seeds)
        blocks = f", {SEED_BLOCK} at a time" if n > SEED_BLOCK else ""
        return Batch(results, f"batched over {n} seed{'s' * (n != 1)}{blocks}",
                     f"final {self.metric}")


class _Refused(Exception):
    pass


def write_seed_scalars(run_dir: str, history: dict[str, list[float]]) -> None:
    """A seed's per-epoch history as a run's TensorBoard scalars: epoch_* in train/ and
    validation/ (val_*), so that it lines up with single runs and the other side's seeds."""
    from scen.tensorboard import scalars_summary, summary_writer_class

    writer_class = summary_writer_class()
    train = {k: v for k, v in history.items() if not k.startswith("val_")}
    validation = {k[4:]: v for k, v in history.items() if k.startswith("val_")}
    for sub, values in (("train", train), ("validation", validation)):
        if not values:
            continue
        with writer_class(os.path.join(run_dir, sub)) as writer:
            for epoch in range(max(len(v) for v in values.values())):
                row = {f"epoch_{k}": v[epoch] for k, v in values.items()
                       if epoch < len(v) and math.isfinite(v[epoch])}
                if row:
                    writer.file_writer.add_summary(scalars_summary(row), epoch)


def scenario_trial(name: str, variant: str = "as-posted", epochs: int | None = None,
                   logdir: str = "runs", metric: str = "loss",
                   batched: bool = True) -> tuple[ScenarioTrial, dict]:
    """A ScenarioTrial over the scenario's variant, and the variant's config."""
    trial = ScenarioTrial(name, variant, epochs, logdir, metric, batched)
    return trial, trial.config()
