"""The staff side keeps to its floor and has no import cycles.

`dashboard/` sits below the running app (`bot/`): no module of it imports `bot`, at module
level, inside a function or under TYPE_CHECKING. Among its own modules no import leads back to
where it started: each face (`dashboard/web`, `dashboard/api`) has one assembly module that
imports the page or route modules, and they import nothing back. Every import statement counts,
lazy ones and TYPE_CHECKING ones too, since each still ties the two modules together.

Run as a script (`python -m tests.test_dashboard_imports`) it prints what it found.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "dashboard"
ABOVE = ("bot",)
"""Floors above the staff side: never imported from it."""


def modules(root: Path, package: str) -> dict[str, Path]:
    """Every module of the package by its dotted name (a package by its own name)."""
    found = {}
    for path in sorted((root / package).rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported(path: Path, name: str, known: set[str]) -> Iterator[tuple[int, str]]:
    """(line, module) for every import in the file: `from a import b` names `a.b` when that is
    a module, else `a`; relative imports are resolved against `name`."""
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".")
                anchor = anchor if is_package else anchor[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                target = f"{base}.{alias.name}"
                yield node.lineno, target if target in known else base


def graph(root: Path, package: str) -> tuple[dict[str, set[str]], list[str]]:
    """The package's import edges among its own modules, and every import of a floor above."""
    found = modules(root, package)
    known = set(found)
    edges: dict[str, set[str]] = {name: set() for name in found}
    above: list[str] = []
    for name, path in found.items():
        for line, target in imported(path, name, known):
            problem = f"{path.relative_to(root)}:{line} imports {target}"
            if target.split(".")[0] in ABOVE and problem not in above:
                above.append(problem)
            elif target in known and target != name:
                edges[name].add(target)
    return edges, above


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(edges.get(node, ())):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(groups)


def test_the_staff_side_imports_nothing_of_the_app_above_it() -> None:
    edges, above = graph(ROOT, PACKAGE)
    assert len(edges) > 50  # the walk found the package
    assert above == []


def test_no_import_cycle_among_the_staff_modules() -> None:
    edges, _above = graph(ROOT, PACKAGE)
    assert cycles(edges) == []


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    for name, source in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)
    return tmp_path


def test_the_checks_catch_a_cycle_and_a_lazy_import_from_above(tmp_path: Path) -> None:
    root = _package(
        tmp_path,
        {
            "pkg/__init__.py": "",
            "pkg/web/__init__.py": "",
            "pkg/web/pages.py": "from pkg.web.queue import add_queue\n",
            "pkg/web/queue.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from pkg.web.pages import Pages\n"
                "def add_queue():\n    from bot.service import Service\n"
            ),
            "pkg/web/detail.py": "from . import queue\nfrom .queue import add_queue\n",
        },
    )
    edges, above = graph(root, "pkg")
    assert edges["pkg.web.detail"] == {"pkg.web.queue"}
    assert cycles(edges) == [["pkg.web.pages", "pkg.web.queue"]]
    assert above == ["pkg/web/queue.py:5 imports bot.service"]


if __name__ == "__main__":
    found_edges, found_above = graph(ROOT, PACKAGE)
    for problem in found_above:
        print(problem)
    found_cycles = cycles(found_edges)
    for group in found_cycles:
        print("cycle:", " <-> ".join(group))
    print(f"{len(found_edges)} modules, {len(found_above)} imports from above, {len(found_cycles)} cycles")
