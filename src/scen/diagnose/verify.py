"""Prove a fix: apply a finding's mechanical fix, rerun over N seeds, and compare the failure
rate before and after (Wilson intervals); "verified" only where the improvement is significant.

    result = verify(trial, config, "slow_start", seeds=range(16))
    print(result.text())

`trial(config, seed) -> (failed, metric)` runs one training (a scenario, or a user's program)
and says whether it shows the failure. `MECHANICAL_FIXES` says, per finding, how its fix
changes a config; findings not listed have no mechanical fix, and `verify` says so.
`scenario_trial(name, variant)` makes a trial of a scen scenario (its symptom checks decide).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Callable, Iterable

Z95 = 1.959964  # two-sided 95%: the intervals and the significance test below use it.


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
}


def wilson(failures: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion failures/n."""
    if n == 0:
        return 0.0, 1.0
    p = failures / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def significantly_lower(after: int, before: int, n: int, z: float = Z95) -> bool:
    """One-sided two-proportion z-test (pooled) at the level of z: after/n < before/n."""
    if before <= after:
        return False
    pooled = (before + after) / (2 * n)
    se = math.sqrt(2 * pooled * (1 - pooled) / n)
    return se == 0 or (before - after) / n / se > z


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

    @property
    def verified(self) -> bool:
        n = len(self.seeds)
        return bool(n) and significantly_lower(sum(self.failed_after), sum(self.failed_before), n)

    def rates(self) -> dict:
        n = len(self.seeds)
        b, a = sum(self.failed_before), sum(self.failed_after)
        return dict(n=n, before=b / n if n else None, after=a / n if n else None,
                    before_ci=wilson(b, n), after_ci=wilson(a, n))

    def text(self) -> str:
        if not self.fix:
            return f"{self.finding}: no mechanical fix to verify ({self.note})"
        r = self.rates()
        mean = lambda v: sum(v) / len(v) if v else float("nan")  # noqa: E731
        verdict = "verified" if self.verified else "not verified (no significant improvement)"
        return (f"{self.finding}: {self.fix}: failed {sum(self.failed_before)}/{r['n']} seeds "
                f"before (95% CI {r['before_ci'][0]:.2f}-{r['before_ci'][1]:.2f}), "
                f"{sum(self.failed_after)}/{r['n']} after ({r['after_ci'][0]:.2f}-"
                f"{r['after_ci'][1]:.2f}); metric {mean(self.metric_before):.4g} -> "
                f"{mean(self.metric_after):.4g}: {verdict}")


Trial = Callable[[dict, int], tuple[bool, float]]


def verify(trial: Trial, config: dict, finding: str, seeds: Iterable[int] = range(16),
           settings: dict[str, dict] | None = None) -> Verification:
    """Run `trial` on `config` and on its fixed copy for every seed.

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
    v = Verification(finding, fix[0], seeds)
    for seed in seeds:
        failed, metric = trial(config, seed)
        v.failed_before.append(bool(failed))
        v.metric_before.append(float(metric))
        failed, metric = trial(fixed, seed)
        v.failed_after.append(bool(failed))
        v.metric_after.append(float(metric))
    return v


def scenario_fix_settings(name: str) -> dict[str, dict]:
    """Fix name -> config changes, from the scenario's variants that apply a mechanical fix."""
    from scen import scenario as scenarios

    return {v.applies: dict(v.changes) for v in scenarios.get(name).variants if v.applies}


def scenario_trial(name: str, variant: str = "as-posted", epochs: int | None = None,
                   logdir: str = "runs", metric: str = "loss") -> tuple[Trial, dict]:
    """A trial over a scen scenario (native torch backend): the config is the variant's, the
    failure is any of the scenario's symptom checks holding, the metric the last `metric`."""
    from scen import scenario as scenarios
    from scen.runner import RunSpec, new_run_dir, resolve_device, run_here

    sc = scenarios.get(name)

    def trial(config: dict, seed: int) -> tuple[bool, float]:
        changed = dataclasses.replace(sc.variant(variant), changes={
            k: v for k, v in config.items() if sc.config.get(k, object()) != v})
        patched = dataclasses.replace(sc, variants=tuple(
            changed if v.name == variant else v for v in sc.variants))
        spec = RunSpec(name, variant, backend="torch", epochs=epochs, seed=seed, logdir=logdir,
                       verbose=0)
        spec.device = resolve_device(spec)
        result = run_here(spec, patched, new_run_dir(spec))
        failed = any(c.holds for c in result.checks)
        return failed, float(result.history.get(metric, [math.nan])[-1])

    return trial, sc.config_for(variant)
