"""The map of the house (CONTRIBUTING.md) checked against what the code imports, wherever an
import stands (at the top, under `if TYPE_CHECKING:`, inside a function):

- each module sits in a layer and imports nothing of a layer above it (issue 26);
- no module imports another that imports it back, not even for types (issue 19: the Cloud
  ladder and its strategies were once a `scan` <-> `walk` loop broken with a lazy import);
- each room whose `__init__` says in two lines what it holds and what it may import
  (credentials, asked, the allowance) imports nothing else, and its `__init__` imports
  nothing at all, so that start-up loads no more than a command needs;
- the emulator shares no code with the client, and the Cloud package imports nothing inside
  a function.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import bbpr

HOUSE = Path(bbpr.__file__).parent

LAYERS = {
    "": 0, "__main__": 0,  # the faces: the library's names and the `bbpr` script
    "cli": 1,
    "client": 2, "connect": 2, "listing": 2, "metric_fields": 2, "doctor": 2, "copy": 2,
    "report": 2, "allowance": 2, "credentials.auth": 2, "asked.people": 2,
    "backend": 3, "cloud": 3, "datacenter": 3,
    "http": 4,
    "models": 5, "errors": 5, "redaction": 5, "time_words": 5, "id_set": 5, "in_order": 5,
    "request_budget": 5, "details": 5, "_version": 5, "credentials": 5, "asked": 5,
    "emulator": 5,  # beside the rest, importing nothing of it: the command line runs it
}  # fmt: skip
"""Each module's layer, by its name in `bbpr` or the room it is in (the longest name that
fits): 1 the command line, 2 the use cases, 3 the flavours and the protocol they implement,
4 the network, 5 plain data and pure functions. `credentials.auth` and `asked.people` are
their rooms' use cases, above the rest of them."""
PRIMITIVES = frozenset({"models", "errors", "redaction", "time_words", "id_set", "in_order",
                        "request_budget"})
"""What every module may import, and no room's `__init__` needs to name."""
TYPE_ONLY_LOOPS = [
    {"http.options", "http.pacing"},
    {"http.authorizers", "http.transport"},
    {"datacenter.activities", "datacenter.api", "datacenter.scan"},
]
"""Loops found in rooms not yet restructured, each closed by an import for types only: left
for those rooms' own change. No other may appear."""


def module_names() -> dict[str, Path]:
    """Every module of bbpr but the emulator's, by its name in `bbpr` (the package itself
    is ``)."""
    found: dict[str, Path] = {}
    for path in HOUSE.rglob("*.py"):
        parts = path.relative_to(HOUSE).with_suffix("").parts
        if parts[0] != "emulator":
            found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of bbpr that `name` imports, wherever the import stands: a name imported
    from a package is the module of that name where there is one, else the package."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.removeprefix("bbpr.") for alias in node.names
                      if alias.name.startswith("bbpr.")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = [part for part in base if part]
                source = ".".join([*base, *([node.module] if node.module else [])])
            elif node.module is not None and (node.module + ".").startswith("bbpr."):
                source = node.module.removeprefix("bbpr").removeprefix(".")
            else:
                continue
            for alias in node.names:
                named = f"{source}.{alias.name}".lstrip(".")
                found.add(named if named in known else source)
    return found - {name}


def house() -> dict[str, set[str]]:
    names = module_names()
    return {name: imports_of(name, path, set(names)) for name, path in names.items()}


def layer_of(name: str) -> int:
    parts = name.split(".")
    for size in range(len(parts), 0, -1):
        if ".".join(parts[:size]) in LAYERS:
            return LAYERS[".".join(parts[:size])]
    return LAYERS[name]  # `` alone: the package's face; a module not on the map fails here


