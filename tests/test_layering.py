"""Flows and parsers reach the database only through the store.

The engine (`handlers/engine.py`) owns the transaction of a message; every other module under
handlers/ gets a `Store` with named operations and never a database session. This walks their
syntax trees: no import of the database layers, no `.session` attribute, no `session` name.
"""

from __future__ import annotations

import ast
from pathlib import Path

HANDLERS = Path(__file__).resolve().parent.parent / "handlers"
OWNS_THE_TRANSACTION = {"engine.py"}
FORBIDDEN_MODULES = ("sqlalchemy", "sqlmodel", "storage.db", "storage.queries", "storage.submissions")


def _violations(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""]
            if node.module == "storage":
                modules += [f"storage.{alias.name}" for alias in node.names]
        else:
            modules = []
        for module in modules:
            if module.startswith(FORBIDDEN_MODULES):
                found.append(f"{path.name}:{node.lineno} imports {module}")
        if isinstance(node, ast.Attribute) and node.attr in ("session", "_session"):
            found.append(f"{path.name}:{node.lineno} uses .{node.attr}")
        if isinstance(node, ast.Name) and node.id == "session":
            found.append(f"{path.name}:{node.lineno} uses a session")
    return found


def test_no_flow_or_parser_touches_a_database_session() -> None:
    modules = [p for p in HANDLERS.rglob("*.py") if p.name not in OWNS_THE_TRANSACTION]
    assert len(modules) > 20  # the walk found the package
    problems = [problem for path in modules for problem in _violations(path)]
    assert problems == []


def test_the_check_catches_a_flow_that_reaches_past_the_store(tmp_path: Path) -> None:
    leaky = tmp_path / "leaky.py"
    leaky.write_text(
        "from storage.submissions import audit\n"
        "from storage import queries\n"
        "async def start(turn):\n"
        "    audit(turn.store.session, actor='x')\n"
    )
    assert len(_violations(leaky)) == 3
