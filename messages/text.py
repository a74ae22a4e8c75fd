"""Cutting a long text into messages: a phone screen's worth for a reader, or what a platform
accepts. Shared by the conversation (handlers.turn) and the channel renderers."""

from __future__ import annotations

from collections.abc import Callable

SEPARATORS = ("\n\n", "\n", " ")
"""Where a text may be cut, best first: between paragraphs, then lines, then words."""


def split_text(text: str, limit: int, length: Callable[[str], int] = len) -> list[str]:
    """Parts of at most `limit` (as `length` counts: characters, or UTF-16 units on Telegram).

    Whole paragraphs are kept together; a paragraph that alone is too long is cut at line
    ends, then at spaces, and only a single over-long word is cut mid-word. Parts are trimmed
    of the blank lines and spaces around them; empty parts are dropped.
    """
    if length(text) <= limit:
        return [text] if text.strip() else []
    return _pack(text, SEPARATORS, limit, length)


def _pack(text: str, separators: tuple[str, ...], limit: int, length: Callable[[str], int]) -> list[str]:
    if length(text) <= limit:
        return [text]
    if not separators:
        return _hard_cut(text, limit, length)
    sep, finer = separators[0], separators[1:]
    parts: list[str] = []
    current = ""
    for piece in text.split(sep):
        for chunk in _pack(piece, finer, limit, length):
            candidate = f"{current}{sep}{chunk}" if current else chunk
            if length(candidate) <= limit:
                current = candidate
            else:
                if current:
                    parts.append(current)
                current = chunk
    if current:
        parts.append(current)
    return [p for p in (part.strip("\n ") for part in parts) if p] or _hard_cut(text, limit, length)


def _hard_cut(text: str, limit: int, length: Callable[[str], int]) -> list[str]:
    """Cuts mid-word (`length` adds up character by character: characters, UTF-16 units)."""
    parts: list[str] = []
    current: list[str] = []
    size = 0
    for char in text:
        width = length(char)
        if current and size + width > limit:
            parts.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    if current:
        parts.append("".join(current))
    return parts
