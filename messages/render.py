"""Renders the Indonesian message templates and labels."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template

from messages.data import data
from messages.form_labels import form_labels
from messages.format import format_date, format_rupiah, format_short_date
from messages.program_data import occupations, program_data

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"


def labels() -> dict[str, Any]:
    return data("labels")


def label(key: str, **fmt: str) -> str:
    """A button or list label: labels.toml [options], else the form's buttons (form.toml),
    with `{placeholders}` filled in: label("use_known_phone", phone="0812-…")."""
    value: str = labels()["options"].get(key) or form_labels()["buttons"][key]
    return value.format(**fmt) if fmt else value


@cache
def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=False,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["rupiah"] = format_rupiah
    env.filters["tanggal"] = format_date
    env.filters["tgl"] = format_short_date
    env.filters["status"] = lambda code: form_labels()["statuses"].get(code, code)
    raw = program_data().raw
    env.globals["programs"] = {
        **raw["programs"],
        "payment": raw["payment"],
        "income": raw["income"],
        "last_checked": raw["last_checked"],
    }
    env.globals["occupation_groups"] = labels()["groups"]
    env.globals["occupations"] = occupations()
    return env


def has_template(name: str) -> bool:
    return (TEMPLATES / f"{name}.j2").is_file()


def template_names() -> list[str]:
    return sorted(p.stem for p in TEMPLATES.glob("*.j2"))


@cache
def _field_template(name: str) -> Template:
    shows = form_labels()["show"]
    return environment().from_string(shows.get(name, shows["default"]))


def render_field(name: str, **context: Any) -> str:
    """How a form field reads in the summary and in "data saya" (form.toml [show])."""
    return _field_template(name).render(**context).strip()


def render(template: str, **context: Any) -> str:
    """Renders `templates/<name>.j2`; surrounding blank lines are trimmed."""
    text = environment().get_template(f"{template}.j2").render(**context)
    return "\n".join(line.rstrip() for line in text.strip().splitlines())
