"""What the user's own Keras code does when it is called, read from its source.

Keras's fit calls a model's `call` on every batch. The port replaces those calls with a graph
of the model's layers, and the diagnosis calls the model on a sample of its own: neither may
change what the script sees. A `call` written outside Keras that prints, or that keeps state
on `self`, would show the difference, so the port leaves its fit to Keras, and the diagnosis
does not call it.
"""

from __future__ import annotations

import ast
import functools
import inspect
import textwrap

LOGGING = ("print", "info", "debug", "warning")  # print(...), logger.info(...), ...


def call_side_effects(model) -> str | None:
    """What a call of `model` would leave behind that the script could see, judged from the
    source of every `call` written outside Keras (a subclassed model's, a custom layer's):
    "its call prints" (print or a logger) or "its call keeps state on self" (an assignment
    to self.<name>, a counter). None where the calls are Keras's own, or their source cannot
    be read (a REPL, exec)."""
    layers = model._flatten_layers(include_self=True) if hasattr(
        model, "_flatten_layers") else [model]
    for cls in {type(layer) for layer in layers}:
        why = _class_side_effects(cls)
        if why:
            return why
    return None


@functools.lru_cache(maxsize=None)
def _own_call(cls, method: str = "call") -> tuple[ast.AST, ...]:
    """The nodes of a class's own `call` (or another method, written outside Keras), parsed
    once per class (the diagnosis asks every epoch); () for Keras's own classes, or where the
    source cannot be read (a REPL, exec)."""
    if cls.__module__.startswith("keras.") or method not in vars(cls):
        return ()
    try:
        source = inspect.getsource(getattr(cls, method))
        return tuple(ast.walk(ast.parse(textwrap.dedent(source))))
    except (OSError, TypeError, SyntaxError):
        return ()


DRAWS = ("random", "rng", "shuffle", "permutation", "choice", "normal", "uniform", "noise",
         "augment", "sample")


def _assigned(node: ast.AST) -> list:
    """The targets a statement assigns to (x = ..., x += ..., x: int = ...); [] for others."""
    if isinstance(node, ast.Assign):
        return node.targets
    return [node.target] if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else []


def reads_only(cls, method: str = "__getitem__") -> bool:
    """Whether a class's own `method` (a PyDataset's __getitem__) can be called once more
    without the script seeing it: its source draws no random number (no name such as
    rng, np.random, shuffle, noise) and keeps no state on self. False where the source cannot
    be read."""
    nodes = _own_call(cls, method)
    if not nodes:
        return False
    for node in nodes:
        name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
        if isinstance(name, str) and any(word in name.lower() for word in DRAWS):
            return False
        targets = _assigned(node)
        if any(isinstance(t, (ast.Attribute, ast.Subscript)) for t in targets):
            return False
    return True


def _class_side_effects(cls) -> str | None:
    """call_side_effects for one class."""
    for node in _own_call(cls):
        if isinstance(node, ast.Call):
            f = node.func
            if (f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")) in LOGGING:
                return f"its call prints ({cls.__name__}.call)"
        targets = _assigned(node)
        if any(isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
               and t.value.id == "self" for t in targets):
            return f"its call keeps state on self ({cls.__name__}.call)"
    return None


def layers_made_in_call(model) -> list[str]:
    """Keras layers constructed inside a `call` written outside Keras, each as
    "Class.call makes Dense(...)": a layer made there is new on every call, with weights
    drawn afresh that no optimizer ever sees (Keras tracks layers set on `self`). A layer made
    once and kept on `self` (`self.head = Dense(...)`: a lazy build) is not one. Read from the
    source, so no call is made; [] where the source cannot be read."""
    layers = model._flatten_layers(include_self=True) if hasattr(
        model, "_flatten_layers") else [model]
    found = []
    for cls in {type(layer) for layer in layers}:
        found += [f"{cls.__name__}.call makes {name}(...)" for name in _made_in_call(cls)]
    return sorted(found)


@functools.lru_cache(maxsize=None)
def _made_in_call(cls) -> tuple[str, ...]:
    """The Keras layer classes that cls.call constructs without keeping them on self."""
    nodes = _own_call(cls)
    if not nodes:
        return ()
    import keras

    names = vars(inspect.getmodule(cls) or object)
    kept = {id(n.value) for n in nodes if isinstance(n, ast.Assign) and any(
        isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name) and t.value.id == "self"
        for t in n.targets)}
    made = []
    for node in nodes:
        if not isinstance(node, ast.Call) or id(node) in kept:
            continue
        target = _resolved(node.func, names)
        if isinstance(target, type) and issubclass(target, keras.layers.Layer) \
                and _has_weights(target, keras.layers.Layer):
            made.append(target.__name__)
    return tuple(made)


def _has_weights(cls, base) -> bool:
    """Whether a layer class makes weights, as Keras's own do: in a `build` of its own (Dense,
    Conv2D, LSTM; Dropout, Flatten and pooling have none). Merge layers (Add, Concatenate)
    build to check shapes only."""
    try:
        from keras.src.layers.merging.base_merge import Merge
    except ImportError:  # a Keras that moved it: count merge layers in
        Merge = None
    if Merge is not None and issubclass(cls, Merge):
        return False
    return any("build" in vars(k) for k in cls.__mro__
               if k is not base and isinstance(k, type) and issubclass(k, base))


def _resolved(expr: ast.AST, names: dict):
    """What a name or dotted name (`Dense`, `layers.Dense`, `keras.layers.Dense`) is bound to
    in a module's globals; None for anything else (self.dense, a call's result)."""
    if isinstance(expr, ast.Name):
        return names.get(expr.id)
    if isinstance(expr, ast.Attribute):
        owner = _resolved(expr.value, names)
        return getattr(owner, expr.attr, None) if owner is not None else None
    return None


def adds_losses(cls) -> bool:
    """Whether a class's own `call` (a subclassed model's) calls `self.add_loss`: Keras's
    compute_loss sums those into the loss, and a graph traced from the call does not hold
    them. False for Keras's own classes, or where the source cannot be read."""
    return any(isinstance(n, ast.Attribute) and n.attr == "add_loss" for n in _own_call(cls))
