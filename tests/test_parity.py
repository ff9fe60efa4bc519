"""The native port against Keras on its torch backend, the reference as oracle.

Same initial weights and the same batch order (the port replays Keras's shuffles), so the two
must agree step by step: every scenario, every variant.
"""

import numpy as np
import pytest

from scen.keras_run import load_weights
from scen.runner import RunSpec, run
from scen.scenario import all_scenarios

STEPS = 200  # per-step losses compared
# Enough epochs for STEPS steps; MNIST's 1875-step epochs are cut to 200 steps.
SHORT = {"toy-blobs": dict(epochs=16), "rating": dict(epochs=10), "plateau": dict(epochs=1),
         "mnist-sigmoid": dict(epochs=1, steps_per_epoch=200)}
CASES = [(s.name, v.name) for s in all_scenarios().values() for v in s.variants]


def both(name, variant, logdir, **kw):
    # On the CPU, whatever the machine has: parity is pinned where rounding is known.
    spec = dict(scenario=name, variant=variant, logdir=logdir, verbose=0, device="cpu",
                **SHORT[name], **kw)
    return run(RunSpec(backend="keras-torch", **spec)), run(RunSpec(backend="torch", **spec))


@pytest.mark.parametrize("name, variant", CASES)
def test_native_port_trains_like_keras_on_torch(name, variant, logdir):
    reference, port = both(name, variant, logdir)
    assert port.status == reference.status
    if reference.status == "raised":  # e.g. labels 1/2: torch's own label check, in both
        assert port.error == reference.error
        return
    a, b = np.asarray(reference.step_losses[:STEPS]), np.asarray(port.step_losses[:STEPS])
    assert len(a) == len(b) == min(STEPS, len(reference.step_losses))
    worst = int(np.argmax(np.abs(a - b)))
    assert abs(a[worst] - b[worst]) <= 1e-5, f"step {worst}: keras {a[worst]} port {b[worst]}"
    for w_ref, w_port in zip(load_weights(f"{reference.run_dir}/final_weights.npz"),
                             load_weights(f"{port.run_dir}/final_weights.npz")):
        np.testing.assert_allclose(w_port, w_ref, atol=1e-4, rtol=0)
    for metric in reference.history:
        np.testing.assert_allclose(port.history[metric], reference.history[metric],
                                   atol=1e-4, err_msg=metric)


def test_same_weights_and_batch_order_without_shuffling(logdir):
    reference, port = both("toy-blobs", "rmsprop", logdir, shuffle=False)
    np.testing.assert_allclose(port.step_losses, reference.step_losses, atol=1e-5)


def test_a_given_start_is_honoured_by_both(logdir):
    first = run(RunSpec("toy-blobs", backend="keras-torch", device="cpu", epochs=1, seed=5,
                        logdir=logdir, verbose=0))
    start = f"{first.run_dir}/initial_weights.npz"
    reference, port = both("toy-blobs", "as-posted", logdir, seed=9, initial_weights=start)
    for r in (reference, port):
        for w, w0 in zip(load_weights(f"{r.run_dir}/initial_weights.npz"), load_weights(start)):
            np.testing.assert_array_equal(w, w0)


def test_compiled_whole_step_trains_like_the_eager_loop(logdir, monkeypatch):
    """--compile: forward, loss, backward and the Keras-exact update as one graph; a run long
    enough to pay for it (here: made so) compiles by itself and says so."""
    from scen import native

    spec = dict(scenario="rating", variant="classifier", backend="torch", device="cpu", epochs=3,
                logdir=logdir, verbose=0)
    eager = run(RunSpec(**spec))  # 30 steps: too short to compile by itself
    assert "compiled" not in eager.engine
    monkeypatch.setattr(native, "AUTO_COMPILE_STEPS", {"first": 30, "again": 30})
    from torch._dynamo.utils import counters

    counters.clear()
    compiled = run(RunSpec(**spec))
    assert "compiled: 30 steps pay for torch.compile" in compiled.engine
    # One graph for a step and one for a chunk of steps: the optimizer's slots exist before
    # the first compiled call (made inside it, they compiled it a second time).
    assert counters["stats"]["unique_graphs"] == 2
    np.testing.assert_allclose(compiled.step_losses, eager.step_losses, atol=1e-5)
    assert compiled.history["accuracy"] == pytest.approx(eager.history["accuracy"])
    explicit = run(RunSpec(compile=False, **spec))  # --no-compile keeps it eager
    assert "compiled" not in explicit.engine and explicit.step_losses == eager.step_losses


