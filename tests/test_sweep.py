"""Sweeps: many seeds x several learning rates, vectorised on the native backend.

The batched sweep must put every seed on the trajectory of its own single run, summarise the
seeds as documented, refuse bad input and oversized sweeps in one line, write its outputs
(JSON, CSV, PNG, TensorBoard HParams), keep finished configurations when interrupted, and give
the same numbers on Ray as locally.
"""

import csv
import json
import os
from pathlib import Path

import numpy as np
import pytest
from scen_test_util import accumulator, scalars

from scen.runner import RunSpec, run
from scen.scenario import ScenError
from scen.sweep import (SweepSpec, censored_percentile, chance_level, parse_learning_rates,
                        parse_seeds, run_sweep, summarize, with_learning_rate)


# ---------------------------------------------------------------------------- parsing
def test_parse_learning_rates():
    assert parse_learning_rates("0.001,0.01,0.1") == [0.001, 0.01, 0.1]
    assert parse_learning_rates(" 1e-3 , 0.5 ") == [0.001, 0.5]
    assert parse_learning_rates([0.1]) == [0.1]


@pytest.mark.parametrize("text", ["", " ", "0.1,,0.2", "0.1,", "abc", "0.1;0.2", "0", "-0.1",
                                  "nan", "inf", "0.1,0.1"])
def test_malformed_learning_rates_are_one_line_errors(text):
    with pytest.raises(ScenError) as e:
        parse_learning_rates(text)
    assert "\n" not in str(e.value) and str(e.value)


def test_parse_seeds():
    assert parse_seeds("256") == range(256)
    assert parse_seeds(3) == range(3)
    assert parse_seeds("0-9") == range(10)
    assert parse_seeds("1,2,5") == [1, 2, 5]
    assert parse_seeds("0-2,7") == [0, 1, 2, 7]
    assert parse_seeds([4, 2]) == [4, 2]
    assert len(parse_seeds("1000000000")) == 10**9  # a range, not a list


@pytest.mark.parametrize("text", ["", "0", "-3", "a", "1,,2", "5-2", "1-", "-", "1.5", "1,1",
                                  "3-x", "99999999999", [], [1, -1], 0, True])
def test_malformed_seeds_are_one_line_errors(text):
    with pytest.raises(ScenError) as e:
        parse_seeds(text)
    assert "\n" not in str(e.value) and str(e.value)


@pytest.mark.parametrize("change, words", [
    (dict(scenario="toy-blob"), "unknown scenario"),
    (dict(variant="as-postd"), "unknown variant"),
    (dict(backend="keras-mxnet"), "unknown backend"),
    (dict(executor="dask"), "unknown executor"),
    (dict(device="tpu"), "unknown device"),
    (dict(learning_rates=""), "no learning rates"),
    (dict(seeds="0-"), "--seeds"),
    (dict(epochs=0), "--epochs"),
    (dict(backend="keras-torch", device="cuda"), "torch backend"),
])
def test_bad_sweeps_fail_before_anything_runs(logdir, change, words):
    spec = SweepSpec(**{**dict(scenario="toy-blobs", seeds=2, learning_rates=[0.1], epochs=2,
                               logdir=logdir), **change})
    with pytest.raises(ScenError) as e:
        run_sweep(spec)
    assert words in str(e.value) and "\n" not in str(e.value)
    assert not os.path.exists(logdir)


def test_a_scenario_without_a_learning_rate_cannot_be_swept():
    from dataclasses import replace

    from scen import scenario as scenarios

    s = scenarios.get("toy-blobs")
    bare = replace(s, config={k: v for k, v in s.config.items() if k != "learning_rate"})
    with pytest.raises(ScenError, match="no learning_rate"):
        with_learning_rate(bare, "as-posted", 0.1)


