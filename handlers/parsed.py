"""What a parser of typed answers returns: a value, or the reason it could not read one."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Parsed(Generic[T]):
    """A parser's answer: `value` when it worked, else `error` (a reason code) and details."""

    value: T | None = None
    error: str | None = None
    details: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None
