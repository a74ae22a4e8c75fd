"""Telegram rendering: splitting long texts, keyboard layout, the phone keyboard and its removal."""

from __future__ import annotations

from aiogram.types import InlineKeyboardMarkup, ReplyKeyboardMarkup, ReplyKeyboardRemove
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.telegram.render import (
    SendText,
    callback_data,
    inline_keyboard,
    phone_keyboard,
    plan,
    rows,
    split_text,
    utf16_len,
)
from messages.render import label

MENU = [
    {"id": "menu.benefits", "label": "Manfaat program"},
    {"id": "menu.calculator", "label": "Hitung iuran"},
    {"id": "menu.enrol", "label": "Daftar sekarang"},
    {"id": "menu.status", "label": "Cek status"},
    {"id": "menu.sessions", "label": "Jadwal sosialisasi"},
    {"id": "menu.help", "label": "Bantuan"},
]


def test_a_short_text_is_one_part() -> None:
    assert split_text("Halo") == ["Halo"]
    assert split_text("x" * 4096) == ["x" * 4096]


def test_long_text_is_split_at_paragraph_boundaries() -> None:
    paragraphs = [f"Paragraf {i}: " + "kata " * 150 for i in range(12)]  # ~760 characters each
    parts = split_text("\n\n".join(p.strip() for p in paragraphs))
    assert len(parts) > 1
    assert all(utf16_len(part) <= 4096 for part in parts)
    for part in parts:  # every part starts a paragraph and ends one
        assert part.startswith("Paragraf ") and part.endswith("kata")
    assert "\n\n".join(parts) == "\n\n".join(p.strip() for p in paragraphs)


def test_a_paragraph_longer_than_the_limit_is_cut_at_lines_then_words() -> None:
    lines = "\n".join(f"baris {i} " + "x" * 90 for i in range(100))
    parts = split_text(lines)
    assert all(utf16_len(p) <= 4096 for p in parts)
    assert all(p.startswith("baris ") for p in parts)
    words = " ".join(["kata"] * 2000)
    assert all(p.startswith("kata") and p.endswith("kata") for p in split_text(words))
    assert split_text("y" * 5000) == ["y" * 4096, "y" * 904]


def test_emoji_count_twice_as_telegram_does() -> None:
    text = "👋" * 3000  # 6000 UTF-16 units
    parts = split_text(text)
    assert [utf16_len(p) for p in parts] == [4096, 1904]


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.text(alphabet=st.sampled_from("ab 👋\n"), min_size=0, max_size=900), min_size=1, max_size=15),
    st.integers(min_value=20, max_value=600),
)
def test_splitting_never_exceeds_the_limit_and_keeps_the_words(paragraphs: list[str], limit: int) -> None:
    text = "\n\n".join(paragraphs)
    parts = split_text(text, limit)
    assert all(utf16_len(p) <= limit for p in parts)
    assert "".join(" ".join(parts).split()) == "".join(text.split())


def test_short_labels_pair_up_long_ones_stand_alone() -> None:
    assert rows(["Ya", "Tidak"]) == [[0, 1]]
    assert rows([o["label"] for o in MENU]) == [[0, 1], [2, 3], [4, 5]]
    assert rows(["Ojek / sopir / kurir dan lainnya", "Pekerjaan lain"]) == [[0], [1]]
    assert rows(["A", "A very long label indeed, really", "B", "C", "D"]) == [[0], [1], [2, 3], [4]]


def test_inline_keyboard_keeps_ids_as_callback_data() -> None:
    markup = inline_keyboard(MENU)
    buttons = [b for row in markup.inline_keyboard for b in row]
    assert [b.text for b in buttons] == [o["label"] for o in MENU]
    assert [b.callback_data for b in buttons] == [o["id"] for o in MENU]
    assert max(len(row) for row in markup.inline_keyboard) == 2


def test_callback_data_over_64_bytes_falls_back_to_the_number() -> None:
    assert callback_data("x" * 64, 0) == "x" * 64
    assert callback_data("é" * 33, 4) == "#5"  # 66 bytes


def test_phone_step_shows_a_share_contact_keyboard() -> None:
    (step,) = plan({"text": "Nomor HP?", "options": [], "ask_phone": True})
    assert isinstance(step, SendText) and isinstance(step.markup, ReplyKeyboardMarkup)
    button = step.markup.keyboard[0][0]
    assert button.request_contact is True and button.text == label("share_phone")
    assert step.markup.one_time_keyboard and step.markup.resize_keyboard
    with_options = phone_keyboard([{"id": "skip", "label": "Lewati"}])
    assert [b.text for b in with_options.keyboard[1]] == ["Lewati"]


def test_keyboard_goes_on_the_last_part() -> None:
    text = "\n\n".join(["kata " * 500] * 4)
    steps = plan({"text": text, "options": MENU[:2]})
    assert len(steps) > 1 and all(isinstance(s, SendText) for s in steps)
    assert all(s.markup is None for s in steps[:-1])
    assert isinstance(steps[-1].markup, InlineKeyboardMarkup)


def test_after_the_phone_step_the_reply_keyboard_is_removed() -> None:
    (plain,) = plan({"text": "Terima kasih", "options": []}, remove_reply_keyboard=True)
    assert isinstance(plain, SendText) and isinstance(plain.markup, ReplyKeyboardRemove)
    # A message takes one keyboard, and one sent with the removal cannot be edited later: the
    # first line takes the keyboard down, the rest of the question carries the buttons.
    head, question = plan(
        {"text": "📝 Pertanyaan 6 dari 11\nApakah Bapak/Ibu tinggal di sini?", "options": MENU[:2]},
        remove_reply_keyboard=True,
    )
    assert head == SendText("📝 Pertanyaan 6 dari 11", ReplyKeyboardRemove())
    assert question.text == "Apakah Bapak/Ibu tinggal di sini?"
    assert isinstance(question.markup, InlineKeyboardMarkup) and len(question.markup.inline_keyboard[0]) == 2
    # A one-line message: a short "Silakan pilih:" follows with the buttons.
    send, choose = plan({"text": "Pilih", "options": MENU[:2]}, remove_reply_keyboard=True)
    assert send == SendText("Pilih", ReplyKeyboardRemove())
    assert choose.text == "Silakan pilih:" and isinstance(choose.markup, InlineKeyboardMarkup)
    # A long text: the removal rides on the first part, the inline keyboard on the last.
    long = plan({"text": "\n\n".join(["kata " * 500] * 4), "options": MENU[:2]}, remove_reply_keyboard=True)
    assert isinstance(long[0].markup, ReplyKeyboardRemove)
    assert isinstance(long[-1].markup, InlineKeyboardMarkup)
    assert plan({"text": "Halo", "options": []}) == [SendText("Halo")]
