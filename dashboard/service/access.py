"""Who is asking, and what they may see: the one place branch isolation is decided.

Every service call that touches submissions takes an `Access`. `scope_people` narrows a
query to the submissions the caller may see one by one (their branch; every branch for an
admin; none for a mitra), `scope_callbacks` likewise for callback requests, `scope_figures`
to those counted in their reports (a mitra's regencies). Services never filter by branch anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import false
from sqlmodel import col

from dashboard.service.errors import Forbidden
from storage.models import CallbackRequest, Submission

ROLES = ("staff", "supervisor", "admin", "mitra")
BRANCH_ROLES = ("staff", "supervisor")

Q = TypeVar("Q", bound=Any)


@dataclass(frozen=True)
class Access:
    """The caller: an account with its role, branch and (for a mitra) regencies."""

    account_id: int | None
    username: str
    role: str
    branch_code: str | None = None
    regencies: tuple[str, ...] = ()
    via: str = "session"
    """"session" (a page), "token" (the API) or "cli" (an operator at the command line)."""
    epoch: int = 0
    """When the password last changed (microseconds since the epoch): a cookie from before it is void.

    Microseconds, not seconds: a password changed in the same second as a log-in must still end it."""

    @classmethod
    def operator(cls, name: str) -> Access:
        """Someone at the server's command line (`bpu-bot export`): every branch."""
        return cls(account_id=None, username=name, role="admin", via="cli")

    @property
    def actor(self) -> str:
        """How the audit log and the history name the caller."""
        return f"cli:{self.username}" if self.via == "cli" else f"staff:{self.username}"

    @property
    def all_branches(self) -> bool:
        return self.role == "admin"

    @property
    def sees_people(self) -> bool:
        """May open individual submissions (a mitra sees aggregated figures only)."""
        return self.role in ("staff", "supervisor", "admin")

    @property
    def may_reassign(self) -> bool:
        return self.role in ("supervisor", "admin")

    @property
    def may_report(self) -> bool:
        return self.role in ("supervisor", "admin", "mitra")

    @property
    def may_audit(self) -> bool:
        return self.role in ("supervisor", "admin")

    @property
    def suppresses_small_counts(self) -> bool:
        """Counts below 5 are shown as "<5" (a partner must not single anyone out)."""
        return self.role == "mitra"

    def require(self, allowed: bool) -> None:
        if not allowed:
            raise Forbidden()

    def sees_branch(self, branch_code: str | None) -> bool:
        return self.all_branches or (self.role in BRANCH_ROLES and branch_code == self.branch_code)


def scope_people(query: Q, access: Access) -> Q:
    """Only the submissions the caller may see one by one."""
    if access.all_branches:
        return query
    if access.role in BRANCH_ROLES and access.branch_code:
        return query.where(col(Submission.branch_code) == access.branch_code)
    return query.where(false())


def scope_callbacks(query: Q, access: Access) -> Q:
    """Only the callback requests ("minta ditelepon") of the caller's branch (all for an admin)."""
    if access.all_branches:
        return query
    if access.role in BRANCH_ROLES and access.branch_code:
        return query.where(col(CallbackRequest.branch_code) == access.branch_code)
    return query.where(false())


def scope_branch(query: Q, access: Access, column: Any) -> Q:
    """Only the rows whose `column` names the caller's branch (all of them for an admin): the
    agent inbox's conversations and a branch's saved replies."""
    if access.all_branches:
        return query
    if access.role in BRANCH_ROLES and access.branch_code:
        return query.where(column == access.branch_code)
    return query.where(false())


def scope_figures(query: Q, access: Access) -> Q:
    """Only the submissions counted in the caller's reports."""
    if access.role == "mitra":
        if not access.regencies:
            return query.where(false())
        return query.where(col(Submission.regency_code).in_(list(access.regencies)))
    return scope_people(query, access)


def scope_audit(query: Q, access: Access) -> Q:
    """Only the audit entries of the caller's branch (all of them for an admin)."""
    from storage.models import AuditLog

    access.require(access.may_audit)
    if access.all_branches:
        return query
    return query.where(col(AuditLog.branch_code) == access.branch_code)