# ---------------------------------------------------------------------------- statistics
def test_summary_statistics_on_a_synthetic_history():
    epochs = 20
    ramp = lambda stuck, reach: [0.5] * stuck + [0.8] * (reach - stuck - 1) + [0.96] * (
        epochs - reach + 1)
    acc = np.array([
        ramp(12, 15),  # stuck 12 epochs, reaches 0.95 at epoch 15
        ramp(0, 3),  # never stuck, reaches at epoch 3
        ramp(10, 11),  # stuck exactly 10: counts as stuck
        ramp(9, 10),  # stuck 9: does not
        [0.5] * epochs,  # never leaves chance, never reaches
    ])
    acc[1, 0] = 0.56  # above chance + 0.05 at once
    loss = np.linspace(1, 0.1, epochs)[None].repeat(5, 0)
    records, s = summarize(0.01, [10, 11, 12, 13, 14], acc, loss, [0.5] * 5)
    assert [r["epochs_to_threshold"] for r in records] == [15, 3, 11, 10, None]
    assert [r["stuck_epochs"] for r in records] == [12, 0, 10, 9, 20]
    assert [r["stuck"] for r in records] == [True, False, True, False, True]
    assert s["success_share"] == pytest.approx(0.8) and s["stuck_share"] == pytest.approx(0.6)
    # Percentiles over all five seeds, the one that never reached counting as latest.
    assert s["median_epochs"] == 11
    assert s["p10_epochs"] == pytest.approx(3 + 0.4 * 7)
    assert s["p90_epochs"] is None  # falls between 15 and "never"
    assert records[0]["final_loss"] == pytest.approx(0.1) and records[4]["final_accuracy"] == 0.5
    # A seed that stopped early (NaN after) is summarised on the epochs it ran.
    acc[1, 5:] = np.nan
    records, _ = summarize(0.01, range(5), acc, loss, [0.5] * 5)
    assert records[1]["epochs_run"] == 5 and records[1]["final_accuracy"] == 0.96


def test_censored_percentile_and_chance_level():
    assert censored_percentile([1, 2, 3, None], 50) == 2.5
    assert censored_percentile([1, None, None], 50) is None
    assert censored_percentile([None], 10) is None
    assert censored_percentile([4], 90) == 4
    assert chance_level(np.eye(2)[[0, 0, 0, 1]]) == 0.75  # one-hot
    assert chance_level(np.array([[1.0], [2.0], [2.0]])) == pytest.approx(2 / 3)  # labels 1/2


# ---------------------------------------------------------------------------- the batched loop
@pytest.mark.parametrize("scenario, variant, lr, seeds, epochs", [
    ("toy-blobs", "as-posted", 0.001, [0, 4, 9], 30),  # softmax + categorical CE, Adam
    ("toy-blobs", "rmsprop-lr-0.1", 0.1, [1, 6], 15),  # sigmoid + binary CE, RMSprop
    ("rating", "classifier", 0.01, [0, 2], 3),  # two inputs, a shared layer: autograd path
])
def test_batched_seeds_follow_their_single_runs(logdir, scenario, variant, lr, seeds, epochs):
    """Each seed of the batched sweep is `scen run --seed s --backend torch`, epoch for epoch."""
    block = sorted(set(seeds) | set(range(max(seeds) + 1)))  # the seeds train among others
    sweep = run_sweep(SweepSpec(scenario, variant=variant, seeds=block, learning_rates=[lr],
                                epochs=epochs, logdir=logdir))
    (config,) = sweep.configs
    for s in seeds:
        single = run(RunSpec(scenario, variant=variant, backend="torch", seed=s, epochs=epochs,
                             logdir=logdir, verbose=0))
        i = config.seeds.index(s)
        np.testing.assert_allclose(config.loss[i], single.history["loss"], rtol=0, atol=1e-5)
        assert config.accuracy[i].tolist() == single.history["accuracy"]


def test_labels_outside_0_1_raise_as_in_a_run(logdir):
    r = run_sweep(SweepSpec("toy-blobs", variant="labels-1-2", seeds=3, learning_rates=[0.1],
                            epochs=2, logdir=logdir))
    (c,) = r.configs
    assert c.status == "raised" and "between 0 and 1" in c.error
    assert c.summary["success_share"] == 0 and all(rec["status"] == "raised" for rec in c.records)


def test_a_sweep_too_large_for_memory_is_refused_before_it_starts(logdir):
    with pytest.raises(ScenError) as e:
        run_sweep(SweepSpec("toy-blobs", seeds=10**9, learning_rates=[0.01, 0.1], epochs=500,
                            logdir=logdir))
    message = str(e.value)
    assert "memory" in message and "available" in message and "seeds" in message
    assert "\n" not in message
    assert not os.path.exists(logdir)


