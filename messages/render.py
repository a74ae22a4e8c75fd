"""Renders the message templates and labels in the reader's language.

A language's templates are looked up in its own folder, then in those it falls back to, down to
Indonesian (`messages/id/templates/`), one Jinja2 environment per language. The module-level
functions use the service's own catalogue; `Texts` renders from any (a test builds its own).

The language is the second argument, and positional only: `render("menu", turn.lang, name=...)`.
Every other keyword is the template's context, so a context dict never collides with it; the
name `lang` itself is refused there, so that `render("menu", lang="jv")` cannot quietly render
Indonesian.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping
from functools import cache
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from messages.data import DEFAULT_LANGUAGE, Catalogue, catalogue
from messages.format import DateNames, format_number, format_rupiah
from messages.program_data import parse_occupations

AUTO_RELOAD = os.environ.get("TEMPLATES_AUTO_RELOAD", "") == "1"
"""Whether Jinja looks at a template's file again before each use (one `stat` per render).
Off unless `TEMPLATES_AUTO_RELOAD=1` (someone editing templates while the service runs): a
template is read once per process. Every Jinja environment of the service follows it."""


class Texts:
    """The templates and labels of one catalogue, by language; each environment built once."""

    def __init__(self, source: Catalogue) -> None:
        self.source = source
        self._environments: dict[str, Environment] = {}
        self._names: frozenset[str] | None = None
        self._fields: dict[tuple[str, str], Template] = {}

    def _code(self, lang: str) -> str:
        """The language the texts are in: `lang`, or Indonesian for a code not registered."""
        return self.source.chain(lang)[0]

    def environment(self, lang: str) -> Environment:
        code = self._code(lang)
        if code not in self._environments:
            self._environments[code] = self._build(code)
        return self._environments[code]

    def _build(self, lang: str) -> Environment:
        env = _Environment(
            loader=FileSystemLoader(self.source.template_folders(lang)),
            autoescape=False,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=AUTO_RELOAD,
        )
        dates = DateNames.of(self.labels(lang))
        statuses = self.source.data("form", lang)["statuses"]
        env.filters["rupiah"] = format_rupiah
        env.filters["number"] = format_number
        env.filters["tanggal"] = dates.long
        env.filters["tgl"] = dates.short
        env.filters["months"] = dates.span
        env.filters["status"] = lambda code: statuses.get(code, code)
        raw = self.source.data("programs")
        env.globals["programs"] = {
            **raw["programs"],
            "payment": raw["payment"],
            "income": raw["income"],
            "last_checked": raw["last_checked"],
        }
        # The places confirmed to take BPU contributions (payment.toml), named where a text says
        # where to pay; any other place is answered by the payment questions.
        env.globals["pay_at"] = [
            c["name"] for c in self.source.data("payment")["channel"] if c["status"] == "confirmed"
        ]
        env.globals["occupation_groups"] = self.labels(lang)["groups"]
        env.globals["occupations"] = parse_occupations(self.source, lang)
        return env

    def render(self, template: str, lang: str, /, **context: Any) -> str:
        """Renders `<template>.j2`; surrounding blank lines are trimmed."""
        _no_language_in(context)
        text = self.environment(lang).get_template(f"{template}.j2").render(**context)
        return "\n".join(line.rstrip() for line in text.strip().splitlines())

    def has_template(self, name: str) -> bool:
        """Whether there is a template `<name>.j2`. Indonesian has every template, and every
        language falls back to it, so the answer is the same in every language."""
        if self._names is None:
            self._names = frozenset(self.environment(DEFAULT_LANGUAGE).list_templates(extensions=["j2"]))
        return f"{name}.j2" in self._names

    def render_field(self, name: str, lang: str, /, **context: Any) -> str:
        """How a form field reads in the summary and in "data saya" (form.toml [show])."""
        _no_language_in(context)
        key = (name, self._code(lang))
        if key not in self._fields:
            shows = self.source.data("form", lang)["show"]
            self._fields[key] = self.environment(lang).from_string(shows.get(name, shows["default"]))
        return self._fields[key].render(**context).strip()

    def labels(self, lang: str) -> dict[str, Any]:
        """labels.toml: button labels, channel words, date and region names."""
        return self.source.data("labels", lang)

    def label(self, key: str, lang: str, /, **fmt: str) -> str:
        """A button or list label: labels.toml [options], else the form's buttons (form.toml),
        with `{placeholders}` filled in: label("use_known_phone", "id", phone="0812-…")."""
        _no_language_in(fmt)
        value: str = self.labels(lang)["options"].get(key) or self.source.data("form", lang)["buttons"][key]
        return value.format(**fmt) if fmt else value


def _no_language_in(context: dict[str, Any]) -> None:
    if "lang" in context:
        raise TypeError("the language is the second positional argument, not lang=...")


@cache
def texts() -> Texts:
    """The service's own texts (messages/)."""
    return Texts(catalogue())


class _Environment(Environment):
    """Jinja's environment, with each template's globals one plain dict.

    Jinja keeps them as a ChainMap over the environment's, and copies them into every
    rendering's context: iterating a ChainMap is Python code, a tenth of a message's routing.
    The environment's globals are all set (`Texts._build`) before any template is loaded."""

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return dict(super().make_globals(d))


def render(template: str, lang: str = DEFAULT_LANGUAGE, /, **context: Any) -> str:
    """Renders `<lang>/templates/<template>.j2` (or its fallback's); blank lines around it trimmed."""
    return texts().render(template, lang, **context)


def render_field(name: str, lang: str = DEFAULT_LANGUAGE, /, **context: Any) -> str:
    """How a form field reads in the summary and in "data saya" (form.toml [show])."""
    return texts().render_field(name, lang, **context)


def has_template(name: str) -> bool:
    """Whether there is a template `<name>.j2` (in every language, since all fall back to Indonesian)."""
    return texts().has_template(name)


def environment(lang: str = DEFAULT_LANGUAGE) -> Environment:
    """The language's Jinja2 environment: its filters (rupiah, dates, statuses) serve other
    templates too (the session poster)."""
    return texts().environment(lang)


def labels(lang: str = DEFAULT_LANGUAGE) -> dict[str, Any]:
    """labels.toml of `lang`, over its fallbacks."""
    return texts().labels(lang)


def label(key: str, lang: str = DEFAULT_LANGUAGE, /, **fmt: str) -> str:
    """A button or list label in `lang`; see `Texts.label`."""
    return texts().label(key, lang, **fmt)
