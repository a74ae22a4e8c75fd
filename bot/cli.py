"""The `bpu-bot` command line."""

from __future__ import annotations

import asyncio
import logging
import sys

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


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level.upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Migrate the database schema (creates the SQLite file on first run)."""
    from storage.migrate import upgrade

    settings = _settings()
    _logging(settings)
    upgrade(settings.database_url, revision)
    typer.echo("database is up to date")


@app.command()
def serve() -> None:
    """Run the web app, the outbox sender and the enabled channels."""
    from bot.server import run_server

    settings = _settings()
    _logging(settings)
    asyncio.run(run_server(settings))


@app.command()
def chat(user: str = typer.Option("console", "--user", help="Chat id: talk as someone else.")) -> None:
    """Talk to the bot in the terminal: one line in, the replies out; ends at end of input."""
    from bot.channels.console import ConsoleChat
    from bot.service import SchemaOutdated, build_service, ensure_schema

    settings = _settings()
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    async def talk() -> None:
        service = build_service(settings)
        try:
            await ensure_schema(service.db)
        except SchemaOutdated as exc:
            await service.db.dispose()
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        console = ConsoleChat(service.db, service.engine, user, lambda text: print(text + "\n", flush=True))
        try:
            if sys.stdin.isatty():
                typer.echo("Ketik pesan lalu Enter (Ctrl-D untuk keluar).", err=True)
            await console.run(sys.stdin)
        finally:
            await service.db.dispose()

    asyncio.run(talk())


def main() -> None:
    app()