# ---------------------------------------------------------------------------- outputs
def _hparams(run_dir):
    from tensorboard.plugins.hparams import plugin_data_pb2

    content = accumulator(run_dir).PluginTagToContent("hparams")
    start = plugin_data_pb2.HParamsPluginData.FromString(
        content["_hparams_/session_start_info"]).session_start_info
    return {k: (v.number_value if v.HasField("number_value") else v.string_value)
            for k, v in start.hparams.items()}


def test_outputs_json_csv_png_and_tensorboard_hparams(logdir):
    seen = []
    r = run_sweep(SweepSpec("toy-blobs", seeds=6, learning_rates="0.01,0.1", epochs=12,
                            logdir=logdir), progress=seen.append)
    assert r.status == "completed" and Path(r.run_dir).parent == Path(logdir) / "toy-blobs"
    assert "-sweep-as-posted-torch" in r.run_dir
    assert [e["event"] for e in seen][:2] == ["start", "epoch"] and seen[-1]["event"] == "end"
    rows = r.summary_table()
    assert [row["learning_rate"] for row in rows] == [0.01, 0.1]
    assert {"seeds", "success_share", "median_epochs", "p10_epochs", "p90_epochs",
            "stuck_share"} <= set(rows[0])
    assert "0.01" in r.format_table()

    doc = json.loads(Path(r.run_dir, "sweep.json").read_text())
    assert doc["status"] == "completed" and doc["epochs"] == 12 and doc["threshold"] == 0.95
    assert [len(c["seed_results"]) for c in doc["configurations"]] == [6, 6]
    first = doc["configurations"][0]["seed_results"][0]
    assert first["seed"] == 0 and first["chance"] == 0.5 and first["epochs_run"] == 12
    with open(Path(r.run_dir, "seeds.csv")) as f:
        table = list(csv.DictReader(f))
    assert len(table) == 12 and {t["learning_rate"] for t in table} == {"0.01", "0.1"}
    with np.load(Path(r.run_dir, "histories.npz")) as h:
        assert h["loss_1"].shape == (6, 12)
        np.testing.assert_allclose(h["loss_1"], r.configs[1].loss, rtol=1e-6)
    png = Path(r.run_dir, "sweep.png")
    assert r.plot == str(png) and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    # TensorBoard: one run per configuration, each a row of the HParams view.
    for c, name in zip(r.configs, ("lr-0.01", "lr-0.1")):
        run_dir = Path(r.run_dir, name)
        hp = _hparams(run_dir)
        assert hp["learning_rate"] == pytest.approx(c.learning_rate)
        assert hp["variant"] == "as-posted" and hp["seeds"] == 6 and hp["backend"] == "torch"
        assert scalars(run_dir, "success_rate") == pytest.approx([c.summary["success_share"]])
        assert scalars(run_dir, "stuck_share") == pytest.approx([c.summary["stuck_share"]])
        assert scalars(run_dir, "epoch_loss_mean") == pytest.approx(c.loss.mean(0).tolist())
    assert "sweep/text_summary" in accumulator(r.run_dir).Tags()["tensors"]


def _hparams_view(logdir: str):
    """The HParams view's columns as TensorBoard's own plugin computes them for --logdir."""
    from tensorboard import context
    from tensorboard.backend.event_processing import data_provider, plugin_event_multiplexer
    from tensorboard.plugins import base_plugin
    from tensorboard.plugins.hparams import backend_context

    runs = plugin_event_multiplexer.EventMultiplexer()
    runs.AddRunsFromDirectory(logdir)
    runs.Reload()
    plugin = backend_context.Context(base_plugin.TBContext(
        logdir=logdir, multiplexer=runs,
        data_provider=data_provider.MultiplexerDataProvider(runs, logdir)))
    rc = context.RequestContext()
    experiment = plugin.experiment_from_metadata(rc, "", True, plugin.hparams_metadata(rc, ""),
                                                 plugin.hparams_from_data_provider(rc, "", None))
    return ({h.name for h in experiment.hparam_infos},
            {m.name.tag for m in experiment.metric_infos})


