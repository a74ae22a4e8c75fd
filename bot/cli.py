"""The `bpu-bot` command line."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path

import typer

from bot.settings import Settings, SettingsError, load_settings

app = typer.Typer(
    help="BPJS Ketenagakerjaan BPU enrolment bot.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _settings() -> Settings:
    try:
        return load_settings()
    except SettingsError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


QUIET_DRIVERS = ("aiosqlite", "asyncpg", "sqlalchemy.engine", "sqlalchemy.pool")


def _logging(level: str) -> None:
    """Logs to stderr, with NIKs and phone numbers redacted from every line."""
    from bot.log_redaction import install

    logging.basicConfig(
        level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    for handler in logging.getLogger().handlers:
        install(handler)
    # The database drivers log every statement with its parameters at DEBUG: never those.
    for driver in QUIET_DRIVERS:
        logging.getLogger(driver).setLevel(max(logging.INFO, logging.getLogger().level))


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
    """Export the follow-up queue. NIKs are masked unless --reveal-nik."""
    import getpass

    from rich.progress import Progress

    from bot.export import FORMATS, export_callbacks, export_submissions
    from storage.crypto import Vault
    from storage.db import Database
    from storage.submissions import ALL_STATUSES

    if fmt not in FORMATS:
        typer.echo(f"error: --format must be one of {', '.join(FORMATS)}", err=True)
        raise typer.Exit(2)
    if status is not None and status not in ALL_STATUSES:
        typer.echo(f"error: --status must be one of {', '.join(ALL_STATUSES)}", err=True)
        raise typer.Exit(2)
    settings = _settings()
    to_stdout = output == "-" or (output is None and fmt == "json")
    target = None if to_stdout else Path(output or f"{'telepon' if callbacks else 'pendaftaran'}.{fmt}")

    async def run() -> bytes:
        db = Database(settings.database_url)
        if callbacks:
            try:
                vault = Vault(settings.pii_encryption_key)
                actor = f"cli:{getpass.getuser()}"
                return await export_callbacks(db, vault, fmt=fmt, branch=branch, actor=actor)
            finally:
                await db.dispose()
        try:
            with Progress(transient=True, disable=to_stdout or not sys.stderr.isatty()) as bar:
                task = bar.add_task("exporting", total=None)
                return await export_submissions(
                    db,
                    Vault(settings.pii_encryption_key),
                    fmt=fmt,
                    status=status,
                    branch=branch,
                    reveal_nik=reveal_nik,
                    actor=f"cli:{getpass.getuser()}",
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        finally:
            await db.dispose()

    data = asyncio.run(run())
    if target is None:
        sys.stdout.buffer.write(data)
    else:
        target.write_bytes(data)
        typer.echo(f"wrote {target}", err=True)


def main() -> None:
    app()
