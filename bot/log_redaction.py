"""A logging filter that keeps NIKs and phone numbers out of log lines, whatever code logs them.

The code never logs personal data on purpose; this catches what slips through, such as a value
quoted in an exception message from a library.
"""

from __future__ import annotations

import logging
import re

_NIK = re.compile(r"(?<!\d)(?:\d[\s.-]?){15}\d(?!\d)")
_PHONE = re.compile(r"(?<![\w])(?:\+?62|0)8\d{1,3}[\s.-]?\d{3,4}[\s.-]?\d{3,5}(?!\d)")
# PostgreSQL quotes the row's values in a constraint error's DETAIL: names, dates, anything.
_PG_KEY = re.compile(r"(Key \([^)]*\)=)\(.*?\)(?= (?:already exists|is not present|conflicts))")
_PG_ROW = re.compile(r"Failing row contains \(.*\)")


def redact(text: str) -> str:
    text = _PG_ROW.sub("Failing row contains ([values])", _PG_KEY.sub(r"\1([values])", text))
    return _PHONE.sub("[phone]", _NIK.sub("[nik]", text))


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(handler: logging.Handler) -> None:
    handler.addFilter(RedactingFilter())
