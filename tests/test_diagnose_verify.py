"""scen.diagnose.verify: Wilson intervals, the significance test, and a fix proved (or not)
over seeds: on a fake trial, on toy-blobs' learning rate (cures) and plateau's
ReduceLROnPlateau (does not)."""

import pytest

from scen.diagnose.verify import MECHANICAL_FIXES, scenario_trial, verify, wilson


def test_wilson_interval():
    lo, hi = wilson(0, 16)
    assert lo == 0.0 and 0.19 < hi < 0.21
    lo, hi = wilson(16, 16)
    assert 0.79 < lo < 0.81 and hi == 1.0
    lo, hi = wilson(8, 16)
    assert lo < 0.5 < hi


def test_verify_on_a_fake_trial():
    def trial(config, seed):  # fails unless the learning rate is at least 0.01
        return config["learning_rate"] < 0.01, config["learning_rate"]

    v = verify(trial, dict(learning_rate=1e-4), "learning_rate_too_low", seeds=range(16))
    assert v.verified and "verified" in v.text() and "16/16" in v.text()
    same = verify(lambda c, s: (s % 2 == 0, 0.0), dict(learning_rate=1e-4), "slow_start",
                  seeds=range(16))
    assert not same.verified and "not verified" in same.text()
    none = verify(trial, dict(learning_rate=1e-4), "overfitting")
    assert not none.verified and "no mechanical fix" in none.text()
    missing = verify(trial, dict(units=4), "plateau")  # no reduce_lr setting to change
    assert "no setting" in missing.text()
    assert "majority_class_predictor" in MECHANICAL_FIXES


@pytest.mark.slow
def test_toy_blobs_learning_rate_fix_is_verified(tmp_path):
    trial, config = scenario_trial("toy-blobs", "rmsprop", epochs=30, logdir=str(tmp_path))
    v = verify(trial, config, "slow_start", seeds=range(4))
    assert v.verified, v.text()


@pytest.mark.slow
def test_plateau_reduce_lr_is_not_verified(tmp_path):
    trial, config = scenario_trial("plateau", "as-posted", epochs=30, logdir=str(tmp_path))
    v = verify(trial, config, "plateau", seeds=range(3))
    assert not v.verified, v.text()


def test_a_scenario_variant_that_applies_a_fix_is_how_verify_applies_it():
    from scen.diagnose.verify import scenario_fix_settings, verify

    settings = scenario_fix_settings("mnist-sigmoid")
    assert settings["inputs scaled"] == {"pixel_scale": 1 / 255}
    seen = []

    def trial(config, seed):
        seen.append(config["pixel_scale"])
        return config["pixel_scale"] == 1.0, 0.0  # fails unless the pixels are scaled

    v = verify(trial, {"pixel_scale": 1.0, "learning_rate": 0.01}, "unscaled_inputs",
               range(8), settings)
    assert set(seen) == {1.0, 1 / 255} and v.verified
    assert "inputs scaled" in v.text() and v.text().endswith("verified")
    # without the scenario's own setting, the generic change needs a key this config lacks
    assert "no setting" in verify(trial, {"pixel_scale": 1.0}, "unscaled_inputs", range(2)).text()
