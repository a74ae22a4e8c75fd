"""Idle RSS of `bpu-bot serve`, read as bench/compare.py reads it, without its load rounds.

    .venv/bin/python -m bench.idle_rss [--runs 3] [--whatsapp]

Starts the fake Bot API, then `bpu-bot serve` on a fresh SQLite database with the Telegram
webhook (the environment of compare.py's "ours" target; `--whatsapp` adds the WhatsApp
channel, its Graph API pointed at the same fake, which answers its one start-up lookup with a
404), waits until `/healthz` answers, sleeps 1 s and reads VmRSS. Each run is a new process;
the figures are printed in MB. Cheap: nothing is sent to the server but `/healthz`.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path

import aiohttp

from bench.compare import fake_bot_api, free_port, ours, rss_mb, sqlite_url, wait_ready

WHATSAPP = {
    "WHATSAPP_PHONE_NUMBER_ID": "1234567890",
    "WHATSAPP_ACCESS_TOKEN": "bench-token",
    "WHATSAPP_APP_SECRET": "bench-app-secret",
    "WHATSAPP_VERIFY_TOKEN": "bench-verify",
}


async def idle_rss(folder: Path, runs: int, whatsapp: bool) -> list[float]:
    api_port = free_port()
    fake = fake_bot_api(folder, api_port)
    fake.start()
    figures = []
    try:
        async with aiohttp.ClientSession() as session:
            await wait_ready(session, fake, "/stats")
            for run in range(runs):
                process = ours(sqlite_url, api_port)(folder, free_port(), run)
                if whatsapp:
                    process.env.update(WHATSAPP, WHATSAPP_API_URL=f"http://127.0.0.1:{api_port}")
                process.start()
                try:
                    await wait_ready(session, process, "/healthz")
                    await asyncio.sleep(1.0)
                    figures.append(rss_mb(process.pid))
                finally:
                    process.stop()
    finally:
        fake.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--whatsapp", action="store_true", help="WhatsApp configured too")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bpu-idle-") as name:
        figures = asyncio.run(idle_rss(Path(name), args.runs, args.whatsapp))
    channels = "Telegram + WhatsApp" if args.whatsapp else "Telegram"
    print(f"idle RSS ({channels}): " + ", ".join(f"{mb:.1f}" for mb in figures) + " MB")


if __name__ == "__main__":
    main()
