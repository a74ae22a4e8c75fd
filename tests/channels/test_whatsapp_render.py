"""Replies as WhatsApp messages: buttons, lists, numbered text, and the platform's length limits."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from bot.channels.whatsapp.render import (
    BUTTON_TITLE_LIMIT,
    INTERACTIVE_BODY_LIMIT,
    ROW_DESCRIPTION_LIMIT,
    ROW_TITLE_LIMIT,
    TEMPLATE_PARAMETER_LIMIT,
    TEXT_LIMIT,
    Buttons,
    ListMenu,
    Text,
    render_reply,
    shorten,
    split_text,
    template_parameter,
)
from messages.render import labels


def payload(text: str, *labels_: str, **extra: Any) -> dict[str, Any]:
    return {
        "text": text,
        "options": [{"id": f"o{i}", "label": label} for i, label in enumerate(labels_, start=1)],
        "ask_phone": False,
        **extra,
    }


def test_plain_text_is_one_text_message() -> None:
    assert render_reply(payload("Halo")) == [Text("Halo")]


def test_up_to_three_options_are_reply_buttons() -> None:
    parts = render_reply(payload("Lanjut?", "Ya", "Tidak"))
    assert parts == [Buttons("Lanjut?", (("o1", "Ya"), ("o2", "Tidak")))]
    three = render_reply(payload("Pilih", "A", "B", "C"))
    assert isinstance(three[0], Buttons) and len(three[0].buttons) == 3


def test_button_titles_are_cut_to_twenty_characters_at_a_word() -> None:
    (part,) = render_reply(payload("Program?", "JKK (kecelakaan kerja)", "JKM (kematian)", "JHT (hari tua)"))
    assert isinstance(part, Buttons)
    titles = [title for _, title in part.buttons]
    assert all(len(t) <= BUTTON_TITLE_LIMIT for t in titles)
    assert titles[0] == "JKK (kecelakaan…"
    assert titles[1:] == ["JKM (kematian)", "JHT (hari tua)"]


def test_buttons_that_would_look_alike_are_numbered() -> None:
    (part,) = render_reply(
        payload("?", "Pekerjaan lain di pasar tradisional", "Pekerjaan lain di pasar modern")
    )
    assert isinstance(part, Buttons)
    titles = [title for _, title in part.buttons]
    assert len(set(titles)) == 2 and titles[0].startswith("1. ") and titles[1].startswith("2. ")
    assert all(len(t) <= BUTTON_TITLE_LIMIT for t in titles)


def test_four_to_ten_options_are_a_list_with_descriptions_for_long_labels() -> None:
    labels_ = [
        "Manfaat program",
        "Hitung iuran",
        "Daftar sekarang",
        "Cek status",
        "Jadwal sosialisasi",
        "Pedagang pasar, pedagang kaki lima dan asongan",
    ]
    (part,) = render_reply(payload("Menu", *labels_))
    assert isinstance(part, ListMenu)
    assert part.button == labels()["whatsapp"]["list_button"] and len(part.button) <= 20
    assert part.section == labels()["whatsapp"]["list_section"] and len(part.section) <= 24
    assert [r.id for r in part.rows] == [f"o{i}" for i in range(1, 7)]
    assert all(len(r.title) <= ROW_TITLE_LIMIT for r in part.rows)
    assert part.rows[0].title == "Manfaat program" and part.rows[0].description is None
    long = part.rows[-1]
    assert long.title.endswith("…") and long.description == labels_[-1]
    ten = render_reply(payload("Menu", *[f"Pilihan {i}" for i in range(10)]))
    assert isinstance(ten[0], ListMenu) and len(ten[0].rows) == 10


def test_an_option_description_is_kept_and_cut_to_the_row_limit() -> None:
    options = [
        {"id": f"k{i}", "label": f"KC {i}", "description": "Kantor Cabang " + "x" * 100} for i in range(5)
    ]
    (part,) = render_reply({"text": "Kantor cabang?", "options": options})
    assert isinstance(part, ListMenu)
    assert all(r.description and len(r.description) <= ROW_DESCRIPTION_LIMIT for r in part.rows)


def test_more_than_ten_options_are_numbered_text() -> None:
    labels_ = [f"Kecamatan {i}" for i in range(1, 13)]
    (part,) = render_reply(payload("Kecamatan mana?", *labels_))
    assert isinstance(part, Text)
    assert part.body.startswith("Kecamatan mana?\n\n1. Kecamatan 1\n2. Kecamatan 2")
    assert part.body.endswith("12. Kecamatan 12")


def test_a_long_body_goes_first_as_text_then_the_choice_with_a_short_body() -> None:
    text = "\n\n".join(f"Paragraf {i}: " + "kata " * 40 for i in range(8))
    assert len(text) > INTERACTIVE_BODY_LIMIT
    parts = render_reply(payload(text, "Ya", "Tidak"))
    assert isinstance(parts[0], Text) and parts[0].body == text.strip()
    assert parts[-1] == Buttons(labels()["whatsapp"]["choose"], (("o1", "Ya"), ("o2", "Tidak")))
    listed = render_reply(payload(text, *"ABCDE"))
    assert isinstance(listed[-1], ListMenu) and listed[-1].body == labels()["whatsapp"]["choose"]
    exactly = render_reply(payload("x" * INTERACTIVE_BODY_LIMIT, "Ya"))
    assert len(exactly) == 1 and isinstance(exactly[0], Buttons)


def test_long_text_is_split_at_paragraphs_within_4096() -> None:
    paragraphs = [f"P{i} " + "a" * 1500 for i in range(5)]
    pieces = split_text("\n\n".join(paragraphs))
    assert all(len(p) <= TEXT_LIMIT for p in pieces)
    assert pieces == ["\n\n".join(paragraphs[0:2]), "\n\n".join(paragraphs[2:4]), paragraphs[4]]
    parts = render_reply(payload("\n\n".join(paragraphs)))
    assert [p.body for p in parts if isinstance(p, Text)] == pieces


def test_a_paragraph_longer_than_the_limit_is_split_at_lines_then_words() -> None:
    line = "kata " * 300  # 1500 characters, no paragraph break
    pieces = split_text("\n".join([line.strip()] * 4))
    assert all(len(p) <= TEXT_LIMIT for p in pieces) and len(pieces) == 2
    words = split_text(("kata " * 2000).strip())
    assert all(len(p) <= TEXT_LIMIT for p in words)
    assert " ".join(words) == ("kata " * 2000).strip()
    assert split_text("x" * 9000) == ["x" * 4096, "x" * 4096, "x" * 808]


@given(st.text(alphabet=st.sampled_from("ab \n"), max_size=12000))
def test_split_never_exceeds_the_limit_nor_loses_words(text: str) -> None:
    pieces = split_text(text, limit=500)
    assert all(0 < len(p) <= 500 for p in pieces)
    assert "".join("".join(pieces).split()) == "".join(text.split())


def test_shorten_keeps_short_text_and_marks_a_cut() -> None:
    assert shorten("Ya", 20) == "Ya"
    assert shorten("Tidak, terima kasih", 20) == "Tidak, terima kasih"
    assert shorten("Supercalifragilisticexpialidocious", 20) == "Supercalifragilisti…"
    assert len(shorten("Supercalifragilisticexpialidocious", 20)) == 20


def test_template_parameter_is_one_line_with_numbered_options_and_capped() -> None:
    value = template_parameter(payload("Pendaftaran Bapak sudah kami terima.\n\nCek status?", "Ya", "Tidak"))
    assert value == "Pendaftaran Bapak sudah kami terima. · Cek status? · 1. Ya · 2. Tidak"
    assert "\n" not in value and "\t" not in value
    long = template_parameter(payload("kata " * 1000))
    assert len(long) <= TEMPLATE_PARAMETER_LIMIT and "     " not in long
