"""A contract for translated layers, in the spirit of Keras's own `run_layer_test`
(keras/src/testing/test_case.py): one call checks a layer, for each of a grid of settings,
against Keras on its torch backend, from the same weights:

1. forward output at inference (model(x)) and in training mode (model(x, training=True);
   torch's global generator reseeded before each, so unseeded dropout draws alike);
2. gradients of sum(output * r) (r fixed, random) wrt every trainable weight and the inputs;
3. `steps` training steps (train_on_batch with an MSE loss) for each optimizer: per-step
   losses, then every weight at the end (moving statistics included).

Tolerance: |port - keras| <= ATOL + RTOL * |keras| elementwise, with ATOL = RTOL = 1e-5 for
float32. It is portable across CPUs: the port runs the same torch ops as Keras-on-torch but
not always in the same order (a matmul split differently, a fused kernel), so agreement is
within a few ulps of the values' scale, never bitwise.
"""

from __future__ import annotations

import itertools

import keras
import numpy as np
import torch

from scen import keras_exact
from scen.port import translate

RTOL = ATOL = 1e-5


def _close(name, port, ref, rtol=RTOL, atol=ATOL):
    port = np.asarray(port.detach().cpu() if torch.is_tensor(port) else port, dtype=np.float64)
    ref = np.asarray(ref.detach().cpu() if torch.is_tensor(ref) else ref, dtype=np.float64)
    assert port.shape == ref.shape, f"{name}: shape {port.shape} vs keras {ref.shape}"
    bad = np.abs(port - ref) > atol + rtol * np.abs(ref)
    if bad.any():
        worst = np.unravel_index(np.argmax(np.abs(port - ref)), port.shape)
        raise AssertionError(f"{name}: {bad.sum()} of {bad.size} differ, worst at {worst}: "
                             f"port {port[worst]!r} keras {ref[worst]!r}")


def make_inputs(shapes, batch, seed, ints=None):
    """One float32 array per input shape (batch first); ints=(low, high) draws integers."""
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        if ints is not None:
            out.append(rng.integers(ints[0], ints[1], size=(batch, *shape)).astype("float32"))
        else:
            out.append(rng.normal(size=(batch, *shape)).astype("float32"))
    return out


def build(make_layer, shapes, settings, ints=None):
    inputs = [keras.Input(s, dtype="int32" if ints else "float32") for s in shapes]
    layer = make_layer(**settings)
    y = layer(inputs if len(inputs) > 1 else inputs[0])
    return keras.Model(inputs if len(inputs) > 1 else inputs[0], y)


def _kcall(model, xs, training=False):
    args = [torch.from_numpy(x) for x in xs]
    return model(args if len(args) > 1 else args[0], training=training)


def _perturb(model, seed):
    """Non-default starting state (Keras starts biases at 0, moving variance at 1, ...)."""
    rng = np.random.default_rng(seed)
    values = []
    for v in model.weights:
        w = np.asarray(v.numpy())
        if "moving_variance" in v.path or "variance" in v.path.split("/")[-1]:
            values.append((1.0 + rng.uniform(0, 0.5, w.shape)).astype(w.dtype))
        elif w.dtype.kind == "f":
            values.append((w + 0.1 * rng.normal(size=w.shape)).astype(w.dtype))
        else:
            values.append(w)
    model.set_weights(values)


