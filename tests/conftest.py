"""The test process runs Keras on its torch backend; other backends run in subprocesses."""

import os
from pathlib import Path

os.environ.setdefault("KERAS_BACKEND", "torch")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")  # identical numbers on every machine

ROOT = Path(__file__).resolve().parents[1]
_shared_mnist = ROOT.parent / "shared" / "data" / "mnist.npz"
if _shared_mnist.exists():
    os.environ.setdefault("SCEN_MNIST", str(_shared_mnist))

import pytest  # noqa: E402

_KERAS_CACHE = Path.home() / ".keras" / "datasets" / "mnist.npz"


# The long runs, marked slow here in one list so that the whole suite's size stays in view:
# every test that took 5 s or more on the project's 2-core machine (a full run with
# --durations=0, 2026-12-06, on a busy machine). `pytest -m "not slow"` (the README's test
# command) keeps every kind of check - parity, contracts, CLI, diagnosis kinds, bad input - in
# a few minutes; CI runs the slow set after it. A node id may be a prefix of several.
SLOW = (
    # each a scen compare of two worker processes (11-23 s)
    "tests/test_script_compare.py::test_a_script_that_fails_after_its_fits_has_them_compared",
    "tests/test_script_compare.py::test_generators_and_pydatasets_compare_by_their_first_batch",
    "tests/test_script_compare.py::test_a_tf_data_dataset_is_refused_as_scen_does_not_look_into_it",
    "tests/test_golden.py::test_behaviour_matches_golden",  # the port's recording too (~14 s)
    "tests/test_script.py::test_diagnose_json_and_fail_on_make_a_ci_gate",
    "tests/test_script.py::test_a_module_beside_the_script_does_not_replace_one_of_scens",
    "tests/test_keras_tensorboard.py::test_same_tags_and_steps_as_keras_on_tensorflow",
    "tests/test_diagnose_kinds.py::test_a_loss_that_keeps_jumping_back_up",
    # Each backend's golden recording is made once, by whichever of its tests runs first:
    # all of them, and every "another machine" one (a second recording), are slow.
    "tests/test_golden.py::test_another_machine_still_matches_golden",
    "tests/test_bad_input.py::test_malformed_mnist_files_are_one_line_each",
    "tests/test_cli.py::test_a_missing_data_set_copy_is_one_line_saying_how_to_get_it",
    "tests/test_cli.py::test_an_interrupt_at_any_moment_leaves_no_run_or_a_readable_one",
    "tests/test_script_native.py::test_a_checkpoint_saved_during_a_port_fit_holds_the_optimizer",
    "tests/test_script.py::test_fit_at_the_edges_of_its_data_prints_and_exits_as_python",
    "tests/test_diagnose_kinds.py::test_noisy_labels_at_their_floor_are_not_a_plateau",
    "tests/test_cli.py::test_cuda_without_cuda_is_a_clear_error",
    "tests/test_sweep.py::test_a_sweeps_hparams_columns_survive_a_log_folder_shared_with_runs",
    "tests/test_cli.py::test_ctrl_c_in_compare_prints_the_table_so_far_and_says_so",
    "tests/test_cli.py::test_ctrl_c_in_run_all_stops_and_prints_the_table_so_far",
    "tests/test_cli.py::test_ctrl_c_keeps_readable_logs_and_marks_the_run_interrupted",
    "tests/test_cli.py::test_diagnose_verify_proves_the_learning_rate_fix_over_seeds",
    "tests/test_cli.py::test_native_backend_from_the_cli_trains_like_keras_on_torch",
    "tests/test_cli.py::test_run_all_goes_on_past_a_scenario_whose_data_is_missing",
    "tests/test_cli.py::test_sigterm_is_handled_like_ctrl_c",
    "tests/test_cli.py::test_workers_import_installed_code_not_the_current_directory",
    "tests/test_compare.py::test_labels_1_2_raise_on_torch_and_go_negative_on_jax",
    "tests/test_compare.py::test_mnist_sigmoid_tensorflow_loss_is_explained_and_reproduced_by_the_port",
    "tests/test_compare.py::test_port_with_jax_semantics_trains_on_labels_1_2_as_keras_jax_does",
    "tests/test_diagnose.py::test_callback_on_the_jax_backend",
    "tests/test_diagnose_kinds.py::test_a_loss_that_keeps_jumping_back_up[<lambda>-False0]",
    "tests/test_diagnose_kinds.py::test_a_loss_that_keeps_jumping_back_up[<lambda>-True]",
    "tests/test_diagnose_kinds.py::test_jax_trains_on_silently_and_the_finding_says_so",
    "tests/test_diagnose_scenarios.py::test_as_posted_is_diagnosed_with_its_root_cause[plateau]",
    "tests/test_diagnose_verify.py::test_a_scripts_float16_is_fixed_by_keeping_float32",
    "tests/test_diagnose_verify.py::test_a_scripts_learning_rate_fix_is_verified",
    "tests/test_diagnose_verify.py::test_plateau_reduce_lr_is_not_verified",
    "tests/test_forum_programs.py::test_program_trains_like_keras[batchnorm_mlp]",
    "tests/test_forum_programs.py::test_program_trains_like_keras[cifar_like_bn_dropout]",
    "tests/test_forum_programs.py::test_program_trains_like_keras[conv1d_timeseries]",
    "tests/test_forum_programs.py::test_program_trains_like_keras[conv_autoencoder]",
    "tests/test_forum_programs.py::test_program_trains_like_keras[conv_lstm_hybrid]",
    "tests/test_forum_programs.py::test_program_trains_like_keras[dense_autoencoder]",
    "tests/test_forum_programs.py::test_program_trains_like_keras[gru_sequence]",
    "tests/test_forum_programs.py::test_program_trains_like_keras[leaky_convnet]",
    "tests/test_forum_programs.py::test_program_trains_like_keras[lstm_encoder_decoder]",
    "tests/test_forum_programs.py::test_program_trains_like_keras[mnist_convnet]",
    "tests/test_forum_programs.py::test_program_trains_like_keras[residual_mlp]",
    "tests/test_forum_programs.py::test_program_trains_like_keras[simple_rnn_classifier]",
    "tests/test_forum_programs.py::test_program_trains_like_keras[text_cnn]",
    "tests/test_forum_programs.py::test_program_trains_like_keras[text_lstm]",
    "tests/test_forum_programs.py::test_program_trains_like_keras[text_lstm_masked]",
    "tests/test_golden.py::test_an_interrupted_update_changes_no_golden_file",
    "tests/test_golden.py::test_another_machine_still_matches_golden[mnist-sigmoid-as-posted-keras-jax]",
    "tests/test_golden.py::test_another_machine_still_matches_golden[mnist-sigmoid-as-posted-keras-tensorflow]",
    "tests/test_golden.py::test_another_machine_still_matches_golden[mnist-sigmoid-as-posted-keras-torch]",
    "tests/test_golden.py::test_another_machine_still_matches_golden[mnist-sigmoid-as-posted-torch]",
    "tests/test_golden.py::test_behaviour_matches_golden[mnist-sigmoid-as-posted-keras-jax]",
    "tests/test_golden.py::test_behaviour_matches_golden[mnist-sigmoid-as-posted-keras-tensorflow]",
    "tests/test_golden.py::test_behaviour_matches_golden[mnist-sigmoid-as-posted-keras-torch]",
    "tests/test_golden.py::test_behaviour_matches_golden[mnist-sigmoid-as-posted-torch]",
    "tests/test_golden.py::test_golden_from_another_directory_finds_the_goldens_and_leaves_no_runs",
    "tests/test_keras_exact.py::test_tensorflow_flavour_matches_keras_on_tensorflow",
    "tests/test_keras_tensorboard.py::test_jax_backend_without_tensorflow_writes_the_same_and_recomputes_gradients",
    "tests/test_parity.py::test_compiled_whole_step_trains_like_the_eager_loop",
    "tests/test_port.py::test_models_built_on_other_backends",
    "tests/test_readme_script.py::test_readme_script_example_runs_as_written",
    "tests/test_run.py::test_tensorboard_server_serves_the_run",
    "tests/test_script.py::test_a_scripts_own_failure_exits_as_python_would[exits_3.py-3-exits_3:",
    "tests/test_script.py::test_a_scripts_own_failure_exits_as_python_would[fails_before_fit.py-1-fails_before_fit:",
    "tests/test_script.py::test_cli_diagnose_verify_on_a_script_without_a_mechanical_fix",
    "tests/test_script.py::test_cli_diagnose_verify_proves_a_scripts_fix_in_worker_processes",
    "tests/test_script.py::test_cli_run_and_diagnose_a_script",
    "tests/test_script.py::test_jax_backend_runs_in_a_worker_of_its_own",
    "tests/test_script_compare.py::test_cli_compare_of_a_script",
    "tests/test_script_compare.py::test_every_backend_starts_from_the_first_ones_weights_and_agrees",
    "tests/test_script_compare.py::test_refused_with_a_reason[backend_model.py-the",
    "tests/test_script_compare.py::test_refused_with_a_reason[random_data.py-the",
    "tests/test_script_compare.py::test_refused_with_a_reason[streams.py-compare",
    "tests/test_script_golden.py::test_a_new_record_replaces_the_scripts_old_one",
    "tests/test_script_golden.py::test_every_backend_starts_from_the_first_ones_weights",
    "tests/test_script_golden.py::test_record_then_check_passes_and_a_changed_learning_rate_fails",
    "tests/test_script_native.py::test_compare_a_script_on_keras_and_the_port",
    "tests/test_script_sweep.py::test_a_healthy_script_reaches_the_threshold_on_every_seed",
    "tests/test_script_sweep.py::test_a_metric_the_fit_does_not_log_is_said_per_seed",
    "tests/test_script_sweep.py::test_a_one_unit_softmax_is_stuck_on_every_seed",
    "tests/test_sweep.py::test_keras_torch_seeds_run_in_worker_processes_and_agree",
    "tests/test_sweep.py::test_ray_gives_the_local_results",
    "tests/test_sweep.py::test_reduce_lr_on_plateau_seeds_follow_their_single_runs",
    "tests/test_sweep.py::test_sigterm_stops_a_keras_sweep_keeps_its_json_and_leaves_no_worker",
)


def pytest_collection_modifyitems(config, items):
    """The SLOW list's tests are marked slow. Tests on real MNIST need a local copy (nothing
    is downloaded during the tests)."""
    for item in items:
        if item.nodeid.startswith(SLOW):
            item.add_marker(pytest.mark.slow)
    local = os.environ.get("SCEN_MNIST")
    if (local and Path(local).is_file()) or _KERAS_CACHE.is_file():
        return
    skip = pytest.mark.skip(reason="no local MNIST: set SCEN_MNIST=/path/to/mnist.npz, or run "
                            "keras.datasets.mnist.load_data() once online")
    for item in items:
        if "mnist" in item.nodeid:
            item.add_marker(skip)


@pytest.fixture
def logdir(tmp_path):
    return str(tmp_path / "runs")


@pytest.fixture(scope="module")
def one_torch_thread():
    """Tiny models on one torch thread: more threads only contend on a shared machine."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
