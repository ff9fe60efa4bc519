"""Backend regression tests: every scenario, variant and backend against its golden file.

A failure names the scenario, the variant, the backend, the epoch and the metric. When a
change is meant to change behaviour, re-record with `scen golden --update` and review the diff.
"""

import importlib.util
from pathlib import Path

import pytest

from scen import golden
from scen.runner import BACKENDS

GOLDEN_DIR = Path(__file__).parent / "golden"
CASES = golden.cases()


def installed(backend):
    return importlib.util.find_spec(BACKENDS[backend]) is not None


@pytest.fixture(scope="session")
def fresh_runs(tmp_path_factory):
    """All cases of a backend, run once per session (Keras backends in a process each)."""
    cache = {}

    def get(backend):
        if backend not in cache:
            logdir = str(tmp_path_factory.mktemp(f"golden-{backend}"))
            cache[backend] = golden.record_backend(backend, CASES, logdir)
        return cache[backend]

    return get


@pytest.mark.parametrize("backend", golden.BACKENDS)
@pytest.mark.parametrize("scenario, variant", CASES)
def test_behaviour_matches_golden(scenario, variant, backend, fresh_runs):
    if not installed(backend):
        pytest.skip(f"{backend} is not installed")
    pinned = golden.load(GOLDEN_DIR, scenario, variant, backend)
    assert pinned is not None, f"no golden file: run `scen golden --update` ({scenario}/{variant}/{backend})"
    problems = golden.differences(pinned, fresh_runs(backend)[f"{scenario}/{variant}"],
                                  golden.TOLERANCE[backend])
    assert not problems, "\n".join(problems)


def test_a_changed_hyperparameter_fails_the_right_case(monkeypatch, tmp_path):
    """What the golden tests exist for: change one hyper-parameter, and the failure names the
    scenario, the variant, the backend, the epoch and the metric."""
    from scen import scenario

    toy = scenario.get("toy-blobs")
    monkeypatch.setitem(toy.config, "learning_rate", 0.002)  # Adam's default is 0.001
    changed = golden.record("torch", [("toy-blobs", "as-posted")], logdir=str(tmp_path))
    pinned = golden.load(GOLDEN_DIR, "toy-blobs", "as-posted", "torch")
    problems = golden.differences(pinned, changed["toy-blobs/as-posted"], golden.TOLERANCE["torch"])
    assert any(p.startswith("toy-blobs [as-posted] on torch: epoch 1 loss = ") for p in problems)
    assert any("epoch 1 learning_rate = 0.002" in p for p in problems), problems
