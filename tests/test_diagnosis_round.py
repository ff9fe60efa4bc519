"""Rounds of programs written apart from the detectors (tests/diagnosis_rounds/): the kinds
added for each, and healthy programs, as a regression set (slow: each program is
a whole `scen diagnose` process). benchmarks/diagnosis_round.py runs the whole round on torch
and JAX and gives the README's figures."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROUNDS = Path(__file__).with_name("diagnosis_rounds")
# Per round, kinds it taught the diagnosis (or ones it had missed), and healthy controls.
PICKED = {
    "2026-12-06": ["f08_gru_sgd_tiny_lr.py", "f10_reviews_label_string_typo.py",
                   "f11_lstm_reviews_post_padding.py", "f13_deep_sigmoid_sgd.py",
                   "f17_oversample_before_split.py", "h02_small_tabular_dropout.py",
                   "h09_lstm_forecast.py"],
    "2026-12-08": ["fb01_loan_default_missing_sentinel.py",
                   "fb09_listing_two_outputs_swapped_targets.py",
                   "fb10_article_tags_label_smoothing.py", "hb07_fraud_subclass_sample_weight.py"],
    "2026-12-09": ["fc07_mnist_pydataset.py", "fc09_house_price_nonneg.py",
                   "fd06_two_tower_ctr.py", "fd08_load_forecast_msle.py",
                   "fd10_landcover_subclassed.py", "hc06_listing_multi_io.py",
                   "hd06_shop_multitask.py"],
    "2026-12-10": ["fe01_custom_dense_regression.py", "fe03_price_regressor_dropout.py",
                   "fe09_sensor_towers_lambda.py", "fe11_generator_last_batch.py",
                   "fe13_multi_horizon_heads.py", "fe19_claims_exposure_weights.py",
                   "he07_topic_transformer_cls.py", "he12_sessions_multi_input_weights.py"],
}
ROUND = ROUNDS / "2026-12-06"  # the torch-and-JAX kinds test's round
SCEN = str(Path(sys.executable).with_name("scen"))
MNIST = Path(os.environ.get("SCEN_MNIST") or
             Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist.npz")


def manifest(round_name: str) -> dict:
    path = ROUNDS / round_name / "manifest.json"
    return {e["file"]: e for e in json.loads(path.read_text())}


@pytest.mark.slow
@pytest.mark.parametrize("round_name, program", [(r, p) for r, ps in PICKED.items() for p in ps])
def test_the_report_leads_with_the_root_cause_and_spares_healthy_programs(round_name, program,
                                                                          tmp_path):
    folder = ROUNDS / round_name
    entry = manifest(round_name)[program]
    if "MNIST" in (folder / program).read_text() and not MNIST.is_file():
        pytest.skip("no local MNIST (../shared/data/mnist.npz or $SCEN_MNIST)")
    r = subprocess.run([SCEN, "diagnose", str(folder / program), "--json", "--logdir",
                        str(tmp_path)], capture_output=True, text=True, timeout=600,
                       cwd=folder)
    assert r.returncode == 0, r.stderr[-2000:]
    shown = [f for fit in json.loads(r.stdout) for f in fit["findings"]
             if f["severity"] != "info"]
    if entry["healthy"]:
        assert not [f for f in shown if f["severity"] == "error"], shown
    else:
        assert shown and shown[0]["name"] in entry["expected"], (entry["root_cause"], shown)


def _kinds(program: str, backend: str, logdir) -> set[str]:
    r = subprocess.run([SCEN, "diagnose", str(ROUND / program), "--json", "--backend", backend,
                        "--logdir", str(logdir)], capture_output=True, text=True, timeout=600,
                       cwd=ROUND)
    assert r.returncode == 0, r.stderr[-2000:]
    return {f["name"] for fit in json.loads(r.stdout) for f in fit["findings"]
            if f["severity"] != "info"}


# Not h02: its torch and JAX runs start from other initial weights (each backend's own random
# numbers for seed 0), and its torch run overfits from epoch 8 (val_loss +18% by epoch 40)
# while the JAX run's val_loss falls until epoch 34: two runs that really differ.
@pytest.mark.slow
@pytest.mark.parametrize("program", ["f10_reviews_label_string_typo.py", "f13_deep_sigmoid_sgd.py",
                                     "h09_lstm_forecast.py"])  # three kinds, kept short for CI
def test_torch_and_jax_report_the_same_kinds(program, tmp_path):
    pytest.importorskip("jax")
    assert _kinds(program, "auto", tmp_path) == _kinds(program, "keras-jax", tmp_path)
