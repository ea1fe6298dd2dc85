"""The Cloud package's modules import one another in one direction (issue 19): no loop, not
even one for types only, and no import hidden inside a function to break one. The ladder
and its strategies were once a `scan` <-> `walk` loop broken with a lazy import."""

from __future__ import annotations

import ast
from pathlib import Path

import bbpr.cloud

CLOUD = Path(bbpr.cloud.__file__).parent


def imports() -> dict[str, set[str]]:
    """Each module of `bbpr.cloud` (by file stem) and the modules of the package it imports,
    wherever the import stands (`if TYPE_CHECKING:` included)."""
    stems = {path.stem for path in CLOUD.glob("*.py")}
    found: dict[str, set[str]] = {}
    for path in CLOUD.glob("*.py"):
        named: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                if node.module is not None:
                    named.add(node.module.split(".")[0])
                else:
                    named |= {alias.name for alias in node.names}
        found[path.stem] = (named & stems) - {path.stem}
    return found


def loop_through(module: str, graph: dict[str, set[str]]) -> list[str] | None:
    """A chain of imports from `module` back to itself, if there is one."""
    paths = [[module]]
    seen: set[str] = set()
    while paths:
        path = paths.pop()
        for imported in sorted(graph[path[-1]]):
            if imported == module:
                return [*path, module]
            if imported not in seen:
                seen.add(imported)
                paths.append([*path, imported])
    return None


def test_no_module_of_cloud_imports_itself_back() -> None:
    graph = imports()
    assert {"ladder", "listing_state", "server_traits", "id_ranges", "filtered_walk",
            "plain_walk", "id_proof", "hole_search", "hidden"} <= set(graph)
    loops = {module: loop for module in graph if (loop := loop_through(module, graph))}
    assert loops == {}


def test_no_module_of_cloud_imports_inside_a_function() -> None:
    inside: list[str] = []
    for path in CLOUD.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                inside += [f"{path.name}:{child.lineno}" for child in ast.walk(node)
                           if isinstance(child, ast.Import | ast.ImportFrom)]
    assert inside == []
