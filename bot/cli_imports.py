"""`bpu-bot import registrations FILE [--dry-run] [--as USERNAME]`: the branch's own records in
one go, as the staff page and `POST /api/v1/imports` do it.

Prints one line per refused row (its number in the sheet, the reference it names, why) and a
last line `N rows: A applied, R refused`. Without `--as` the operator imports with every
branch in scope; with it, with that account's scope (a branch account touches only its branch).
Exits 0 once the file was read (refused rows are reported, not errors), 2 when it could not be.
"""

from __future__ import annotations

import getpass
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from dashboard.service import Access, Backoffice
    from dashboard.service.imports import ImportReport

WithOffice = Callable[[Callable[["Backoffice"], Awaitable[Any]]], Any]


def register(app: typer.Typer, with_backoffice: WithOffice) -> None:
    """Adds `import registrations` to `app`; `with_backoffice` runs one call on the configured
    database (service errors exit 2)."""
    import_app = typer.Typer(help="Import from the branch's own system.", no_args_is_help=True)
    app.add_typer(import_app, name="import")

    @import_app.command("registrations")
    def registrations(
        file: Annotated[
            Path, typer.Argument(help="CSV or XLSX: reference or nik, status, kpj, registered_on, ...")
        ],
        dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row; change nothing.")] = False,
        as_user: Annotated[
            str | None, typer.Option("--as", help="Import with this staff account's scope.")
        ] = None,
    ) -> None:
        """Apply the branch's registrations (status, KPJ, registration date, paid until)."""
        if not file.is_file():
            typer.echo(f"error: no such file: {file}", err=True)
            raise typer.Exit(2)
        content = file.read_bytes()
        report: ImportReport = with_backoffice(
            lambda office: _run(office, content, file.name, dry_run=dry_run, as_user=as_user)
        )
        for result in report.results:
            if not result.ok:
                named = f" {result.reference}" if result.reference else ""
                typer.echo(f"row {result.row}{named}: {result.error}")
        if dry_run:
            typer.echo(f"dry run: nothing changed; {report.changed} row(s) would change something")
        typer.echo(f"{report.rows} rows: {report.applied} applied, {report.refused} refused")


async def _run(
    office: Backoffice, content: bytes, name: str, *, dry_run: bool, as_user: str | None
) -> ImportReport:
    from dashboard.service.imports import Importer

    access = await _access(office, as_user)
    return await Importer(office).run(access, content, name, dry_run=dry_run)


async def _access(office: Backoffice, username: str | None) -> Access:
    from dashboard.service import Access
    from dashboard.service.accounts import access_of, by_username
    from dashboard.service.errors import NotFound

    if username is None:
        return Access.operator(getpass.getuser())
    async with office.db.reader() as session:
        account = await by_username(session, username)
    if account is None or account.disabled_at is not None:
        raise NotFound(f"Akun {username} tidak ada atau dinonaktifkan.")
    return access_of(account, "cli")
