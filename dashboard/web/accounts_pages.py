"""The team page (`/staff/accounts`): the accounts, each officer's workload, and, for an admin,
creating, disabling (the open work handed back), re-enabling, resetting and changing roles.

A supervisor sees their branch's team read-only; staff and partners get the 403 page. Each POST
answers with a redirect to the page saying what was done, or the page again with the reason
(what was typed kept, never the password).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from dashboard.service.access import ROLES
from dashboard.service.errors import InvalidInput, NotFound, Refused
from dashboard.service.team import TeamOffice
from dashboard.service.texts import role_label
from dashboard.web import filters as queue_filters
from dashboard.web.auth import StaffUser, checked_form
from dashboard.web.context import StaffPages, form_text

CREATE_FIELDS = ("username", "role", "branch")


def _done(params: dict[str, str]) -> str | None:
    """The sentence for `?selesai=...` after an action."""
    who = params.get("akun", "")
    kind = params.get("selesai")
    if kind == "dibuat":
        return f"Akun {who} sudah dibuat."
    if kind == "nonaktif":
        moved = f"{params.get('n', '0')} pendaftaran dan {params.get('m', '0')} permintaan telepon"
        to = params.get("ke")
        where = f"dialihkan ke {to}" if to else "dikembalikan ke antrean (belum ditangani)"
        return f"Akun {who} dinonaktifkan. {moved} yang masih terbuka {where}."
    if kind == "aktif":
        return f"Akun {who} aktif lagi."
    if kind == "sandi":
        return f"Kata sandi {who} sudah diganti. Sesi dan token API lamanya berakhir."
    if kind == "peran":
        return f"Peran {who} sudah diubah."
    return None


def add_account_routes(router: APIRouter, pages: StaffPages) -> None:
    office = TeamOffice(pages.backoffice.db, pages.backoffice.clock)

    async def show(
        request: Request,
        staff: StaffUser,
        *,
        error: str | None = None,
        typed: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response:
        branch = request.query_params.get("cabang") or None
        team = await office.team(staff.account, branch if staff.account.all_branches else None)
        flashes = []
        said = _done(dict(request.query_params))
        if said:
            flashes.append({"kind": "ok", "text": said})
        if error:
            flashes.append({"kind": "error", "text": error})
        colleagues: dict[str, list[str]] = {}
        for account in team.accounts:
            if account.branch_code and not account.disabled and account.role in ("staff", "supervisor"):
                colleagues.setdefault(account.branch_code, []).append(account.username)
        return pages.page(
            request,
            "accounts.html",
            title="Tim dan akun",
            staff=staff,
            nav="accounts",
            flashes=flashes,
            team=team,
            colleagues=colleagues,
            roles=[(code, role_label(code)) for code in ROLES if code != "mitra"],
            role_label=role_label,
            branches=queue_filters.branch_options(),
            branch=branch,
            typed=typed or {},
            status_code=status_code,
        )

    async def accounts_page(request: Request) -> Response:
        staff = await pages.user(request)
        return await show(request, staff)

    async def create(request: Request) -> Response:
        staff = await pages.user(request)
        form = await checked_form(request, pages.codec)
        typed = {key: form_text(form, key) for key in CREATE_FIELDS}
        try:
            await office.create(
                staff.account,
                username=typed["username"],
                password=form_text(form, "password"),
                role=typed["role"],
                branch=typed["branch"] or None,
            )
        except InvalidInput as refused:
            return await show(request, staff, error=refused.message, typed=typed, status_code=422)
        name = typed["username"].lower()
        return RedirectResponse(f"/staff/accounts?{urlencode({'selesai': 'dibuat', 'akun': name})}", 303)

    async def act(request: Request, username: str, action: str) -> Response:
        staff = await pages.user(request)
        form = await checked_form(request, pages.codec)
        done: dict[str, Any] = {"akun": username}
        try:
            if action == "disable":
                moved = await office.disable(staff.account, username, form_text(form, "hand_to") or None)
                done |= {"selesai": "nonaktif", "n": len(moved.submissions), "m": len(moved.callbacks)}
                if moved.to:
                    done["ke"] = moved.to
            elif action == "enable":
                await office.enable(staff.account, username)
                done["selesai"] = "aktif"
            elif action == "password":
                await office.reset_password(staff.account, username, form_text(form, "password"))
                done["selesai"] = "sandi"
            else:
                await office.change_role(
                    staff.account, username, form_text(form, "role"), form_text(form, "branch") or None
                )
                done["selesai"] = "peran"
        except (InvalidInput, Refused) as refused:
            return await show(request, staff, error=f"{username}: {refused.message}", status_code=422)
        except NotFound:
            return await show(request, staff, error=f"Akun {username} tidak ada.", status_code=404)
        return RedirectResponse(f"/staff/accounts?{urlencode(done)}", status_code=303)

    def handler(action: str) -> Any:
        async def run(request: Request, username: str) -> Response:
            return await act(request, username, action)

        run.__name__ = f"account_{action}"
        return run

    router.add_api_route("/accounts", accounts_page, methods=["GET"])
    router.add_api_route("/accounts", create, methods=["POST"])
    for action in ("disable", "enable", "password", "role"):
        router.add_api_route(f"/accounts/{{username}}/{action}", handler(action), methods=["POST"])
