"""The house's rules, checked from the source (issue 24): no import circles, no module that
reaches into another's private names, and a reason at the top of every module over ~400 lines."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
LONG = 400


def modules() -> dict[str, Path]:
    found = {}
    for p in sorted(SRC.rglob("*.py")):
        parts = p.relative_to(SRC).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p
    return found


def imports(name: str, path: Path, known: dict) -> list[tuple[str, str]]:
    """(module imported, name taken from it) for every import in the file, functions' too:
    a circle closed inside a function is a circle all the same."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    taken = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            taken += [(a.name, "") for a in node.names if a.name in known]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            for a in node.names:
                if f"{base}.{a.name}" in known:
                    taken.append((f"{base}.{a.name}", ""))
                elif base in known:
                    taken.append((base, a.name))
    return taken


def test_no_module_imports_another_modules_private_names():
    known = modules()
    private = [f"{name} takes {source}.{what}" for name, path in known.items()
               for source, what in imports(name, path, known)
               if what.startswith("_") and not what.startswith("__") and source != name]
    assert private == []


def test_there_are_no_import_circles():
    known = modules()
    graph = {name: {s for s, _ in imports(name, path, known) if s != name}
             for name, path in known.items()}
    # A module that reaches itself through the graph is in a circle.
    circles = []
    for start in graph:
        seen, todo = set(), list(graph[start])
        while todo:
            m = todo.pop()
            if m == start:
                circles.append(start)
                break
            if m not in seen:
                seen.add(m)
                todo += graph[m]
    assert circles == []


def test_a_module_over_400_lines_says_why_at_its_top():
    unexplained = []
    for name, path in modules().items():
        text = path.read_text()
        if text.count("\n") > LONG and "(Why ~" not in (ast.get_docstring(ast.parse(text)) or ""):
            unexplained.append(name)
    assert unexplained == []
