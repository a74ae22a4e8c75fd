"""The service's typed refusals. Each carries an Indonesian message an officer can read.

The faces map them: NotFound → 404, Forbidden → 403, Refused and Stale → 409,
InvalidInput → 422, LoginRefused → the login page's error (429 while locked).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dashboard.service.texts import refusal


class ServiceError(Exception):
    """A request the service will not carry out; `message` is for the officer."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(ServiceError):
    """No such object, or one of another branch: the two are indistinguishable on purpose."""

    code = "not_found"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or refusal("not_found"))


class Forbidden(ServiceError):
    """The account's role may not do this (a mitra opening the queue, staff reassigning)."""

    code = "forbidden"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or refusal("forbidden"))


class Refused(ServiceError):
    """An impossible action in the submission's current state (a status it cannot move to)."""

    code = "refused"


class Stale(ServiceError):
    """Another officer changed the submission since the caller read it (`expected_version`).

    `current` is the submission as it is now (a `SubmissionDetail`), to show instead.
    """

    code = "stale"

    def __init__(self, current: Any, *, by_self: bool = False) -> None:
        super().__init__(refusal("stale_self" if by_self else "stale"))
        self.current = current
        self.by_self = by_self
        """The caller made that change themselves (another tab, another device)."""


class InvalidInput(ServiceError):
    """A value is missing or malformed; `field` names it."""

    code = "invalid"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


class LoginRefused(ServiceError):
    """Wrong user name or password, or a wait after too many; `locked_until` says until when."""

    code = "login_refused"

    def __init__(self, message: str, locked_until: datetime | None = None) -> None:
        super().__init__(message)
        self.locked_until = locked_until
