"""The import graph of ``commerce_brain`` has no cycle (issue 9 §4).

Every import counts, those inside functions and under ``TYPE_CHECKING`` too: an import hidden in a
function still ties the two modules together, and it is how the old cycles (the award workflow
around ``store/fulfilment.py``, ``io/report.py`` and its two writers) hid. Migrations are left
out: Alembic loads them by path, never by import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import commerce_brain

ROOT = Path(commerce_brain.__file__).parent


def _module_names() -> dict[str, Path]:
    names = {}
    for file in ROOT.rglob("*.py"):
        if "migrations" in file.relative_to(ROOT).parts:
            continue
        parts = ("commerce_brain", *file.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        names[".".join(parts)] = file
    return names


def _imported(module: str, file: Path, node: ast.AST, known: dict[str, Path]) -> set[str]:
    """The ``commerce_brain`` modules one import statement names (a package's ``from . import x``
    names ``x`` when ``x`` is a module, else the package)."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names if alias.name in known}
    if not isinstance(node, ast.ImportFrom):
        return set()
    if node.level:
        package = module.split(".") if file.name == "__init__.py" else module.split(".")[:-1]
        package = package[:len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    else:
        base = node.module or ""
    found = set()
    for alias in node.names:
        if f"{base}.{alias.name}" in known:
            found.add(f"{base}.{alias.name}")
        elif base in known:
            found.add(base)
    return found


def import_graph() -> dict[str, set[str]]:
    """Each module of ``commerce_brain`` → the modules of ``commerce_brain`` it imports anywhere."""
    known = _module_names()
    graph = {}
    for module, file in known.items():
        tree = ast.parse(file.read_text(encoding="utf-8"), filename=str(file))
        graph[module] = set().union(*(_imported(module, file, node, known) for node in ast.walk(tree))) - {module}
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of ``graph`` as a path that ends where it starts, or None (iterative DFS)."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for start in sorted(graph):
        if start in state:
            continue
        path = [start]
        stack = [iter(sorted(graph[start]))]
        state[start] = 1
        while stack:
            following = next(stack[-1], None)
            if following is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(following) == 1:
                return path[path.index(following):] + [following]
            elif following not in state:
                state[following] = 1
                path.append(following)
                stack.append(iter(sorted(graph[following])))
    return None


def test_the_finder_finds_a_cycle_and_passes_a_tree():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_graph_sees_imports_inside_functions_and_relative_ones():
    graph = import_graph()
    assert len(graph) > 50
    # report.write_report imports its writers inside the function.
    assert {"commerce_brain.io.report_html", "commerce_brain.io.report_xlsx"} <= graph["commerce_brain.io.report"]
    assert "commerce_brain.store.fulfilment_tables" in graph["commerce_brain.fulfilment.review"]


def test_the_import_graph_has_no_cycle():
    cycle = find_cycle(import_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_the_award_workflow_never_imports_its_facade():
    # The workflow modules share the leaf (store/fulfilment_tables.py); only callers above use the
    # facade (the package ``commerce_brain.fulfilment`` itself).
    graph = import_graph()
    facade = "commerce_brain.fulfilment"
    below = [m for m, imports in graph.items() if facade in imports and m.startswith("commerce_brain.fulfilment.")]
    assert below == []


def test_the_store_sits_under_the_workflow():
    # store/ holds tables and repositories; the award workflow (fulfilment/) is built on it, never under it.
    graph = import_graph()
    upward = {m: sorted(i for i in imports if i == "commerce_brain.fulfilment" or i.startswith("commerce_brain.fulfilment."))
              for m, imports in graph.items() if m.startswith("commerce_brain.store")}
    assert {m: i for m, i in upward.items() if i} == {}