def test_a_sweeps_hparams_columns_survive_a_log_folder_shared_with_runs(logdir):
    """TensorBoard takes the first experiment summary it finds as every run's columns: a
    run's own must not hide the sweep's learning rate and success share, whichever is first."""
    run(RunSpec("toy-blobs", epochs=2, logdir=logdir, verbose=0))
    run_sweep(SweepSpec("toy-blobs", seeds=2, learning_rates="0.01,0.1", epochs=3,
                        logdir=logdir))
    run(RunSpec("toy-blobs", epochs=2, seed=1, logdir=logdir, verbose=0))
    hparams, metrics = _hparams_view(logdir)
    assert {"learning_rate", "seeds", "threshold", "seed", "precision"} <= hparams
    assert {"success_rate", "stuck_share", "final/loss", "final/accuracy"} <= metrics


def test_an_interrupted_sweep_keeps_the_finished_configurations(logdir):
    def stop_in_the_second(event):
        if event["event"] == "epoch" and event["learning_rate"] == 0.1 and event["epoch"] == 3:
            raise KeyboardInterrupt

    r = run_sweep(SweepSpec("toy-blobs", seeds=4, learning_rates=[0.01, 0.1, 1.0], epochs=8,
                            logdir=logdir), progress=stop_in_the_second)
    assert r.status == "interrupted" and [c.learning_rate for c in r.configs] == [0.01]
    doc = json.loads(Path(r.run_dir, "sweep.json").read_text())
    assert doc["status"] == "interrupted" and len(doc["configurations"]) == 1
    assert Path(r.run_dir, "lr-0.01").is_dir() and not Path(r.run_dir, "lr-0.1").exists()
    assert Path(r.run_dir, "sweep.png").exists()


# ---------------------------------------------------------------------------- other executors
def test_keras_torch_seeds_run_in_worker_processes_and_agree(logdir):
    """The Keras backend runs each seed as Keras's own fit, in a pool of processes; on torch it
    computes what the native loop computes."""
    kw = dict(seeds=[0, 5], learning_rates=[0.01], epochs=3, logdir=logdir)
    keras_torch = run_sweep(SweepSpec("toy-blobs", backend="keras-torch", workers=1, **kw))
    native = run_sweep(SweepSpec("toy-blobs", **kw))
    (k,), (n,) = keras_torch.configs, native.configs
    assert k.status == "completed" and k.seeds == [0, 5] and not keras_torch.vectorised
    np.testing.assert_allclose(k.loss, n.loss, rtol=0, atol=1e-5)
    np.testing.assert_allclose(k.accuracy, n.accuracy, rtol=0, atol=1e-6)


def test_ray_gives_the_local_results(logdir):
    ray = pytest.importorskip("ray")
    kw = dict(seeds=8, learning_rates=[0.01, 0.1], epochs=20, seed_block=4, logdir=logdir)
    local = run_sweep(SweepSpec("toy-blobs", **kw))
    try:
        remote = run_sweep(SweepSpec("toy-blobs", executor="ray", **kw))
    finally:
        if ray.is_initialized():
            ray.shutdown()
    assert not ray.is_initialized()  # the sweep shut down the cluster it started
    assert remote.status == "completed"
    for a, b in zip(local.configs, remote.configs):
        assert a.seeds == b.seeds == list(range(8))
        np.testing.assert_array_equal(a.loss, b.loss)
        np.testing.assert_array_equal(a.accuracy, b.accuracy)
    strip = lambda rows: [{k: v for k, v in row.items() if k != "seconds"} for row in rows]
    assert strip(local.summary_table()) == strip(remote.summary_table())


