"""The staff side's service layer: everything the pages, the API and the CLI do, without any
web framework. Build one `Backoffice(db, vault, channels, rules=..., wake=...)` per process
(the running app's `bot/app.py` does it from the service, with the catalogue of its channels)
and call its methods; each is one transaction.

Who is asking
    `Access` (account id, username, role staff|supervisor|admin|mitra, branch, regencies, via)
    comes from `authenticate(username, password, address)` (pages; raises `LoginRefused`,
    5 wrong passwords make the account and the address wait 15 minutes; all audited),
    `access_for_account(account_id)` (re-read on each page request: a disabled account is
    None) or `access_for_token(token)` (the API's bearer token). Branch isolation lives in
    `access.scope_people` / `scope_figures` / `scope_audit` and nowhere else.

The queue
    `queue(access, QueueFilters(...), cursor=, limit=50, offset=)` → `QueuePage(items,
    next_cursor, counts, search_kind, total, offset, has_more)`: sorted by `sort` (waiting |
    promise | status; unset: promise for status "open", else waiting), keyset pages (waiting
    order) or offset pages, per-status counts under the filters (tabs).
    Filters: status (one, "open" or None), created_from/created_to (WIB dates), regency_code,
    district_code, occupation, channel, attribution_code, flag (age_over_limit|income_below_floor),
    assigned (me|unassigned), officer (a username), overdue, branch (admin), references (a
    selection), search (reference, NIK or phone, exact through keyed hashes).
    `bulk.run_bulk(office, access, references, "assign"|"status", ...)`: one result per row.

The team
    `team.TeamOffice(db, clock)`: `team(access)` (accounts and `workload`), `create`, `disable`
    (open work handed back, see `handover`), `enable`, `reset_password`, `change_role` (admin).

One submission
    `detail(access, ref)` → `SubmissionDetail` (NIK masked, `.fields` in form order, history,
    calls, `allowed_statuses`, `version`; the view is audited) · `reveal_nik(access, ref)`
    (audited) · `assign(access, ref, expected_version)` ("Saya tangani"; a new one becomes
    diproses) · `reassign(access, ref, username)` (supervisor, admin) ·
    `record_call(access, ref, outcome, callback_at=, note=)` with outcome tidak_diangkat |
    nomor_salah | minta_telepon_lagi (future callback_at required) | berhasil ·
    `change_status(access, ref, new, note=, kpj=, reason=, expected_version=)` along
    baru → diproses → dihubungi → terdaftar (KPJ: 11 digits), or to ditolak (reason from
    `texts.rejection_reasons()` and a note) or dibatalkan. It queues the worker's notification
    (dihubungi, terdaftar, ditolak) and wakes the sender.

Other
    `export(access, filters, "csv"|"json"|"xlsx", reveal_nik=)` and
    `export_callbacks(access, fmt, branch=)` (audited; CSV and XLSX in people's formats, JSON in
    ISO 8601 and E.164 for programs: see `export`) ·
    `reports(access, date_from=, date_to=, branch=)` → `Report(tables)`, `reports.table_csv` ·
    `audit(access, action=, actor=, date_from=, date_to=, cursor=)` → `AuditPage` ·
    accounts for the CLI: `add_account`, `accounts`, `disable_account` (hands the open work
    back, see `handover`), `set_password`,
    `issue_token`, `revoke_tokens`; `accounts.password_problem(password, username)`.

Errors (`errors.py`), each with an Indonesian `.message`: NotFound (404; also another branch's
object), Forbidden (403), Refused (409, impossible change), Stale (409, `.current` is the
submission as it is now), InvalidInput (422, `.field`), LoginRefused (`.locked_until`).
Labels for pages: `texts.status_label`, `flag_label`, `role_label`, `call_outcomes()`,
`rejection_reasons()`.
"""

from dashboard.service.access import ROLES, Access
from dashboard.service.backoffice import Backoffice, OfficeRules
from dashboard.service.cases import SubmissionDetail
from dashboard.service.errors import (
    Forbidden,
    InvalidInput,
    LoginRefused,
    NotFound,
    Refused,
    ServiceError,
    Stale,
)
from dashboard.service.queue import QueueFilters, QueuePage

__all__ = [
    "ROLES",
    "Access",
    "Backoffice",
    "Forbidden",
    "InvalidInput",
    "LoginRefused",
    "NotFound",
    "OfficeRules",
    "QueueFilters",
    "QueuePage",
    "Refused",
    "ServiceError",
    "Stale",
    "SubmissionDetail",
]
