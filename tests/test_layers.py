"""The package's layers run one way: no package imports a later stage, and no two packages import each other.

Data flows recipe -> data -> train -> eval -> cards -> publish -> serve; the shared base (errors, paths, the
validation-error format, versions, recipes, the Hub target and the embedded Hub) is below every stage, and the
CLI above all of them. Imports are read from the source (every `import`, lazy ones inside functions and
`TYPE_CHECKING` ones included), so a lazy import that reaches up a layer counts as much as a top-level one.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "hubtools"

# Each package's rank: a package may import its own rank or lower. Top-level modules of `hubtools` not listed here
# (errors.py, paths.py, _validation.py, versions.py, __init__.py) are base.
LAYERS = {
    "errors": 0,
    "paths": 0,
    "_validation": 0,
    "versions": 0,
    "recipes": 0,
    "hub": 0,
    "data": 1,
    "train": 2,
    "evaluation": 3,
    "cards": 4,
    "serve": 5,
    "community": 6,
    "release": 7,
    "cli": 8,
    "__main__": 8,
}
BASE = 0

# Known edges against the layers, being moved: remove each entry once its import is gone (the test then fails on
# the entry itself, so the list cannot go stale).
ALLOWED: set[tuple[str, str]] = set()


def package_of(module: str) -> str | None:
    """`hubtools.data.push` -> `data`; `hubtools` itself (its `__version__`) -> None."""
    parts = module.split(".")
    return parts[1] if parts[0] == "hubtools" and len(parts) > 1 else None


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path) -> Iterator[tuple[str, int]]:
    """Every module an `import` in `path` names (relative imports resolved), with its line."""
    here = module_name(path, root)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            yield source, node.lineno
            for alias in node.names:  # `from hubtools import data` imports the package `hubtools.data`
                yield f"{source}.{alias.name}", node.lineno


def package_edges(root: Path = PACKAGE) -> dict[tuple[str, str], list[str]]:
    """(importing package, imported package) -> where (`file:line`), for imports between different packages."""
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        source = package_of(module_name(path, root)) or "__init__"
        for target_module, line in imported_modules(path, root):
            target = package_of(target_module)
            if target is None or target == source:
                continue
            if not (root / target).is_dir() and not (root / f"{target}.py").is_file():
                continue  # `from hubtools import __version__`: a name, not a module
            where = edges.setdefault((source, target), [])
            if f"{path.relative_to(root.parent)}:{line}" not in where:  # `from X import Y` names X and X.Y
                where.append(f"{path.relative_to(root.parent)}:{line}")
    return edges


def rank(package: str) -> int:
    return LAYERS.get(package, BASE)


def test_every_package_has_a_layer():
    packages = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
    assert packages - set(LAYERS) == set(), "add the new package to LAYERS"


def test_no_package_imports_a_later_stage():
    edges = package_edges()
    upward = {
        f"{source} -> {target}: {', '.join(where)}"
        for (source, target), where in edges.items()
        if rank(target) > rank(source) and (source, target) not in ALLOWED
    }
    assert not upward, sorted(upward)


def test_the_allowed_exceptions_still_exist():
    edges = package_edges()
    gone = {edge for edge in ALLOWED if edge not in edges}
    assert not gone, f"no longer imported: remove {sorted(gone)} from ALLOWED"


def test_no_package_level_cycles():
    graph: dict[str, set[str]] = {}
    for source, target in package_edges():
        graph.setdefault(source, set()).add(target)
    cycles = set()
    for start in graph:  # a depth-first search from each package back to itself
        stack = [(start, (start,))]
        while stack:
            node, path = stack.pop()
            for nxt in graph.get(node, ()):
                if nxt == start:
                    first = min(path[i:] + path[:i] for i in range(len(path)))  # one spelling per cycle
                    cycles.add(" -> ".join((*first, first[0])))
                elif nxt not in path:
                    stack.append((nxt, (*path, nxt)))
    cycles = {cycle for cycle in cycles if not _through_allowed(cycle)}
    assert not cycles, sorted(cycles)


def _through_allowed(cycle: str) -> bool:
    """A cycle that only closes through a known, allowed edge is reported by that edge's entry, not twice."""
    names = cycle.split(" -> ")
    return any(edge in ALLOWED for edge in zip(names, names[1:], strict=False))


def module_cycles(root: Path, package: str) -> list[list[str]]:
    """Groups of modules of `hubtools.<package>` that import each other, directly or round a loop."""
    modules = {module_name(path, root): path for path in (root / package).rglob("*.py")}
    graph = {
        name: {target for target, _ in imported_modules(path, root) if target in modules and target != name}
        for name, path in modules.items()
    }

    def reach(start: str) -> set[str]:
        seen, todo = set(), [start]
        while todo:
            for target in graph[todo.pop()] - seen:
                seen.add(target)
                todo.append(target)
        return seen

    reachable = {name: reach(name) for name in graph}
    groups = {frozenset({name} | {other for other in reachable[name] if name in reachable[other]}) for name in graph}
    return sorted(sorted(group) for group in groups if len(group) > 1)


def test_the_embedded_hub_has_no_module_cycles():
    """The server imports its route and transport modules; they see it through protocols, never import it back."""
    assert module_cycles(PACKAGE, "hub") == []


@pytest.mark.parametrize(
    ("source", "target", "expected"),
    [
        ("from hubtools.cards.model_card import render\n", "data/x.py", ("data", "cards")),
        ("def f():\n    from hubtools import release\n", "train/x.py", ("train", "release")),
        ("from ..serve import resolve\n", "evaluation/sub/x.py", None),  # relative: hubtools.evaluation.serve
        ("from ...serve import resolve\n", "evaluation/sub/x.py", ("evaluation", "serve")),
        ("import hubtools.cli._common\n", "community/x.py", ("community", "cli")),
    ],
)
def test_imports_are_found_where_they_hide(tmp_path, source, target, expected):
    """The walker sees lazy, relative and `from hubtools import PACKAGE` imports (or the test above could pass
    on a tree that breaks the layers)."""
    root = tmp_path / "hubtools"
    for package in ("data", "train", "evaluation", "evaluation/sub", "cards", "serve", "release", "cli", "community"):
        (root / package).mkdir(parents=True, exist_ok=True)
        (root / package / "__init__.py").write_text("")
    (root / "__init__.py").write_text("")
    (root / target).write_text(source)
    found = set(package_edges(root))
    assert found == ({expected} if expected else set())