# ---------------------------------------------------------------------------- every layer, callback
def test_reduce_lr_on_plateau_seeds_follow_their_single_runs(logdir, monkeypatch):
    """ReduceLROnPlateau gives each seed its own learning rate; each seed is still its run: the
    rate cut at the same epochs, the losses within 1e-6 relative (the batched kernels round a
    few values an ulp apart from the single run's, ~1e-8).

    patience=1 (the answer's is 3) makes every seed cut within 12 epochs, while the runs are
    still well-conditioned: at lr 0.01 for 10 epochs one seed's ReLU units cross a kink on some
    CPUs (an AMD EPYC: 1e-8 apart at epoch 9, 2.5e-4 at epoch 10), after which no two
    computations of it agree, batched or not."""
    import dataclasses

    from scen import scenario as scenarios
    from scen.sweep import native_block

    plateau = scenarios.get("plateau")

    def fit(config):
        f = plateau.fit(config)
        cut = f.reduce_lr_on_plateau and dict(f.reduce_lr_on_plateau, patience=1)
        return dataclasses.replace(f, reduce_lr_on_plateau=cut)

    quick = dataclasses.replace(plateau, name="plateau-patience-1", fit=fit)
    real_get = scenarios.get
    monkeypatch.setattr(scenarios, "get",
                        lambda name: quick if name == quick.name else real_get(name))
    epochs, seeds = 12, [0, 1, 2]  # seed 0 cuts at epoch 4, seed 1 at 5, seed 2 at 9 (here)
    block = native_block(dict(scenario=quick.name, variant="reduce-lr-on-plateau", lr=0.01,
                              seeds=seeds, backend="torch", device="cpu", epochs=epochs))
    assert block["status"] == ["completed"] * 3
    first_cuts = set()
    for i, s in enumerate(seeds):
        single = run(RunSpec(quick.name, variant="reduce-lr-on-plateau", backend="torch", seed=s,
                             epochs=epochs, logdir=logdir, verbose=0)).history
        assert block["learning_rate"][i].tolist() == single["learning_rate"]
        np.testing.assert_allclose(block["loss"][i], single["loss"], rtol=1e-6, atol=0)
        rates = single["learning_rate"]
        first_cuts.add(next((e for e, r in enumerate(rates) if r < rates[0]), None))
    # Every seed's rate was cut, and not all at one epoch: the callback took part, per seed.
    assert None not in first_cuts and len(first_cuts) > 1, first_cuts
    # ... and a sweep accepts the variant as the answer wrote it.
    r = run_sweep(SweepSpec("plateau", variant="reduce-lr-on-plateau", seeds=2,
                            learning_rates=[0.01], epochs=3, logdir=logdir))
    assert r.configs[0].status == "completed"


def test_a_model_with_dropout_can_be_swept(logdir, monkeypatch):
    """Dropout trains through torch.func with a mask per seed (vmap randomness="different")."""
    import dataclasses

    from scen import scenario as scenarios

    toy = scenarios.get("toy-blobs")

    def build_model(config):
        import keras
        from keras import layers

        model = keras.Sequential([keras.Input(shape=(2,)), layers.Dense(8, activation="relu"),
                                  layers.Dropout(0.5), layers.Dense(1, activation="sigmoid")])
        model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
        return model

    dropout = dataclasses.replace(toy, name="toy-dropout", build_model=build_model,
                                  config={**toy.config, "outputs": 1, "learning_rate": None})
    real_get = scenarios.get
    monkeypatch.setattr(scenarios, "get",
                        lambda name: dropout if name == "toy-dropout" else real_get(name))
    r = run_sweep(SweepSpec("toy-dropout", seeds=4, learning_rates=[0.01], epochs=5,
                            logdir=logdir))
    (c,) = r.configs
    assert c.status == "completed" and np.isfinite(c.loss).all()
    assert c.loss.shape == (4, 5) and len({tuple(row) for row in c.loss}) == 4
    assert (c.loss[:, -1] < c.loss[:, 0]).all()  # it learns


def test_sigterm_stops_a_keras_sweep_keeps_its_json_and_leaves_no_worker(tmp_path):
    """SIGTERM takes Ctrl-C's path: sweep.json says interrupted, and no worker outlives scen."""
    import json
    import signal
    import subprocess
    import sys
    import time
    from pathlib import Path

    scen = str(Path(sys.executable).parent / "scen")
    proc = subprocess.Popen([scen, "sweep", "toy-blobs", "--backend", "keras-torch", "--seeds",
                             "6", "--lr", "0.01,0.1", "--epochs", "300", "--logdir",
                             str(tmp_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    deadline = time.time() + 120
    while time.time() < deadline and not list(tmp_path.glob("toy-blobs/*")):
        time.sleep(0.2)
    time.sleep(6)  # the workers have started training
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    (sweep_dir,) = tmp_path.glob("toy-blobs/*")
    assert json.loads((sweep_dir / "sweep.json").read_text())["status"] == "interrupted"
    time.sleep(2)
    left = subprocess.run(["pgrep", "-f", "from scen.sweep import worker_main"],
                          capture_output=True, text=True).stdout.split()
    assert left == [], f"sweep workers outlived scen: {left}"