def test_a_cuda_graphs_reused_outputs_are_copied_before_they_are_kept(logdir, monkeypatch):
    """On CUDA the compiled step is a CUDA graph ("reduce-overhead"), whose every replay writes
    its outputs into the same memory. Here, on the CPU, a stand-in for torch.compile does just
    that: without the copies, every kept step loss would read the last step's."""
    import torch

    from scen import native

    def graphed(fn, mode=None, dynamic=None):
        assert mode == "reduce-overhead"
        static = {}

        def replay(*args, **kwargs):
            replays.append(fn)
            flat, spec = torch.utils._pytree.tree_flatten(fn(*args, **kwargs))
            for i, v in enumerate(flat):
                if isinstance(v, torch.Tensor):
                    static.setdefault(i, torch.empty_like(v)).copy_(v)
                    flat[i] = static[i]
            return torch.utils._pytree.tree_unflatten(flat, spec)

        return replay

    replays = []
    spec = dict(scenario="rating", variant="classifier", backend="torch", device="cpu", epochs=2,
                logdir=logdir, verbose=0)
    eager = run(RunSpec(compile=False, **spec))
    monkeypatch.setattr(native, "compile_mode", lambda device: "reduce-overhead")
    monkeypatch.setattr(torch, "compile", graphed)
    replayed = run(RunSpec(compile=True, **spec))
    assert replays  # the run took the graphed step, here in this process
    assert len(set(replayed.step_losses)) > 1
    np.testing.assert_allclose(replayed.step_losses, eager.step_losses, rtol=1e-6)
    assert replayed.history["accuracy"] == pytest.approx(eager.history["accuracy"])


def test_when_compilation_pays_off(monkeypatch, tmp_path):
    """Long runs compile by themselves; short ones, random layers and a CPU without a C++
    compiler stay eager, with the reason where it would have paid."""
    import shutil

    import keras

    from scen import native
    from scen.port import translate

    plain = translate(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))
    noisy = translate(keras.Sequential([keras.Input((3,)), keras.layers.Dropout(0.5),
                                        keras.layers.Dense(2)]))
    first, again = native.AUTO_COMPILE_STEPS["first"], native.AUTO_COMPILE_STEPS["again"]
    assert native.compile_pays_off(plain, first - 1, "cpu") == (False, "")
    wanted, note = native.compile_pays_off(plain, first, "cpu")
    assert wanted and f"{first:,} steps pay for torch.compile (a first compilation" in note
    # A step compiled here before costs seconds (torch's caches): shorter runs pay for it.
    monkeypatch.setenv("TORCHINDUCTOR_CACHE_DIR", str(tmp_path))
    assert native.compile_pays_off(plain, again, "cpu", "step-key") == (False, "")
    native.mark_compiled("step-key")
    wanted, note = native.compile_pays_off(plain, again, "cpu", "step-key")
    assert wanted and "(compiled before here: from" in note
    assert native.compile_pays_off(plain, again, "cpu", "other-key") == (False, "")
    wanted, note = native.compile_pays_off(noisy, 200_000, "cpu")
    assert not wanted and "random or batch-statistics layer" in note
    monkeypatch.setattr(shutil, "which", lambda name: None)
    wanted, note = native.compile_pays_off(plain, 200_000, "cpu")
    assert not wanted and "C++ compiler" in note


def test_a_compiled_step_is_known_by_what_makes_it():
    """Trainer.compile_key: the same model, batch, loss and optimizer give the same key (the
    mark of a step torch's caches hold); another batch size or optimizer another."""
    import keras

    from scen.native import Trainer
    from scen.scenario import Dataset, Fit

    def key(batch_size=8, optimizer="adam"):
        keras.backend.clear_session()  # layer names are part of the step: as a run names them
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
        model.compile(optimizer, "categorical_crossentropy")
        data = Dataset(np.zeros((16, 3), "float32"), np.eye(2, dtype="float32")[[0, 1] * 8])
        return Trainer(model, data, Fit(epochs=1, batch_size=batch_size)).compile_key

    assert key() == key()
    assert len({key(), key(batch_size=4), key(optimizer="sgd")}) == 3
