"""A picture of the Flow's screens, drawn from its Flow JSON as an SVG (`bpu-bot whatsapp
flow-picture`): one phone-sized frame per screen, in the routing model's order, with its title,
texts, inputs (labels and kinds) and button. WhatsApp's own renderer is not available outside
WhatsApp, so this is a sketch of what the JSON asks for, not a screenshot.
"""

from __future__ import annotations

import unicodedata
from typing import Any
from xml.sax.saxutils import escape

from messages.data import DEFAULT_LANGUAGE
from messages.form_labels import form_labels

WIDTH, HEIGHT, GAP, MARGIN = 250, 560, 40, 20
LINE = 16
TEXT_CHARS = 34


def _lines(text: str, limit: int = TEXT_CHARS, most: int = 3) -> list[str]:
    """A text cut into short lines at spaces, at most `most` of them (the last ends with "…")."""
    shown = "".join(ch for ch in text if unicodedata.category(ch) != "So")  # no emoji in a sketch
    words, lines, current = shown.split(), [], ""
    for word in words:
        if current and len(current) + 1 + len(word) > limit:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}".strip()
    if current:
        lines.append(current)
    return [*lines[: most - 1], lines[most - 1] + " …"] if len(lines) > most else lines


def _text(
    x: int,
    y: int,
    text: str,
    size: int = 12,
    weight: str = "normal",
    fill: str = "#1b1b1b",
    anchor: str = "start",
) -> str:
    return (
        f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" fill="{fill}"'
        f' text-anchor="{anchor}">{escape(text)}</text>'
    )


def _screen(screen: dict[str, Any], left: int, words: dict[str, Any]) -> list[str]:
    kinds: dict[str, str] = words["kinds"]
    frame = f'x="{left}" y="{MARGIN}" width="{WIDTH}"'
    parts = [
        f'<rect {frame} height="{HEIGHT}" rx="18" fill="#fff" stroke="#9aa0a6"/>',
        f'<rect {frame} height="44" rx="18" fill="#075e54"/>',
        _text(left + 16, MARGIN + 28, screen.get("title", screen["id"]), 14, "bold", "#fff"),
    ]
    y = MARGIN + 66
    x = left + 14
    for child in screen["layout"]["children"]:
        kind = child["type"]
        if kind == "TextBody":
            if child["text"] == "${data.summary}":
                parts.append(_text(x, y, words["summary"], 11, "bold", "#3c4043"))
                y += LINE
            if child["text"].startswith("${"):
                continue  # filled by the endpoint (notes, the summary)
            for line in _lines(child["text"].replace("\n", " "), most=6):
                parts.append(_text(x, y, line, 11, fill="#3c4043"))
                y += LINE - 2
            y += 6
        elif kind in kinds:
            required = "" if child.get("required") is False else " *"
            parts.append(_text(x, y, child["label"] + required, 12, "bold"))
            y += 6
            box = f'x="{x}" y="{y}" width="{WIDTH - 28}" height="24" rx="5"'
            parts.append(f'<rect {box} fill="#f1f3f4" stroke="#dadce0"/>')
            parts.append(_text(x + 8, y + 16, f"{child['name']} · {kinds[kind]}", 10, fill="#5f6368"))
            y += 34
            if child.get("helper-text"):
                parts.append(_text(x, y - 2, _lines(child["helper-text"], 44)[0], 9, fill="#5f6368"))
                y += 14
        elif kind == "Footer":
            bottom = MARGIN + HEIGHT - 52
            parts.append(
                f'<rect x="{x}" y="{bottom}" width="{WIDTH - 28}" height="36" rx="18" fill="#128c7e"/>'
            )
            parts.append(_text(left + WIDTH // 2, bottom + 23, child["label"], 13, "bold", "#fff", "middle"))
    return parts


def flow_svg(flow: dict[str, Any], lang: str = DEFAULT_LANGUAGE) -> str:
    """The SVG picture of a Flow JSON's screens, side by side, arrows following the routing."""
    words = form_labels(lang)["picture"]
    screens = flow["screens"]
    width = MARGIN * 2 + len(screens) * WIDTH + (len(screens) - 1) * GAP
    height = HEIGHT + MARGIN * 2 + 20
    size = f'width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" {size} font-family="system-ui, sans-serif">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"'
        ' orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#5f6368"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="#ece5dd"/>',
    ]
    left_of = {s["id"]: MARGIN + i * (WIDTH + GAP) for i, s in enumerate(screens)}
    for screen in screens:
        parts += _screen(screen, left_of[screen["id"]], words)
    for here, targets in (flow.get("routing_model") or {}).items():
        for target in targets:
            start, end = left_of[here] + WIDTH, left_of[target]
            middle = MARGIN + HEIGHT // 2
            parts.append(
                f'<line x1="{start + 4}" y1="{middle}" x2="{end - 4}" y2="{middle}" stroke="#5f6368"'
                ' stroke-width="2" marker-end="url(#arrow)"/>'
            )
    parts.append(_text(MARGIN, height - 10, words["note"], 11, fill="#3c4043"))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"
