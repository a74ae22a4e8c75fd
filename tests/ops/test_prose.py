"""Everything a worker reads lives in messages/: no Indonesian sentence hides in Python code.

The Indonesian vocabulary is not a hand-kept list: it is every word of the templates and of
the label files (of every language, messages/<lang>/), less the words the code itself uses in
English (identifiers, docstrings and comments outside quotes, the README's prose) and less the
one-word codes the code compares (statuses such as "baru", occupation codes such as "lainnya").
A string literal with two such words is a sentence; a regular expression with one is a keyword
list. Both belong in messages/.
"""

from __future__ import annotations

import ast
import io
import re
import tokenize
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from messages.data import catalogue

ROOT = Path(__file__).resolve().parents[2]
CODE = ("bot", "handlers", "storage", "messages")
ENGLISH_SOURCES = (*CODE, "tests", "bench")
WORD = re.compile(r"[a-z]{3,}")
QUOTED = re.compile(r"\"[^\"\n]*\"|`[^`\n]*`|“[^”\n]*”|'[^'\n]{2,}'")
JINJA = re.compile(r"\{[{%#].*?[}%#]\}", re.DOTALL)


def _words(text: str) -> set[str]:
    return set(WORD.findall(text.lower()))


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _python_files(*folders: str) -> list[Path]:
    return [path for folder in folders for path in sorted((ROOT / folder).rglob("*.py"))]


def _docstrings(tree: ast.AST) -> set[int]:
    """Ids of the string nodes that are docstrings (or other bare string statements)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def _english(path: Path) -> set[str]:
    source = path.read_text()
    tree = ast.parse(source)
    words: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            words |= _words(node.id.replace("_", " "))
        elif isinstance(node, ast.Attribute):
            words |= _words(node.attr.replace("_", " "))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            words |= _words(node.name.replace("_", " "))
        elif isinstance(node, ast.arg):
            words |= _words(node.arg.replace("_", " "))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
            words |= _words(QUOTED.sub(" ", str(node.value.value)))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            words |= _words(QUOTED.sub(" ", token.string))
    return words


def _codes(path: Path) -> set[str]:
    """One-word string literals: codes compared or stored, not read by a person."""
    tree = ast.parse(path.read_text())
    return {
        node.value.lower()
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and WORD.fullmatch(node.value.lower())
    }


@cache
def indonesian() -> frozenset[str]:
    said: set[str] = set()
    texts = catalogue()
    for lang in texts.languages:
        for template in (texts.root / lang / "templates").glob("*.j2"):
            said |= _words(JINJA.sub(" ", template.read_text()))
        for name in ("form", "labels"):
            for text in _strings(texts.data(name, lang)):
                said |= _words(text)
    english: set[str] = _words(
        QUOTED.sub(" ", re.sub(r"```.*?```", " ", (ROOT / "README.md").read_text(), flags=re.S))
    )
    for path in _python_files(*ENGLISH_SOURCES):
        english |= _english(path)
    for path in _python_files(*CODE):
        english |= _codes(path)
    return frozenset(said - english)


def _regex_literals(tree: ast.AST) -> set[int]:
    """Ids of the string literals passed to re.compile (or built into one with an f-string)."""
    found = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "compile"
            and node.args
        ):
            found |= {id(n) for n in ast.walk(node.args[0]) if isinstance(n, ast.Constant)}
    return found


def prose_in(source: str, name: str) -> list[str]:
    """The string literals of `source` that carry Indonesian words."""
    tree = ast.parse(source)
    skip, regexes = _docstrings(tree), _regex_literals(tree)
    vocabulary = indonesian()
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Constant) or not isinstance(node.value, str) or id(node) in skip:
            continue
        words = _words(node.value) & vocabulary
        if len(words) >= 2 or (words and id(node) in regexes):
            found.append(f"{name}:{node.lineno}: {sorted(words)} in {node.value[:60]!r}")
    return found


def test_no_indonesian_prose_in_python() -> None:
    offenders = [
        problem
        for path in _python_files(*CODE)
        for problem in prose_in(path.read_text(), str(path.relative_to(ROOT)))
    ]
    assert offenders == []


def test_the_vocabulary_is_built_from_the_messages() -> None:
    vocabulary = indonesian()
    assert len(vocabulary) > 200
    assert {"silakan", "penghasilan", "bulan", "mohon", "terima"} <= vocabulary
    assert not {"status", "menu", "phone", "the", "baru"} & vocabulary  # English words and codes


def test_the_check_finds_sentences_and_keyword_regexes() -> None:
    leaky = (
        "import re\n"
        "HINT = 'Ketik pesan lalu Enter'\n"
        "NOTE = f'data dihapus atas permintaan {who}'\n"
        "MONEY = re.compile(r'(gaji|penghasilan)')\n"
        "STATUS = 'baru'\n"
        "def f():\n"
        "    '''Handles \"kirim pendaftaran\" from the summary.'''\n"
    )
    assert [line.split(":")[1] for line in prose_in(leaky, "leaky.py")] == ["2", "3", "4"]
