"""Flows and parsers reach the database only through the store.

The engine (`handlers/engine.py`) owns the transaction of a message; every other module under
handlers/ gets a `Store` with named operations and never a database session. This walks their
syntax trees: no import of the database layers, no `.session` attribute, no `session` name.
"""

from __future__ import annotations

import ast
from pathlib import Path

HANDLERS = Path(__file__).resolve().parents[2] / "handlers"
OWNS_THE_TRANSACTION = {"engine.py"}
# The database layers, and the storage modules of queries that take a session (the store wraps them).
FORBIDDEN_MODULES = (
    "sqlalchemy",
    "sqlmodel",
    "storage.db",
    "storage.upsert",
    "storage.conversation",
    "storage.outbox",
    "storage.submissions",
    "storage.callbacks",
    "storage.outreach",
)


def _forbidden(module: str) -> bool:
    return any(module == name or module.startswith(f"{name}.") for name in FORBIDDEN_MODULES)


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
            if _forbidden(module):
                found.append(f"{path.name}:{getattr(node, 'lineno', 0)} imports {module}")
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
        "from storage import outbox\n"
        "async def start(turn):\n"
        "    audit(turn.store.session, actor='x')\n"
    )
    assert len(_violations(leaky)) == 3


PARSERS = (
    *sorted(str(path.relative_to(HANDLERS)) for path in (HANDLERS / "enrol" / "steps").glob("*.py")),
    "enrol/parsers.py",
    "income.py",
)


def _root(node: ast.expr) -> str | None:
    """The name an attribute or item assignment changes: `draft` in `draft.raw["x"] = 1`."""
    while isinstance(node, ast.Attribute | ast.Subscript):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _changes(source: str, name: str) -> list[str]:
    """Awaits, and changes to the draft or the turn, in a parser module."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.AsyncFunctionDef | ast.Await):
            problems.append(f"{name}:{node.lineno} awaits")
        if isinstance(node, ast.Assign | ast.AugAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if _root(target) in ("draft", "turn"):
                    problems.append(f"{name}:{node.lineno} assigns to {ast.unparse(target)}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and _root(node.func.value) in ("draft", "turn")
            and node.func.attr in ("set", "update", "clear", "touch", "say", "say_text", "pop", "append")
        ):
            problems.append(f"{name}:{node.lineno} calls {ast.unparse(node.func)}")
    return problems


def test_parsers_are_plain_functions_that_change_nothing() -> None:
    """A step's parser reads the message and the draft and says what to change; the flow changes it."""
    problems = [p for name in PARSERS for p in _changes((HANDLERS / name).read_text(), name)]
    assert problems == []


def test_the_check_catches_a_parser_that_changes_things() -> None:
    leaky = (
        "async def parse(turn, draft):\n"
        "    draft.clear('nik')\n"
        "    turn.contact.phone = '+62812'\n"
        "    values = {}\n"
        "    values['ok'] = await check(turn)\n"
    )
    assert sorted(_changes(leaky, "leaky.py")) == [
        "leaky.py:1 awaits",
        "leaky.py:2 calls draft.clear",
        "leaky.py:3 assigns to turn.contact.phone",
        "leaky.py:5 awaits",
    ]
