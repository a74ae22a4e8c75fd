"""Two rules of the house a reader relies on, read from the source (nothing is imported):

- a channel is named by hand only in its own package: the strings "telegram" and "whatsapp"
  appear as Python string literals and in templates only under `bot/channels/` (elsewhere the
  channel registry, `handlers.channels`, names them), so a new channel is one package and one
  registry line;
- no product module grows past `MAX_LINES`: past that, a module has a second responsibility.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.ops.test_imports import ROOT, product_modules

CHANNEL_NAMES = {"telegram", "whatsapp"}
MAX_LINES = 450
OWN_PLACE = ROOT / "bot" / "channels"
TEMPLATES = ("dashboard/templates", "messages")


def _python_literals(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), filename=str(path))
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
    ]


def channel_literals(root: Path = ROOT) -> list[str]:
    """Where a channel is named by hand outside its package: `path:line: value`."""
    found = []
    for path in product_modules(root).values():
        if path.is_relative_to(root / "bot" / "channels") or "migrations" in path.parts:
            continue
        for line, value in _python_literals(path):
            if value.strip().lower() in CHANNEL_NAMES:
                found.append(f"{path.relative_to(root)}:{line}: {value!r}")
    for folder in TEMPLATES:
        for path in sorted((root / folder).rglob("*")):
            if path.suffix not in {".html", ".j2"}:
                continue
            for line, text in enumerate(path.read_text().splitlines(), 1):
                for name in CHANNEL_NAMES:
                    if f"'{name}'" in text or f'"{name}"' in text:
                        found.append(f"{path.relative_to(root)}:{line}: {name!r}")
    return found


def test_channels_are_named_only_in_their_own_package() -> None:
    assert channel_literals() == []


def test_the_check_finds_a_channel_named_by_hand(tmp_path: Path) -> None:
    (tmp_path / "dashboard").mkdir()
    (tmp_path / "dashboard" / "page.py").write_text('"""Doc."""\nCHANNEL = "whatsapp"\n')
    (tmp_path / "dashboard" / "templates").mkdir()
    (tmp_path / "dashboard" / "templates" / "x.html").write_text("{% if c == 'telegram' %}{% endif %}\n")
    assert channel_literals(tmp_path) == [
        "dashboard/page.py:2: 'whatsapp'",
        "dashboard/templates/x.html:1: 'telegram'",
    ]


def test_no_product_module_has_a_second_responsibility_by_size() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for path in product_modules().values()
        if "migrations" not in path.parts and (n := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