def loops(graph: dict[str, set[str]]) -> list[set[str]]:
    """The groups of modules that import one another round (Tarjan's strongly connected
    components, of more than one module)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[set[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        for imported in sorted(graph[module] & graph.keys()):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group: set[str] = set()
            while not group or module not in group:
                group.add(stack.pop())
            if len(group) > 1:
                found.append(group)

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return found


def test_every_module_is_on_the_map() -> None:
    unplaced = []
    for name in house():
        try:
            layer_of(name)
        except KeyError:
            unplaced.append(name)
    assert unplaced == []  # add it to LAYERS, and to the map in CONTRIBUTING.md


def test_no_module_imports_from_a_layer_above_its_own() -> None:
    upward = sorted(f"{name} ({layer_of(name)}) imports {imported} ({layer_of(imported)})"
                    for name, imported_names in house().items() for imported in imported_names
                    if layer_of(imported) < layer_of(name))
    assert upward == []


def test_no_module_imports_itself_back() -> None:
    graph = house()
    assert {"allowance.decision", "allowance.plan", "credentials.auth", "asked.people",
            "cloud.ladder", "cloud.walk_pass"} <= set(graph)
    assert sorted(map(sorted, loops(graph))) == sorted(map(sorted, TYPE_ONLY_LOOPS))


def rooms_that_say() -> set[str]:
    """The rooms whose `__init__` says what they may import (its second line)."""
    said = set()
    for path in HOUSE.glob("*/__init__.py"):
        docstring = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
        if docstring.splitlines()[1:2] and docstring.splitlines()[1].startswith("May import"):
            said.add(path.parent.name)
    assert {"credentials", "asked", "allowance"} <= said
    return said


def declared(room: str) -> tuple[set[str], dict[str, set[str]]]:
    """What the room's `__init__` says it may import, beyond the primitives: for the whole
    room, and for some of its modules (`; \\`auth\\`, a use case, also \\`connect\\` ...`)."""
    docstring = ast.get_docstring(ast.parse((HOUSE / room / "__init__.py").read_text()))
    assert docstring is not None
    clauses = docstring.splitlines()[1].split(";")
    for_modules = {}
    for clause in clauses[1:]:
        module, *allowed = re.findall(r"`(\w+)`", clause)
        for_modules[module] = set(allowed)
    return set(re.findall(r"`(\w+)`", clauses[0])), for_modules


def test_each_room_says_in_two_lines_what_it_holds_and_may_import() -> None:
    for room in rooms_that_say():
        tree = ast.parse((HOUSE / room / "__init__.py").read_text(encoding="utf-8"))
        docstring = ast.get_docstring(tree) or ""
        assert len(docstring.splitlines()) == 2, room
        assert docstring.splitlines()[1].startswith("May import the primitives"), room
        assert len(tree.body) == 1, room  # the docstring alone: no module loaded with it


def test_each_room_imports_only_what_its_init_says() -> None:
    graph = house()
    strays = []
    for room in rooms_that_say():
        everywhere, for_modules = declared(room)
        assert set(for_modules) <= {path.stem for path in (HOUSE / room).glob("*.py")}
        for name, imported_names in graph.items():
            if not name.startswith(f"{room}."):
                continue
            allowed = PRIMITIVES | everywhere | for_modules.get(name.split(".")[1], set())
            strays += [f"{name} imports {imported}" for imported in imported_names
                       if imported.split(".")[0] not in allowed | {room}]
    assert strays == []


def test_the_emulator_shares_no_code_with_the_client() -> None:
    shared = []
    for path in (HOUSE / "emulator").rglob("*.py"):
        depth = len(path.relative_to(HOUSE / "emulator").parts) - 1
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                outside = any(alias.name.startswith("bbpr") for alias in node.names)
            elif isinstance(node, ast.ImportFrom):  # a level above the emulator's package
                outside = (node.module or "").startswith("bbpr") or node.level > depth + 1
            else:
                continue
            if outside:
                shared.append(f"{path.name}:{node.lineno}")
    assert shared == []
    runners = {name for name, imported in house().items()
               if any(module.split(".")[0] == "emulator" for module in imported)}
    assert runners and all(name.startswith("cli.") for name in runners), runners


def test_no_module_of_cloud_imports_inside_a_function() -> None:
    inside: list[str] = []
    for path in (HOUSE / "cloud").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                inside += [f"{path.name}:{child.lineno}" for child in ast.walk(node)
                           if isinstance(child, ast.Import | ast.ImportFrom)]
    assert inside == []
