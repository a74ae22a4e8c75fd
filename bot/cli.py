"""The `bpu-bot` command line."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from bot import cli_imports, cli_ops, cli_reminders, cli_whatsapp
from bot.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from dashboard.service import Backoffice

app = typer.Typer(
    help="BPJS Ketenagakerjaan BPU enrolment bot.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")
staff_app = typer.Typer(help="Staff accounts and API tokens.", no_args_is_help=True)
app.add_typer(staff_app, name="staff")

T = TypeVar("T")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


cli_ops.register(app, _settings)  # backup, restore, keys, purge
cli_whatsapp.register(app, _settings)  # whatsapp flow-json, whatsapp flow publish
cli_reminders.register(app, _settings)  # reminders preview

QUIET_DRIVERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool")


def _logging(level: str) -> None:
    """Logs to stderr, with NIKs and phone numbers redacted from every line."""
    from bot.log_redaction import install

    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for handler in logging.getLogger().handlers:
        install(handler)
    # The database layers log every statement at INFO (SQLAlchemy) or DEBUG (the drivers), the
    # drivers with its parameters: only their warnings and errors reach the log.
    for driver in QUIET_DRIVERS:
        logging.getLogger(driver).setLevel(max(logging.WARNING, logging.getLogger().level))


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Migrate the database schema (creates the SQLite file on first run)."""
    from storage.migrate import upgrade

    settings = _settings()
    _logging(settings.log_level)
    upgrade(settings.database_url, revision)
    typer.echo("database is up to date")


@app.command()
def serve() -> None:
    """Run the web app, the outbox sender and the enabled channels."""
    from bot.server import run_server

    settings = _settings()
    _logging(settings.log_level)
    asyncio.run(run_server(settings))


@app.command()
def chat(user: str = typer.Option("console", "--user", help="Chat id: talk as someone else.")) -> None:
    """Talk to the bot in the terminal: one line in, the replies out; ends at end of input."""
    from bot.channels.registry import CONSOLE
    from bot.service import SchemaOutdated, build_service, ensure_schema
    from messages.render import labels

    settings = _settings()
    settings.console_user = user
    _logging("WARNING")

    async def talk() -> None:
        service = build_service(settings, registry=[CONSOLE])
        try:
            await ensure_schema(service.db)
        except SchemaOutdated as exc:
            await service.close()
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        (console,) = service.channels
        assert console.run is not None
        try:
            if sys.stdin.isatty():
                typer.echo(labels()["console"]["hint"], err=True)
            await console.run(asyncio.Event())
        finally:
            await service.close()

    asyncio.run(talk())


