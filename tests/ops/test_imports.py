"""The floors hold and no product module imports itself around a circle.

Floors, each importing only those below it: `storage` and `messages` (the ground floor, which
may use each other's plain data) -> `handlers` -> `dashboard` -> `bot`. Every import counts:
at module level, inside a function, and under `TYPE_CHECKING`, since each is a dependency a
reader must follow. The walk reads syntax trees; nothing is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("storage", "messages", "handlers", "dashboard", "bot")
FLOOR = {"storage": 0, "messages": 0, "handlers": 1, "dashboard": 2, "bot": 3}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def product_modules(root: Path = ROOT) -> dict[str, Path]:
    return {
        module_name(path, root): path
        for package in PACKAGES
        if (root / package).is_dir()
        for path in sorted((root / package).rglob("*.py"))
    }


def imports_of(name: str, path: Path, known: Iterable[str]) -> set[str]:
    """The product modules `name` imports, resolved to the longest known module name."""
    known = set(known)
    is_package = path.name == "__init__.py"
    found: set[str] = set()

    def resolve(target: str) -> None:
        parts = target.split(".")
        while parts:
            candidate = ".".join(parts)
            if candidate in known:
                if candidate != name:
                    found.add(candidate)
                return
            parts.pop()

    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                resolve(alias.name)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = name.split(".") if is_package else name.split(".")[:-1]
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                resolve(f"{base}.{alias.name}")
    return found


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    modules = product_modules(root)
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def upward_imports(edges: Mapping[str, set[str]]) -> list[str]:
    problems = []
    for source, targets in sorted(edges.items()):
        for target in sorted(targets):
            if FLOOR[target.split(".")[0]] > FLOOR[source.split(".")[0]]:
                problems.append(f"{source} imports {target} (a higher floor)")
    return problems


def cycles(edges: Mapping[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0

    def visit(node: str) -> None:
        nonlocal counter
        index[node] = low[node] = counter
        counter += 1
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
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_walk_finds_the_product() -> None:
    edges = graph()
    assert len(edges) > 100
    assert "handlers.engine" in edges and "storage.db" in edges["handlers.engine"]


def test_no_module_imports_a_higher_floor() -> None:
    assert upward_imports(graph()) == []


def test_no_import_cycles() -> None:
    assert cycles(graph()) == []


TYPE_ONLY = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"


def _tree(root: Path, files: Mapping[str, str]) -> None:
    for relative, source in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(source)


def test_the_walk_catches_an_upward_import_even_a_lazy_one(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "storage/__init__.py": "",
            "storage/db.py": "def f():\n    from bot.service import build\n",
            "bot/__init__.py": "",
            "bot/service.py": TYPE_ONLY + "    from storage import db\n",
        },
    )
    assert upward_imports(graph(tmp_path)) == ["storage.db imports bot.service (a higher floor)"]


def test_the_walk_catches_a_cycle_through_relative_and_type_checking_imports(tmp_path: Path) -> None:
    _tree(
        tmp_path,
        {
            "dashboard/__init__.py": "",
            "dashboard/web/__init__.py": "",
            "dashboard/web/pages.py": "from .queue import add_queue_routes\n",
            "dashboard/web/queue.py": TYPE_ONLY + "    from dashboard.web.pages import StaffPages\n",
            "dashboard/web/alone.py": "from dashboard.web import queue\n",
        },
    )
    assert cycles(graph(tmp_path)) == [["dashboard.web.pages", "dashboard.web.queue"]]
