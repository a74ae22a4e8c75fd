"""The operator's commands: `backup`, `restore`, `keys rotate|status` and `purge`.

Each reads the same settings as the service (DATABASE_URL, PII_ENCRYPTION_KEY) and may run while
the service runs, except `restore`, which replaces the database's content: stop the service first.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, NoReturn

import typer

from bot.settings import Settings


def register(app: typer.Typer, load: Callable[[], Settings]) -> None:
    """Adds the commands to `app`; `load` reads the settings (exiting on a bad one)."""
    keys_app = typer.Typer(help="PII encryption keys (PII_ENCRYPTION_KEY).", no_args_is_help=True)
    app.add_typer(keys_app, name="keys")

    @app.command()
    def backup(
        file: Annotated[Path, typer.Argument(help="The backup file to write (a .tar.gz).")],
        overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace FILE if it exists.")] = False,
    ) -> None:
        """Write a consistent copy of the database, with a manifest, while the service runs."""
        from storage.backup import BackupError, make_backup
        from storage.crypto import Vault

        settings = load()
        if file.exists() and not overwrite:
            _fail(f"{file} exists: choose another name, or add --overwrite")
        try:
            manifest = asyncio.run(
                make_backup(settings.database_url, Vault(settings.pii_encryption_key), file)
            )
        except BackupError as exc:
            _fail(str(exc))
        rows = sum(manifest.tables.values())
        typer.echo(
            f"wrote {file}: {manifest.database}, schema {manifest.schema_version}, {rows} rows in"
            f" {len(manifest.tables)} tables, PII key {manifest.key_fingerprint}, by {manifest.tool}"
        )

    @app.command()
    def restore(
        file: Annotated[Path, typer.Argument(help="A file written by `bpu-bot backup`.")],
        force: Annotated[
            bool, typer.Option("--force", help="Replace the content of a database that holds rows.")
        ] = False,
    ) -> None:
        """Restore a backup into DATABASE_URL (stop the service first), then migrate it up."""
        from storage.backup import BackupError, restore_backup
        from storage.crypto import Vault

        settings = load()
        vault = Vault(settings.pii_encryption_key)
        try:
            report = asyncio.run(restore_backup(settings.database_url, vault, file, force=force))
        except BackupError as exc:
            _fail(str(exc))
        for warning in report.warnings:
            typer.echo(f"warning: {warning}", err=True)
        manifest = report.manifest
        typer.echo(
            f"restored {file} (made {manifest.created_at}, schema {manifest.schema_version}, "
            f"{sum(manifest.tables.values())} rows); replaced {report.replaced_rows} rows;"
            f" schema now {report.migrated_to}"
        )
        _census(vault.fingerprints, report.census.by_key, report.census.unreadable)

    @keys_app.command("rotate")
    def keys_rotate(
        batch: Annotated[int, typer.Option("--batch", min=1, help="Rows per transaction.")] = 500,
    ) -> None:
        """Re-encrypt every stored value with the newest key; run it again to resume."""
        from rich.progress import Progress, TaskID

        from storage.crypto import Vault
        from storage.db import Database
        from storage.rotation import rotate_keys

        settings = load()
        vault = Vault(settings.pii_encryption_key)
        typer.echo(
            f"rotating to the newest key {vault.fingerprints[0]} (keys: {', '.join(vault.fingerprints)})"
        )

        async def run() -> None:
            db = Database(settings.database_url)
            tasks: dict[str, tuple[TaskID, int]] = {}
            try:
                with Progress(transient=False) as bar:

                    def progress(table: str, done: int, total: int) -> None:
                        task, last = tasks.get(table, (None, 0))
                        if task is None or done < last:  # a table's first batch, or a new pass
                            task = bar.add_task(table, total=total)
                        bar.update(task, completed=done, total=max(total, done))
                        tasks[table] = (task, done)

                    report = await rotate_keys(db, vault, batch=batch, progress=progress)
            finally:
                await db.dispose()
            typer.echo(
                f"re-encrypted {report.rotated} values and re-hashed {report.rehashed}"
                f" in {report.passes} passes"
            )
            _census(vault.fingerprints, report.census.by_key, report.census.unreadable)

        asyncio.run(run())

    @keys_app.command("status")
    def keys_status() -> None:
        """Count the stored values each configured key reads (and those none reads)."""
        from storage.crypto import Vault
        from storage.db import Database
        from storage.rotation import key_census

        settings = load()
        vault = Vault(settings.pii_encryption_key)

        async def run() -> None:
            db = Database(settings.database_url)
            try:
                census = await key_census(db, vault)
            finally:
                await db.dispose()
            _census(vault.fingerprints, census.by_key, census.unreadable)

        asyncio.run(run())

    @app.command()
    def purge(
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Only count what would go; change nothing.")
        ] = False,
    ) -> None:
        """Apply the retention the consent text promises, as the service does every hour."""
        from bot.retention import apply_retention, retention_years
        from storage.db import Database
        from storage.types import utcnow

        settings = load()

        async def run() -> dict[str, int]:
            db = Database(settings.database_url)
            try:
                return await apply_retention(
                    db,
                    utcnow(),
                    draft_expiry_days=settings.draft_expiry_days,
                    trigger="command",
                    dry_run=dry_run,
                )
            finally:
                await db.dispose()

        counts = asyncio.run(run())
        typer.echo(
            f"retention: {retention_years()} years (messages/form.toml), drafts after"
            f" {settings.draft_expiry_days} days{' - dry run, nothing changed' if dry_run else ''}"
        )
        for name, count in counts.items():
            typer.echo(f"{'would remove' if dry_run else 'removed'}\t{name}\t{count}")


def _census(fingerprints: tuple[str, ...], by_key: list[int], unreadable: int) -> None:
    """Prints the values per key; exits 1 when some value no configured key reads."""
    for position, (fingerprint, count) in enumerate(zip(fingerprints, by_key, strict=True)):
        typer.echo(f"key {fingerprint}{' (newest)' if position == 0 else ''}\t{count} values")
    if unreadable:
        typer.echo(
            f"error: {unreadable} stored values are readable by none of the configured keys:"
            " put the key they were written with back in PII_ENCRYPTION_KEY",
            err=True,
        )
        raise typer.Exit(1)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