@app.command()
def export(
    fmt: str = typer.Option("csv", "--format", help="csv, json or xlsx."),
    status: str | None = typer.Option(None, "--status", help="Only this status (baru, diproses, ...)."),
    branch: str | None = typer.Option(None, "--branch", help="Only this branch code."),
    output: str | None = typer.Option(None, "--output", help="File to write; '-' for standard output."),
    reveal_nik: bool = typer.Option(False, "--reveal-nik", help="Show full NIKs (written to the audit log)."),
    callbacks: bool = typer.Option(False, "--callbacks", help="The open callback requests instead."),
) -> None:
    """Export the follow-up queue. NIKs are masked unless --reveal-nik; every export is audited.

    JSON is for programs (ISO 8601 dates and times, E.164 phone numbers); CSV and XLSX are for
    people (01-07-1990, 0812-3456-7801, local times)."""
    import getpass

    from dashboard.service import Access, QueueFilters
    from dashboard.service.export.formats import FORMATS
    from storage.submissions import ALL_STATUSES

    if fmt not in FORMATS:
        typer.echo(f"error: --format must be one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(2)
    if status is not None and status not in ALL_STATUSES:
        typer.echo(f"error: --status must be one of {', '.join(ALL_STATUSES)}", err=True)
        raise typer.Exit(2)
    to_stdout = output == "-" or (output is None and fmt == "json")
    target = None if to_stdout else Path(output or f"{'telepon' if callbacks else 'pendaftaran'}.{fmt}")
    access = Access.operator(getpass.getuser())
    if callbacks:
        data = _with_backoffice(lambda office: office.export_callbacks(access, fmt, branch=branch))
    else:
        data = _with_backoffice(
            lambda office: office.export(
                access, QueueFilters(status=status, branch=branch), fmt, reveal_nik=reveal_nik
            )
        )
    if target is None:
        sys.stdout.buffer.write(data)
    else:
        target.write_bytes(data)
        typer.echo(f"wrote {target}", err=True)


def _with_backoffice(work: Callable[[Backoffice], Awaitable[T]]) -> T:
    """Runs one back-office call against the configured database; service errors exit 2."""
    from bot.channels.registry import catalogue
    from dashboard.service import Backoffice, OfficeRules, ServiceError
    from storage.crypto import Vault
    from storage.db import Database

    settings = _settings()

    async def run() -> T:
        db = Database(settings.database_url)
        office = Backoffice(
            db,
            Vault(settings.pii_encryption_key),
            catalogue(),
            rules=OfficeRules(settings.callback_working_days, settings.max_age_flag, settings.api_token_days),
        )
        try:
            return await work(office)
        finally:
            await db.dispose()

    try:
        return asyncio.run(run())
    except ServiceError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from exc


cli_imports.register(app, _with_backoffice)  # import registrations


def _read_password(username: str) -> str:
    """The new password: prompted twice on a terminal, else the first line of stdin."""
    from dashboard.service.accounts import password_problem

    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass(f"Kata sandi baru untuk {username}: ")
        if getpass.getpass("Ulangi kata sandi: ") != password:
            typer.echo("error: the two passwords differ", err=True)
            raise typer.Exit(2)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    problem = password_problem(password, username)
    if problem:
        typer.echo(f"error: weak password: {problem}", err=True)
        raise typer.Exit(2)
    return password


def _operator() -> str:
    import getpass

    return f"cli:{getpass.getuser()}"


@staff_app.command("add")
def staff_add(
    username: str = typer.Argument(..., help="Log-in name (lower case)."),
    branch: str | None = typer.Option(None, "--branch", help="Branch code (messages/branches.toml)."),
    role: str = typer.Option(..., "--role", help="staff, supervisor, admin or mitra."),
    regency: Annotated[
        list[str] | None, typer.Option("--regency", help="Regency code a mitra sees (repeatable).")
    ] = None,
) -> None:
    """Create an account. The password comes from stdin or is prompted; weak ones are refused."""
    password = _read_password(username)
    _with_backoffice(
        lambda office: office.add_account(
            _operator(), username, password, role=role, branch=branch, regencies=list(regency or [])
        )
    )
    typer.echo(f"created {username.lower()} ({role})")


@staff_app.command("list")
def staff_list() -> None:
    """List the accounts."""
    for account in _with_backoffice(lambda office: office.accounts()):
        where = account.branch_code or ",".join(account.regencies) or "-"
        state = "disabled" if account.disabled else "active"
        used = account.token_last_used.strftime("%Y-%m-%d %H:%M UTC") if account.token_last_used else "-"
        typer.echo(
            f"{account.username}\t{account.role}\t{where}\t{state}\ttokens={account.tokens}\tused={used}"
        )


@staff_app.command("disable")
def staff_disable(
    username: str,
    hand_to: str | None = typer.Option(
        None, "--hand-to", help="A colleague of the same branch who takes the open work."
    ),
) -> None:
    """Disable an account: its sessions end, its API tokens are revoked, and its open sign-ups
    and callback requests go back to the unassigned queue (or to --hand-to)."""
    moved = _with_backoffice(lambda office: office.disable_account(_operator(), username, hand_to))
    where = moved.to or "the unassigned queue"
    typer.echo(
        f"disabled {username}; {len(moved.submissions)} sign-up(s) and {len(moved.callbacks)}"
        f" callback request(s) handed to {where}"
    )


@staff_app.command("password")
def staff_password(username: str) -> None:
    """Set a new password (stdin or prompted); open sessions of the account end."""
    password = _read_password(username)
    _with_backoffice(lambda office: office.set_password(_operator(), username, password))
    typer.echo(f"password changed for {username}")


@staff_app.command("token")
def staff_token(
    username: str,
    revoke: bool = typer.Option(False, "--revoke", help="Revoke every token of the account instead."),
) -> None:
    """Print a new API token once (only its hash is stored), or revoke the account's tokens."""
    if revoke:
        count = _with_backoffice(lambda office: office.revoke_tokens(_operator(), username))
        typer.echo(f"revoked {count} token(s) of {username}", err=True)
        return
    token = _with_backoffice(lambda office: office.issue_token(_operator(), username))
    typer.echo(token)


def main() -> None:
    app()
