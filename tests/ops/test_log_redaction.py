"""No NIK or phone number reaches a log line."""

from __future__ import annotations

import io
import logging

import pytest

from bot.log_redaction import RedactingFilter, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nik 3577014708850001 rejected", "nik [nik] rejected"),
        ("nik 3577 0147 0885 0001", "nik [nik]"),
        ("call 0812-3456-7890 now", "call [phone] now"),
        ("wa +6281234567890", "wa [phone]"),
        ("6281234567890 sent", "[phone] sent"),
        ("outbox row 1234 sent in 0.25 s", "outbox row 1234 sent in 0.25 s"),
        ("update 987654321 processed", "update 987654321 processed"),
    ],
)
def test_redact(text: str, expected: str) -> None:
    assert redact(text) == expected


def test_filter_cleans_messages_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("test.redaction")
    log.addHandler(handler)
    try:
        log.warning("bad value %s from %s", "3577014708850001", "081234567890")
        try:
            raise ValueError("invalid NIK 3526011203900002")
        except ValueError:
            log.exception("failed")
    finally:
        log.removeHandler(handler)
    output = stream.getvalue()
    assert "3577014708850001" not in output and "081234567890" not in output
    assert "3526011203900002" not in output and "[nik]" in output and "ValueError" in output
