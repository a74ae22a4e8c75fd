"""`bpu-bot reminders preview --on YYYY-MM-DD`: who would get a payment reminder (or the message
before a government's payment ends, or "kenapa belum bayar?") that day, masked, one per line:
reference, kind, due date, channel, the chat's last characters. Sends nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import date
from typing import Annotated

import typer

from bot.settings import Settings


def register(app: typer.Typer, load: Callable[[], Settings]) -> None:
    """Adds the `reminders` commands to `app`; `load` reads the settings (exiting on a bad one)."""
    reminders_app = typer.Typer(help="Payment reminders.", no_args_is_help=True)
    app.add_typer(reminders_app, name="reminders")

    @reminders_app.command("preview")
    def preview(
        on: Annotated[str, typer.Option("--on", help="The day, YYYY-MM-DD.")],
    ) -> None:
        """List who would be reminded on a day (masked), one per line; sends nothing."""
        from dashboard.service.payment_reminders import preview as lines_on
        from dashboard.service.payment_reminders import rules_summary
        from storage.db import Database

        try:
            day = date.fromisoformat(on)
        except ValueError as exc:
            typer.echo("error: --on must be a date YYYY-MM-DD", err=True)
            raise typer.Exit(2) from exc
        settings = load()

        async def run() -> list[str]:
            db = Database(settings.database_url)
            try:
                return await lines_on(db, day)
            finally:
                await db.dispose()

        found = asyncio.run(run())
        for line in found:
            typer.echo(line)
        typer.echo(f"{len(found)} on {day.isoformat()}: {rules_summary()}", err=True)
