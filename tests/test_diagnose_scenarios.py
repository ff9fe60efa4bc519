"""The diagnosis on the scenarios: each as-posted run is diagnosed with the root cause that
../shared/SCENARIOS.md establishes, and every fixed variant gets no error-level finding.

Runs use the native port (it trains step for step as Keras-on-torch does: tests/test_parity.py),
for speed; the detectors see only what any run shows them.
"""

import pytest

from scen.runner import RunSpec, run
from scen.scenario import all_scenarios

# scenario -> (run length, the finding that names its root cause)
AS_POSTED = {
    "toy-blobs": (dict(epochs=60), "slow_start"),  # stuck at chance, gradients tiny but alive
    "rating": (dict(), "softmax_single_unit"),  # constant output, every gradient exactly 0
    "mnist-sigmoid": (dict(epochs=1, steps_per_epoch=300), "unscaled_inputs"),
    "plateau": (dict(epochs=120), "plateau"),
}
SHORT = {"toy-blobs": dict(epochs=30), "rating": dict(),
         "mnist-sigmoid": dict(epochs=1, steps_per_epoch=300), "plateau": dict(epochs=10)}
FIXED = [(s.name, v.name) for s in all_scenarios().values() for v in s.variants if v.fixes]


def findings(name, variant, logdir, **length):
    r = run(RunSpec(name, variant, backend="torch", logdir=logdir, verbose=0, **length))
    return {f["name"]: f for f in r.findings}  # in the report's order


@pytest.mark.parametrize("name", sorted(AS_POSTED))
def test_as_posted_is_diagnosed_with_its_root_cause(name, logdir):
    length, cause = AS_POSTED[name]
    found = findings(name, "as-posted", logdir, **length)
    assert cause in found, sorted(found)
    assert found[cause]["evidence"] and found[cause]["fix"]
    # right first: the report leads with the root cause, and no other finding of its severity
    # or higher offers a fix of its own unless it is a cause too (not worded as a consequence)
    assert list(found)[0] == cause, list(found)
    for f in list(found.values())[1:]:
        if f["severity"] == "error" and f.get("cause"):
            assert f["fix"].startswith("None of its own"), f


def test_labels_1_2_are_named_before_the_backend_raises(logdir):
    found = findings("toy-blobs", "labels-1-2", logdir, epochs=2)
    assert found["labels_out_of_range"]["severity"] == "error"


def test_rating_gradients_are_exactly_zero(logdir):
    found = findings("rating", "as-posted", logdir)
    assert found["no_gradient"]["severity"] == "error"


@pytest.mark.parametrize("name, variant", FIXED)
def test_fixed_variants_get_no_error(name, variant, logdir):
    found = findings(name, variant, logdir, **SHORT[name])
    errors = [f"{n}: {f['summary']}" for n, f in found.items() if f["severity"] == "error"]
    assert not errors