def check_model(model, xs, *, optimizers=("sgd", "adam"), steps=3, label="", train=True,
                rtol=RTOL, atol=ATOL):
    """The contract on a built model and its inputs (numpy float32 arrays)."""
    ported = translate(model)
    # 1. forward, inference and training mode
    with torch.no_grad():
        _close(f"{label} forward", ported(*[torch.from_numpy(x) for x in xs]), _kcall(model, xs),
               rtol, atol)
    state = [np.array(v.numpy()) for v in model.weights]
    torch.manual_seed(7)
    ref = _kcall(model, xs, training=True)
    ported.train()
    torch.manual_seed(7)
    out = ported(*[torch.from_numpy(x) for x in xs])
    _close(f"{label} forward(training)", out, ref, rtol, atol)
    # 2. gradients wrt weights and inputs (one more pass each, from the same state)
    model.set_weights(state)
    ported = translate(model)
    ported.train()
    r = torch.from_numpy(np.random.default_rng(3).normal(size=tuple(out.shape)).astype("float32"))
    kx = [torch.from_numpy(x).requires_grad_(True) for x in xs]
    for v in model.trainable_weights:
        v.value.grad = None
    torch.manual_seed(7)
    kout = model(kx if len(kx) > 1 else kx[0], training=True)
    (kout * r).sum().backward()
    px = [torch.from_numpy(x).requires_grad_(True) for x in xs]
    torch.manual_seed(7)
    (ported(*px) * r).sum().backward()
    grads = ported.named_keras_gradients()
    for v in model.trainable_weights:
        if v.value.grad is not None:
            _close(f"{label} d/d {v.path}", grads[v.path], v.value.grad, rtol, atol)
    if not any(x.dtype.kind == "i" for x in xs) and all(x.grad is not None for x in kx):
        for i, (a, b) in enumerate(zip(px, kx)):
            _close(f"{label} d/d input{i}", a.grad, b.grad, rtol, atol)
    if not train or not model.trainable_weights:
        return
    # 3. training steps per optimizer, from the same weights
    target = np.random.default_rng(5).normal(size=tuple(out.shape)).astype("float32")
    for opt in optimizers:
        model.set_weights(state)
        ported = translate(model)
        ported.train()
        model.compile(optimizer=opt, loss="mse")
        theirs = []
        for _ in range(steps):
            torch.manual_seed(11)
            theirs.append(float(model.train_on_batch(xs if len(xs) > 1 else xs[0], target)))
        inner = getattr(model.optimizer, "inner_optimizer", model.optimizer)
        serialized = {"class_name": type(inner).__name__, "config": inner.get_config()}
        params = [p for p in ported.parameters() if p.requires_grad]
        optimizer = keras_exact.get_optimizer(serialized, params)
        ours = []
        for _ in range(steps):
            torch.manual_seed(11)
            loss = keras_exact.mean_squared_error(torch.from_numpy(target),
                                                  ported(*[torch.from_numpy(x) for x in xs]))
            added = ported.added_losses()  # a layer's add_loss (activity regularizers)
            loss = torch.stack([loss, *added]).sum() if added else loss
            for p in params:
                p.grad = None
            loss.backward()
            optimizer.update()
            ours.append(float(loss))
        _close(f"{label} {opt} losses", np.array(ours), np.array(theirs), rtol, atol)
        for (path, value), v in zip(ported.named_keras_weights(), model.weights):
            _close(f"{label} {opt} {path} after {steps} steps", value, v.numpy(), rtol, atol)
        model.set_weights(state)


def run_layer_contract(make_layer, shapes, grid=None, *, batch=4, ints=None, seed=0,
                       perturb=True, **kwargs):
    """check_model on Model(Input(s), make_layer(**settings)(...)) for every combination in
    `grid` ({setting: [values]}). shapes: one input shape (no batch) or a list of them."""
    if shapes and isinstance(shapes[0], int):
        shapes = [tuple(shapes)]
    grid = grid or {}
    names = list(grid)
    for values in itertools.product(*[grid[n] for n in names]) if names else [()]:
        settings = dict(zip(names, values))
        keras.utils.set_random_seed(seed)
        model = build(make_layer, shapes, settings, ints)
        if perturb:
            _perturb(model, seed)
        xs = make_inputs(shapes, batch, seed + 1, ints)
        check_model(model, xs, label=f"{make_layer.__name__ if hasattr(make_layer, '__name__') else make_layer}({settings})", **kwargs)


def train_parity(model, xs, y, loss, optimizer, *, steps=100, batch=16):
    """Per-step losses of `steps` train_on_batch calls (batches taken in order, cycling) and of
    the port with scen.keras_exact's loss and optimizer, from the same weights.
    Returns (keras losses, port losses), numpy float64."""
    ported = translate(model)
    ported.train()
    model.compile(optimizer=optimizer, loss=loss)
    n = len(y)
    order = [(i * batch) % n for i in range(steps)]
    theirs = []
    for step, start in enumerate(order):
        sl = slice(start, start + batch)
        torch.manual_seed(1000 + step)  # unseeded dropout draws from the global generator
        batch_x = [x[sl] for x in xs]
        theirs.append(float(model.train_on_batch(batch_x if len(xs) > 1 else batch_x[0], y[sl])))
    inner = getattr(model.optimizer, "inner_optimizer", model.optimizer)
    serialized = {"class_name": type(inner).__name__, "config": inner.get_config()}
    params = [p for p in ported.parameters() if p.requires_grad]
    opt = keras_exact.get_optimizer(serialized, params)
    loss_fn = keras_exact.get_loss(loss)
    ours = []
    for step, start in enumerate(order):
        sl = slice(start, start + batch)
        torch.manual_seed(1000 + step)
        out, logits = ported.forward_with_logits(*[torch.from_numpy(x[sl]) for x in xs])
        value = loss_fn(torch.from_numpy(y[sl]), out, logits)
        for p in params:
            p.grad = None
        value.backward()
        opt.update()
        ours.append(float(value))
    return np.array(theirs), np.array(ours)
