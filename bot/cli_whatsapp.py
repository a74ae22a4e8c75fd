"""The native forms' commands: `bpu-bot whatsapp flow-json`, `bpu-bot whatsapp flow publish`,
and `bpu-bot whatsapp flow-picture` (an SVG sketch of the screens, for the README).

They live outside the channel's package, whose import loads pywa: `bpu-bot serve` imports this
module and must not load pywa when WhatsApp is not configured (tests/ops/test_serve_imports.py)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Annotated

import typer

from bot.channels.registry import WHATSAPP
from bot.settings import Settings


def register(app: typer.Typer, load: Callable[[], Settings]) -> None:
    """Adds the `whatsapp` commands to `app`; `load` reads the settings (exiting on a bad one)."""
    whatsapp_app = typer.Typer(help="WhatsApp: the enrolment form as a WhatsApp Flow.", no_args_is_help=True)
    app.add_typer(whatsapp_app, name=WHATSAPP.name)
    flow_app = typer.Typer(help="The WhatsApp Flow of the enrolment form.", no_args_is_help=True)
    whatsapp_app.add_typer(flow_app, name="flow")

    @whatsapp_app.command("flow-json")
    def flow_json() -> None:
        """Print the Flow JSON built from the form declaration."""
        from bot.channels.whatsapp.flow_json import flow_text

        sys.stdout.write(flow_text() + "\n")

    @whatsapp_app.command("flow-picture")
    def flow_picture() -> None:
        """Print an SVG sketch of the Flow's screens, drawn from its Flow JSON."""
        from bot.channels.whatsapp.flow_json import flow_json
        from bot.channels.whatsapp.flow_picture import flow_svg

        sys.stdout.write(flow_svg(flow_json()))

    @flow_app.command("publish")
    def flow_publish(
        endpoint: Annotated[
            str,
            typer.Option(
                "--endpoint",
                help="The public https:// address of the service's /webhook/whatsapp/flow.",
            ),
        ],
    ) -> None:
        """Create (or update) and publish the Flow through the Graph API; publishing again changes nothing."""
        from bot.channels.whatsapp.flow_publish import PublishError, publish

        if not endpoint.startswith("https://"):
            typer.echo("error: --endpoint must be an https:// address (WhatsApp calls only HTTPS)", err=True)
            raise typer.Exit(2)
        try:
            done = asyncio.run(publish(load(), endpoint))
        except PublishError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
        state = "published" if done.changed else "already published, nothing changed"
        typer.echo(f"{done.name} (id {done.flow_id}): {state}")
