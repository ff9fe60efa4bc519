"""What a sweep is asked for: the scenario variant, its seeds and learning rates, where it runs.

Every bad input becomes one ScenError with a one-line message, before anything heavy happens
(SweepSpec.check). "Seed s" means exactly what `scen run <scenario> --seed s` means.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Sequence

from scen import scenario as scenarios
from scen.runner import MAX_EPOCHS, check_count, check_device, check_writable, is_cuda
from scen.scenario import ScenError

BACKENDS = ("torch", "keras-torch", "keras-tensorflow", "keras-jax")
EXECUTORS = ("local", "ray")
DEVICES = ("auto", "cpu", "cuda")
MAX_SEED = 2**32 - 1  # numpy's default_rng and Python's random take larger ones; Keras-TF not
RAY_HINT = 'pip install "ray>=2.9"  (or: pip install ".[ray]")'


def parse_learning_rates(text: str | Sequence[float]) -> list[float]:
    """"0.001,0.01,0.1" -> [0.001, 0.01, 0.1]; ScenError (one line) on anything else."""
    if isinstance(text, str):
        items = [t.strip() for t in text.split(",")]
        if not text.strip():
            raise ScenError("--lr: no learning rates given; write them like 0.001,0.01,0.1")
        values = []
        for item in items:
            if not item:
                raise ScenError(f"--lr {text!r}: an empty item; write them like 0.001,0.01,0.1")
            try:
                values.append(float(item))
            except ValueError:
                raise ScenError(f"--lr {text!r}: {item!r} is not a number") from None
    else:
        try:
            values = [float(v) for v in text]
        except (TypeError, ValueError):
            raise ScenError(f"learning rates must be numbers, not {text!r}") from None
        if not values:
            raise ScenError("no learning rates given; pass at least one, like [0.01]")
    for v in values:
        if not math.isfinite(v) or v <= 0:
            raise ScenError(f"a learning rate must be a positive number, not {v:g}")
    if len(set(values)) != len(values):
        raise ScenError(f"learning rates repeat: {', '.join(f'{v:g}' for v in values)}")
    return values


def parse_seeds(text: str | int | Sequence[int]) -> Sequence[int]:
    """The seeds of a sweep: "256" -> seeds 0..255 (a count), "0-9" -> 0..9 (inclusive),
    "1,2,5" or "0-3,7" -> those seeds; an int is a count, a list or range the seeds themselves.
    Malformed input raises ScenError with a one-line message."""
    if isinstance(text, bool):
        raise ScenError(f"seeds must be a count or a list of seeds, not {text!r}")
    if isinstance(text, int):
        if text <= 0:
            raise ScenError(f"--seeds: the number of seeds must be positive, not {text}")
        return range(text)
    if isinstance(text, range):
        if len(text) == 0 or min(text[0], text[-1]) < 0 or max(text[0], text[-1]) > MAX_SEED:
            raise ScenError(f"seeds {text!r}: empty, or seeds outside 0..{MAX_SEED}")
        return text
    if isinstance(text, str):
        s = text.strip()
        if not s:
            raise ScenError("--seeds: nothing given; write a count (256), a range (0-9) or a "
                            "list (1,2,5)")
        if s.isascii() and s.isdigit():
            return parse_seeds(_seed_int(s, text))
        items = [t.strip() for t in s.split(",")]
        seeds: list[int] = []
        for item in items:
            if not item:
                raise ScenError(f"--seeds {text!r}: an empty item; write a count (256), a range "
                                "(0-9) or a list (1,2,5)")
            lo, dash, hi = item.partition("-")
            if dash:
                a, b = _seed_int(lo, text), _seed_int(hi, text)
                if b < a:
                    raise ScenError(f"--seeds {text!r}: the range {item} runs backwards")
                if len(items) == 1:
                    return range(a, b + 1)
                seeds.extend(range(a, b + 1))
            else:
                seeds.append(_seed_int(item, text))
        return _checked_seed_list(seeds, repr(text))
    try:
        seeds = [int(v) for v in text]
    except (TypeError, ValueError):
        raise ScenError(f"seeds must be whole numbers, not {text!r}") from None
    return _checked_seed_list(seeds, repr(list(seeds)))


def _seed_int(item: str, text: str) -> int:
    item = item.strip()
    if not (item.isascii() and item.isdigit()):  # "²" and "١٢" are digits to str.isdigit
        raise ScenError(f"--seeds {text!r}: {item!r} is not a non-negative whole number; write a "
                        "count (256), a range (0-9) or a list (1,2,5)")
    value = int(item)
    if value > MAX_SEED:
        raise ScenError(f"--seeds {text!r}: {value} is larger than the largest seed, {MAX_SEED}")
    return value


def _checked_seed_list(seeds: list[int], text: str) -> list[int]:
    if not seeds:
        raise ScenError(f"seeds {text}: no seeds given")
    bad = [s for s in seeds if s < 0 or s > MAX_SEED]
    if bad:
        raise ScenError(f"seeds {text}: {bad[0]} is outside 0..{MAX_SEED}")
    if len(set(seeds)) != len(seeds):
        raise ScenError(f"seeds {text}: a seed repeats")
    return seeds


@dataclass
class SweepSpec:
    scenario: str
    variant: str = scenarios.AS_POSTED
    seeds: int | str | Sequence[int] = 256  # a count, "0-9", "1,2,5" or a list
    learning_rates: str | Sequence[float] = (0.001, 0.01, 0.1)
    backend: str = "torch"  # torch: vectorised native loop; keras-*: one process per seed
    device: str = "cpu"  # auto, cpu or cuda (the torch backend)
    epochs: int | None = None  # None: as posted
    executor: str = "local"  # local or ray
    ray_address: str | None = None  # None: a local Ray cluster
    logdir: str = "runs"
    threshold: float = 0.95  # accuracy that counts as success
    stuck_margin: float = 0.05  # stuck: accuracy <= chance + margin ...
    stuck_epochs: int = 10  # ... for at least this many epochs from the start
    seed_block: int | None = None  # seeds per batched model / Ray task; None: all at once
    workers: int | None = None  # Keras backends' process pool; None: os.cpu_count()
    gpus_per_task: float = 1.0  # Ray, device cuda

    # What a seed is judged on, in the words the table, plot and HParams use (a script's
    # sweep, scen.script_sweep.ScriptSweepSpec, judges a metric of its own choosing).
    metric = "accuracy"
    lower_is_better = False

    @property
    def name(self) -> str:
        return f"{self.scenario} {self.variant}"

    @property
    def goal(self) -> str:
        return f"{self.metric} {'<=' if self.lower_is_better else '>='} {self.threshold:g}"

    def legend(self) -> str:
        """What `reached` and `stuck` mean, one line under the table."""
        return (f"reached: training accuracy >= {self.threshold:g} within the epochs run; "
                f"stuck: at chance (within {self.stuck_margin:g}) for {self.stuck_epochs}+ "
                "epochs from the start (a seed can be both: stuck, then reached)")

    def seed_list(self) -> Sequence[int]:
        return parse_seeds(self.seeds)

    def lr_list(self) -> list[float]:
        return parse_learning_rates(self.learning_rates)

    def check(self) -> scenarios.Scenario:
        """Every bad input becomes one ScenError before anything heavy happens."""
        scenario = scenarios.get(self.scenario)
        scenario.variant(self.variant)
        _one_of("backend", self.backend, BACKENDS)
        _one_of("executor", self.executor, EXECUTORS)
        check_device(self.device)
        if "learning_rate" not in scenario.config:
            raise ScenError(f"{scenario.name} has no learning_rate setting to sweep")
        self.seed_list()
        self.lr_list()
        if isinstance(self.epochs, bool):
            raise ScenError(f"--epochs must be a number of epochs, not {self.epochs}")
        check_count("--epochs", self.epochs, MAX_EPOCHS)
        check_writable(self.logdir, "--logdir")
        if self.seed_block is not None and self.seed_block <= 0:
            raise ScenError(f"--seed-block must be positive, not {self.seed_block}")
        if self.workers is not None and self.workers <= 0:
            raise ScenError(f"--workers must be positive, not {self.workers}")
        if not 0 < self.threshold <= 1:
            raise ScenError(f"the success threshold must lie in (0, 1], not {self.threshold}")
        if self.stuck_epochs <= 0:
            raise ScenError(f"stuck_epochs must be positive, not {self.stuck_epochs}")
        if self.backend != "torch" and is_cuda(self.device):
            raise ScenError(f"--device cuda is supported by the torch backend, not {self.backend}")
        if self.executor == "ray":
            import importlib.util

            if importlib.util.find_spec("ray") is None:
                raise ScenError(f"--executor ray: Ray is not installed; {RAY_HINT}")
        return scenario

    def as_dict(self) -> dict:
        d = dataclasses.asdict(self)
        seeds = self.seed_list()
        d["seeds"] = (f"{seeds.start}-{seeds.stop - 1}"
                      if isinstance(seeds, range) and seeds.step == 1 else list(seeds))
        d["learning_rates"] = self.lr_list()
        return d


def _one_of(what: str, value, choices) -> None:
    if value not in choices:
        raise ScenError(f"unknown {what} {value!r}; choose from {', '.join(choices)}")



def with_learning_rate(scenario: scenarios.Scenario, variant: str, lr: float):
    """The scenario with `variant`'s config using learning rate `lr` (a configuration)."""
    if "learning_rate" not in scenario.config:
        raise ScenError(f"{scenario.name} has no learning_rate setting to sweep")
    variants = tuple(
        dataclasses.replace(v, changes={**v.changes, "learning_rate": lr}) if v.name == variant
        else v for v in scenario.variants)
    return dataclasses.replace(scenario, variants=variants)
