"""`scen diagnose train.py --verify`: prove a script's fixes without editing the script.

For each root-cause finding of a fit whose fix is mechanical (scen.diagnose.verify's
MECHANICAL_FIXES), the script runs once per seed as it is and once per seed with the fix applied
to that fit through the Model.fit interception (scen.script_fix), each in a worker process of
its own (a few at a time, as `scen sweep train.py` runs them) or, with workers=0, one after
another in this process. A seed fails where that fit shows the symptom (scen.diagnose.verify.
symptom: its accuracy at chance, or its loss not falling; for a finding read from the curves,
the finding again); the metric is the fit's final accuracy, else its final loss. Every
seed's runs go under <logdir>/<script>/<time>-verify-<finding>/<side>-seed<s>/, before beside after in TensorBoard.
"""

from __future__ import annotations

import concurrent.futures as cf
import math
import os
from dataclasses import replace

from scen.diagnose.verify import (CURVE_FINDINGS, MECHANICAL_FIXES, Batch, FixRefused,
                                  Verification, symptom, verify)
from scen.runner import fresh_dir
from scen.scenario import ScenError
from scen.script import ScriptResult, ScriptSpec
from scen.script_fix import REFUSED

# Every mechanical fix is applied to a script the same way: named in its spec.
SETTINGS = {fix: {"fix": fix} for fix, _ in MECHANICAL_FIXES.values()}


class ScriptTrial:
    """A trial over a user's script: config {"fix": fix name or "", "fit": the fit judged}."""

    def __init__(self, spec: ScriptSpec, workers: int | None = None):
        self.spec = replace(spec, verbose=0, fix="", fix_fit=0)
        self.workers = workers  # None: one per CPU; 0: in this process, one after another
        self.dirs: dict[str, str] = {}

    def verify_dir(self, finding: str) -> str:
        if finding not in self.dirs:
            self.dirs[finding] = fresh_dir(self.spec.logdir, self.spec.name, f"verify-{finding}")
        return self.dirs[finding]

    def __call__(self, config: dict, seed: int) -> tuple[bool, float]:
        return self.batch(config, [seed]).results[0]

    def batch(self, config: dict, seeds: list[int], finding: str = "", side: str = "") -> Batch:
        where = self.verify_dir(finding or "trial")
        fit = config["fit"]
        specs = {s: replace(self.spec, seed=s, fix=config.get("fix", ""), fix_fit=fit,
                            logdir=os.path.join(where, f"{side or 'run'}-seed{s}"))
                 for s in seeds}
        outcomes = self._run(specs, where, side or "run")
        results, failed_scripts, metric = [], 0, "final training loss"
        for s in seeds:
            result, error = outcomes[s]
            if error is not None and error.startswith(REFUSED):
                raise FixRefused(error[len(REFUSED):])
            run = result.runs[fit - 1] if result is not None and len(result.runs) >= fit else None
            if run is None:  # the script failed before this fit: a failure of the seed
                failed_scripts += 1
                results.append((True, math.nan))
                continue
            failed, value, metric = symptom(run)
            if finding in CURVE_FINDINGS:
                failed = finding in {f["name"] for f in run.findings}
            results.append((failed, value))
        n = len(seeds)
        where_ran = ("in this process" if self.workers == 0 else
                     f"{min(self.workers or os.cpu_count() or 1, n)} worker processes at a time")
        how = f"{n} run{'s' * (n != 1)}, one per seed: a script runs whole, {where_ran}"
        if failed_scripts:
            how += f"; {failed_scripts} seed(s) never reached fit {fit} (counted as failed)"
        return Batch(results, how, metric)

    def _run(self, specs: dict[int, ScriptSpec], where: str, side: str) -> dict:
        if self.workers == 0:
            from scen.script import run_script

            done = {}
            for s, spec in specs.items():
                try:
                    done[s] = (run_script(spec), None)
                except ScenError as e:
                    done[s] = (None, str(e))
            return done
        from scen.script_sweep import run_worker, stop_workers

        live: set = set()
        pool = cf.ThreadPoolExecutor(max_workers=self.workers or os.cpu_count() or 1)
        try:
            futures = {s: pool.submit(run_worker, spec, where, f"{side}-seed{s}", live)
                       for s, spec in specs.items()}
            return {s: f.result() for s, f in futures.items()}
        finally:
            pool.shutdown(wait=False, cancel_futures=True)
            stop_workers(live)


def root_causes(result: ScriptResult) -> list[tuple[int, dict]]:
    """(fit number, finding) for each root-cause finding (not info, not a consequence)."""
    return [(i, f) for i, r in enumerate(result.runs, start=1) for f in r.findings
            if f["severity"] != "info" and not f.get("cause")]


def verify_script(trial: ScriptTrial, fit: int, finding: str, seeds) -> Verification:
    """verify() over the script's fit `fit` for `finding`."""
    return verify(trial, {"fix": "", "fit": fit}, finding, seeds, SETTINGS)
