"""Texts by language: a language is its folder under messages/ plus one entry of languages.toml.

A made-up language ("xx") is added to a copy of messages/: it says the greeting its own way,
names one button and the months differently, and knows one more word for "yes". Everything it
does not say comes from Indonesian; replies use the person's language, and reading what people
type uses every language's words together.
"""

from __future__ import annotations

import ast
import shutil
from datetime import date
from pathlib import Path

import pytest
from sqlmodel import col, select, update

from handlers.flows.benefits import prices_on
from messages import render as render_module
from messages.data import DEFAULT_LANGUAGE, HERE, Catalogue, catalogue
from messages.render import Texts, render
from storage.db import Database
from storage.models import Contact
from tests.support.helpers import Chat

XX_MONTHS = [f"Bulan{n}" for n in range(1, 13)]


def made_up(tmp_path: Path) -> Catalogue:
    """messages/ copied, plus the language "xx": one template, one label, month names, one word."""
    root = tmp_path / "messages"
    shutil.copytree(HERE, root, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    with (root / "languages.toml").open("a") as registry:
        registry.write('\n[[language]]\ncode = "xx"\nname = "Bahasa contoh"\n')
    (root / "xx" / "templates").mkdir(parents=True)
    (root / "xx" / "templates" / "greeting.j2").write_text(
        'XX {{ name or "-" }}\n{% include "discount_note.j2" %}\n'
    )
    months = ", ".join(f'"{m}"' for m in XX_MONTHS)
    (root / "xx" / "labels.toml").write_text(
        f'[options]\nbenefits = "XX manfaat"\n\n[dates]\nmonths = [{months}]\n'
    )
    (root / "xx" / "intents.toml").write_text('[answers]\nyes = ["yebo"]\n')
    return Catalogue(root)


def greeting_context(name: str | None = None) -> dict[str, object]:
    return {"name": name, "has_draft": False, **prices_on(date(2026, 11, 21))}


def test_a_made_up_language_overrides_one_template_and_falls_back_for_the_rest(tmp_path: Path) -> None:
    texts = Texts(made_up(tmp_path))
    greeting = texts.render("greeting", "xx", **greeting_context("Siti"))
    assert greeting.startswith("XX Siti")
    assert texts.render("greeting", "id", **greeting_context("Siti")).startswith("Halo, Siti!")
    assert texts.render("menu", "xx", has_draft=False) == render("menu", has_draft=False)
    assert texts.label("benefits", "xx") == "XX manfaat"
    assert texts.label("calculator", "xx") == texts.label("calculator", "id") == "Hitung iuran"
    assert texts.label("consent_yes", "xx") == "Setuju"  # the form's buttons fall back too


def test_a_language_lays_its_entries_over_indonesian(tmp_path: Path) -> None:
    """A table it gives merges key by key: its month names, Indonesian's day names."""
    source = made_up(tmp_path)
    dates = source.data("labels", "xx")["dates"]
    assert dates["months"] == XX_MONTHS
    assert dates["days"] == source.data("labels", "id")["dates"]["days"]
    # The Indonesian discount note is included into the xx greeting, with xx's filters.
    greeting = Texts(source).render("greeting", "xx", **greeting_context())
    assert "sampai 31 Bulan12 2026" in greeting


def test_an_unknown_language_reads_as_indonesian(tmp_path: Path) -> None:
    source = made_up(tmp_path)
    assert source.chain("xx") == ("xx", "id")
    assert source.chain("zz") == ("id",)
    assert Texts(source).render("menu", "zz", has_draft=True) == render("menu", has_draft=True)


def test_recognition_reads_every_language_and_replies_read_one(tmp_path: Path) -> None:
    source = made_up(tmp_path)
    yes = source.words("intents")["answers"]["yes"]
    assert yes[0] == "ya" and "yebo" in yes  # Indonesian's first, then what xx adds
    no = source.words("intents")["answers"]["no"]
    indonesian_no = source.data("intents", "id")["answers"]["no"]
    assert no[: len(indonesian_no)] == indonesian_no and "yebo" not in no  # xx adds no "no"
    assert "yebo" not in source.data("intents", "id")["answers"]["yes"]


@pytest.mark.parametrize(
    ("entries", "problem"),
    [
        ('[[language]]\ncode = "jv"\nname = "Jawa"\n', "'id' must be listed"),
        (
            '[[language]]\ncode = "id"\nname = "I"\n[[language]]\ncode = "jv"\nname = "J"\nfallback = "yy"\n',
            "'yy'",
        ),
        (
            '[[language]]\ncode = "id"\nname = "I"\n'
            '[[language]]\ncode = "jv"\nname = "J"\nfallback = "mad"\n'
            '[[language]]\ncode = "mad"\nname = "M"\nfallback = "jv"\n',
            "a loop",
        ),
    ],
)
def test_the_registry_refuses_what_cannot_fall_back_to_indonesian(
    tmp_path: Path, entries: str, problem: str
) -> None:
    (tmp_path / "languages.toml").write_text(entries)
    with pytest.raises(ValueError, match=problem):
        Catalogue(tmp_path)


def test_indonesian_has_every_text_the_other_languages_have() -> None:
    """So that every language falls back to a complete set (and a template exists in all or none)."""
    source = catalogue()
    assert DEFAULT_LANGUAGE in source.languages
    indonesian = source.root / DEFAULT_LANGUAGE
    for code in source.languages:
        folder = source.root / code
        assert folder.is_dir(), f"{code} is registered but messages/{code}/ is missing"
        for path in folder.rglob("*"):
            if path.is_file():
                assert (indonesian / path.relative_to(folder)).is_file(), f"{path} has no Indonesian original"


HANDLERS = HERE.parent / "handlers"
# Text lookups and how many positional arguments name the language with the text.
WITH_LANGUAGE = {"render": 2, "render_field": 2, "label": 2, "labels": 1}


def unnamed_languages(source: str, name: str) -> list[str]:
    """Calls of the module-level text lookups that leave the language out (Indonesian by default)."""
    return [
        f"{name}:{node.lineno} {ast.unparse(node)[:60]}"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in WITH_LANGUAGE
        and len(node.args) < WITH_LANGUAGE[node.func.id]
    ]


def test_every_text_the_conversation_renders_names_its_language() -> None:
    """Flows speak through the turn (turn.say, turn.option, turn.render, turn.label), which says
    everything in the person's language; a lookup of its own says which language it wants."""
    modules = sorted(HANDLERS.rglob("*.py"))
    assert len(modules) > 20
    assert [p for path in modules for p in unnamed_languages(path.read_text(), path.name)] == []


def test_the_check_finds_a_text_without_its_language() -> None:
    leaky = 'x = render("menu", has_draft=False)\ny = label("menu", turn.lang)\nz = labels()["media"]\n'
    assert [line.split()[0] for line in unnamed_languages(leaky, "leaky.py")] == ["leaky.py:1", "leaky.py:3"]


def test_the_language_is_the_positional_argument() -> None:
    with pytest.raises(TypeError, match="positional"):
        render("menu", lang="id", has_draft=False)


async def test_the_engine_answers_in_the_contacts_language(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db: Database, chat: Chat
) -> None:
    texts = Texts(made_up(tmp_path))
    monkeypatch.setattr(render_module, "texts", lambda: texts)
    assert (await chat.say("halo")).startswith("Halo, Bapak/Ibu!")  # a new contact: Indonesian
    async with db.transaction() as session:
        await session.exec(update(Contact).where(col(Contact.chat_id) == chat.chat_id).values(language="xx"))
    assert (await chat.say("halo")).startswith("XX -")
    assert chat.last_labels()[:2] == ["XX manfaat", "Hitung iuran"]
    async with db.reader() as session:
        stored = (await session.exec(select(Contact).where(col(Contact.chat_id) == chat.chat_id))).one()
    assert stored.language == "xx"  # the turn wrote the contact back as it found it
