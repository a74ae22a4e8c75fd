"""Reads the data files of messages/ (TOML), each file parsed once.

Language-neutral facts sit at the root (`programs.toml`, `branches.toml`...). A language's texts
and word lists sit in `<code>/` (`id/labels.toml`, `id/templates/`), and the registry
`languages.toml` says which languages there are and what each falls back to. Three lookups:

- `data(name)`: a language-neutral file;
- `data(name, lang)`: a language's file laid over what it falls back to, down to Indonesian
  (what a reply says: the person's language, and Indonesian for what it lacks);
- `typed_words(name)`: every language's file together, lists joined (what people may type, in any
  language: a person mixes them).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DEFAULT_LANGUAGE = "id"
"""Indonesian: every language falls back to it in the end, and it has every text."""


def read_toml(path: Path) -> dict[str, Any]:
    with path.open("rb") as handle:
        return tomllib.load(handle)


@dataclass(frozen=True)
class Language:
    code: str
    name: str
    fallback: str | None
    """The language whose texts fill in what this one lacks; None for Indonesian only."""


def _registry(raw: dict[str, Any]) -> dict[str, Language]:
    """languages.toml, checked: Indonesian is there, and every fallback leads to it."""
    languages: dict[str, Language] = {}
    for entry in raw.get("language", []):
        code = str(entry["code"])
        default = None if code == DEFAULT_LANGUAGE else DEFAULT_LANGUAGE
        languages[code] = Language(code, str(entry["name"]), entry.get("fallback", default))
    if DEFAULT_LANGUAGE not in languages or languages[DEFAULT_LANGUAGE].fallback is not None:
        raise ValueError(f"languages.toml: {DEFAULT_LANGUAGE!r} must be listed, without a fallback")
    for language in languages.values():
        seen = [language.code]
        while (fallback := languages[seen[-1]].fallback) is not None:
            if fallback not in languages or fallback in seen:
                raise ValueError(
                    f"languages.toml: {language.code!r} falls back to {fallback!r}: unknown or a loop"
                )
            seen.append(fallback)
    return languages


def plain(raw: dict[str, Any]) -> dict[str, Any]:
    """A language file as its readers use it: a list given with its source
    (`[answers.yes] source = [...] words = [...]`) becomes the list, and a table of values given
    with its source (`[numbers] source = [...]` + `[numbers.values]`) becomes that table. The
    sources stay in the file for the people who review the words."""
    flat: dict[str, Any] = {}
    for key, value in raw.items():
        if isinstance(value, dict) and set(value) == {"source", "words"}:
            flat[key] = value["words"]
        elif isinstance(value, dict) and set(value) == {"source", "values"}:
            flat[key] = value["values"]
        elif isinstance(value, dict):
            flat[key] = plain(value)
        else:
            flat[key] = value
    return flat


def _overlay(under: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` laid on `under`: tables merge key by key, anything else is replaced."""
    merged = dict(under)
    for key, value in over.items():
        below = merged.get(key)
        both_tables = isinstance(below, dict) and isinstance(value, dict)
        merged[key] = _overlay(below, value) if both_tables else value  # type: ignore[arg-type]
    return merged


def _union(first: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    """Both together: tables merge, lists are joined (first's order, then what is new), and for
    anything else `first` keeps its value."""
    joined = dict(first)
    for key, value in more.items():
        have = joined.get(key)
        if isinstance(have, dict) and isinstance(value, dict):
            joined[key] = _union(have, value)
        elif isinstance(have, list) and isinstance(value, list):
            joined[key] = have + [item for item in value if item not in have]
        elif key not in joined:
            joined[key] = value
    return joined


class Catalogue:
    """The message files under one folder (`messages/` itself, or a copy a test builds)."""

    def __init__(self, root: Path = HERE) -> None:
        self.root = root
        self.languages = _registry(read_toml(root / "languages.toml"))
        self._files: dict[tuple[str, str | None], dict[str, Any]] = {}
        self._words: dict[str, dict[str, Any]] = {}

    def chain(self, lang: str) -> tuple[str, ...]:
        """The language and those it falls back to, Indonesian last. An unknown code (a
        language since removed from the registry) reads as Indonesian: the person is answered."""
        code: str | None = lang if lang in self.languages else DEFAULT_LANGUAGE
        found = []
        while code is not None:
            found.append(code)
            code = self.languages[code].fallback
        return tuple(found)

    def data(self, name: str, lang: str | None = None) -> dict[str, Any]:
        """`<name>.toml` at the root (lang None), or the language's, over its fallbacks (cached:
        treat it as read-only)."""
        key = (name, None if lang is None else self.chain(lang)[0])
        if key not in self._files:
            self._files[key] = self._load(name, key[1])
        return self._files[key]

    def _load(self, name: str, lang: str | None) -> dict[str, Any]:
        if lang is None:
            return read_toml(self.root / f"{name}.toml")
        layers = [self.root / code / f"{name}.toml" for code in reversed(self.chain(lang))]
        if not layers[0].is_file():  # Indonesian has every file: a missing one is a wrong name
            raise FileNotFoundError(layers[0])
        merged: dict[str, Any] = {}
        for path in layers:
            if path.is_file():
                merged = _overlay(merged, plain(read_toml(path)))
        return merged

    def words(self, name: str) -> dict[str, Any]:
        """`<name>.toml` of every language together: Indonesian first, then the others in the
        registry's order, their word lists joined (cached: treat it as read-only)."""
        if name not in self._words:
            order = sorted(self.languages, key=lambda code: code != DEFAULT_LANGUAGE)
            joined: dict[str, Any] = {}
            for code in order:
                path = self.root / code / f"{name}.toml"
                if path.is_file():
                    joined = _union(joined, plain(read_toml(path)))
            if not joined:
                raise FileNotFoundError(self.root / DEFAULT_LANGUAGE / f"{name}.toml")
            self._words[name] = joined
        return self._words[name]

    def own(self, name: str, lang: str) -> dict[str, Any]:
        """`<lang>/<name>.toml` alone, without its fallbacks ({} when the language has none): which
        words are a language's own, to tell the way a person writes."""
        path = self.root / lang / f"{name}.toml"
        return plain(read_toml(path)) if path.is_file() else {}

    def template_folders(self, lang: str) -> list[Path]:
        """Where a language's templates are looked up, in order: its own, then its fallbacks'."""
        return [self.root / code / "templates" for code in self.chain(lang)]


@cache
def catalogue() -> Catalogue:
    """The service's own messages/ folder."""
    return Catalogue(HERE)


def data(name: str, lang: str | None = None) -> dict[str, Any]:
    """`messages/<name>.toml` (lang None: language-neutral facts), or `messages/<lang>/<name>.toml`
    over its fallbacks down to Indonesian (texts a reply uses). See `Catalogue.data`."""
    return catalogue().data(name, lang)


def ways_of_writing() -> tuple[str, ...]:
    """Every registered language, Indonesian first: what recognition reads."""
    return tuple(sorted(catalogue().languages, key=lambda code: code != DEFAULT_LANGUAGE))


def own_words(name: str, lang: str) -> dict[str, Any]:
    """One language's own word file (see `Catalogue.own`)."""
    return catalogue().own(name, lang)


def typed_words(name: str) -> dict[str, Any]:
    """What people may type, from `messages/<code>/<name>.toml` of every language together."""
    return catalogue().words(name)
