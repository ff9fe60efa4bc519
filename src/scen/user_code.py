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
def _own_call(cls) -> tuple[ast.AST, ...]:
    """The nodes of a class's own `call` (written outside Keras), parsed once per class (the
    diagnosis asks every epoch); () for Keras's own classes, or where the source cannot be
    read (a REPL, exec)."""
    if cls.__module__.startswith("keras.") or "call" not in vars(cls):
        return ()
    try:
        return tuple(ast.walk(ast.parse(textwrap.dedent(inspect.getsource(cls.call)))))
    except (OSError, TypeError, SyntaxError):
        return ()


def _class_side_effects(cls) -> str | None:
    """call_side_effects for one class."""
    for node in _own_call(cls):
        if isinstance(node, ast.Call):
            f = node.func
            if (f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")) in LOGGING:
                return f"its call prints ({cls.__name__}.call)"
        targets = (node.targets if isinstance(node, ast.Assign) else [node.target]
                   if isinstance(node, (ast.AugAssign, ast.AnnAssign)) else [])
        if any(isinstance(t, ast.Attribute) and isinstance(t.value, ast.Name)
               and t.value.id == "self" for t in targets):
            return f"its call keeps state on self ({cls.__name__}.call)"
    return None


def adds_losses(cls) -> bool:
    """Whether a class's own `call` (a subclassed model's) calls `self.add_loss`: Keras's
    compute_loss sums those into the loss, and a graph traced from the call does not hold
    them. False for Keras's own classes, or where the source cannot be read."""
    return any(isinstance(n, ast.Attribute) and n.attr == "add_loss" for n in _own_call(cls))
