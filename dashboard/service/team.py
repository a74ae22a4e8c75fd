"""The team in the web app (`/staff/accounts`): who may see and change which accounts.

An admin creates, disables (handing the open work back, see `handover`), re-enables, resets the
password and changes the role of any account; a supervisor sees their branch's team and its
workload, read-only; staff and partners are refused. The CLI (`bpu-bot staff ...`) calls the
same `accounts` functions with the operator as the actor. Every change is audited there.

`TeamOffice` is the face-free entry point: one method, one transaction, the caller's `Access`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from dashboard.service import accounts
from dashboard.service.access import BRANCH_ROLES, Access
from dashboard.service.accounts import AccountInfo
from dashboard.service.errors import Refused
from dashboard.service.handover import Handover
from dashboard.service.workload import Workload, workload
from storage.db import Database


@dataclass(frozen=True)
class Team:
    accounts: list[AccountInfo]
    workload: dict[str, Workload]
    """By username: the active officers' open work (supervisor and admin)."""
    may_edit: bool


def _visible(access: Access, account: AccountInfo, branch: str | None) -> bool:
    if access.all_branches:
        return branch is None or account.branch_code == branch
    return account.role in BRANCH_ROLES and account.branch_code == access.branch_code


class TeamOffice:
    def __init__(self, db: Database, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.clock = clock

    async def team(self, access: Access, branch: str | None = None) -> Team:
        """The accounts the caller may see (a supervisor: their branch's staff and supervisors)."""
        access.require(access.may_reassign)
        async with self.db.reader() as session:
            listed = [a for a in await accounts.listing(session) if _visible(access, a, branch)]
            loads = await workload(session, access, self.clock(), branch)
        return Team(listed, {w.username: w for w in loads}, may_edit=access.all_branches)

    async def officer_names(self, access: Access, branch: str | None = None) -> list[str]:
        """The active officers whose work the caller may filter the queue by (their branch's;
        an admin's chosen branch, or every branch)."""
        access.require(access.sees_people)
        chosen = branch if access.all_branches else access.branch_code
        async with self.db.reader() as session:
            if chosen:
                return await accounts.officers(session, chosen)
            listed = await accounts.listing(session)
        return [a.username for a in listed if a.role in BRANCH_ROLES and not a.disabled]

    async def create(
        self, access: Access, *, username: str, password: str, role: str, branch: str | None
    ) -> None:
        access.require(access.all_branches)
        async with self.db.transaction() as session:
            await accounts.create(
                session,
                access.actor,
                username=username,
                password=password,
                role=role,
                branch=branch if role in BRANCH_ROLES else None,
                regencies=[],
                now=self.clock(),
            )

    async def disable(self, access: Access, username: str, hand_to: str | None = None) -> Handover:
        """Disables the account; its open sign-ups and callbacks go to the queue or `hand_to`."""
        self._not_self(access, username)
        async with self.db.transaction() as session:
            return await accounts.disable(session, access.actor, username, self.clock(), hand_to or None)

    async def enable(self, access: Access, username: str) -> None:
        access.require(access.all_branches)
        async with self.db.transaction() as session:
            await accounts.enable(session, access.actor, username, self.clock())

    async def reset_password(self, access: Access, username: str, password: str) -> None:
        access.require(access.all_branches)
        async with self.db.transaction() as session:
            await accounts.set_password(session, access.actor, username, password, self.clock())

    async def change_role(self, access: Access, username: str, role: str, branch: str | None) -> None:
        self._not_self(access, username)
        async with self.db.transaction() as session:
            await accounts.change_role(
                session, access.actor, username, role=role, branch=branch or None, now=self.clock()
            )

    @staticmethod
    def _not_self(access: Access, username: str) -> None:
        """Only an admin; and not on their own account (the last admin could lock everyone out)."""
        access.require(access.all_branches)
        if username.strip().lower() == access.username:
            raise Refused("Akun sendiri tidak dapat dinonaktifkan atau diubah perannya di sini.")
