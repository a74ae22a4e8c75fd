"""What one message writes on SQLite: the log frames (pages) per enrolment message, by table and index.

    .venv/bin/python -m bench.wal_pages [--people 50]

SQLite's write-ahead log holds whole pages: a commit appends every page it changed, and the
checkpoint copies each back into the database file (`storage.sqlite_checkpoint`). So the pages a
message changes, not its bytes, are its cost in the log, in the checkpoint's copying and in the
disk's writes; each table or index a turn touches costs at least one page. On a new SQLite file
the engine takes `--people` people through the 13 enrolment messages (`bench.enrolment`), one
person warmed up first and the log emptied after it; then it reads the page number of every frame
in the log and names the table or index that owns it (SQLite's `dbstat`). The log is read before
the last connection closes (closing checkpoints and deletes it). Keep `--people` under 200: past
`AUTOCHECKPOINT_PAGES` frames a commit's own checkpoint starts the log again. It asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import struct
import tempfile
from collections import Counter
from pathlib import Path

from cryptography.fernet import Fernet

from bench.enrolment import ENROLMENT
from handlers.app import build_router
from handlers.engine import Engine
from handlers.types import Inbound
from storage.crypto import Vault
from storage.db import Database
from storage.migrate import upgrade
from storage.sqlite_checkpoint import AUTOCHECKPOINT_PAGES
from storage.types import utcnow

WAL_HEADER = 32
FRAME_HEADER = 24
PAGES_A_MESSAGE = 20
"""About what one message writes (a little more than measured), to size `--people`'s limit."""


def frame_pages(wal: Path) -> list[int]:
    """The page number of each frame in a `-wal` file, in order."""
    data = wal.read_bytes()
    page_size = struct.unpack(">I", data[8:12])[0]
    pages = []
    for offset in range(WAL_HEADER, len(data) - FRAME_HEADER + 1, FRAME_HEADER + page_size):
        pages.append(struct.unpack(">I", data[offset : offset + 4])[0])
    return pages


async def enrol(engine: Engine, person: int) -> None:
    """One person's 13 messages, with a NIK of their own."""
    chat_id = str(10_000 + person)
    for step, text in enumerate(ENROLMENT):
        if text.startswith("3577"):
            text = f"{text[:-4]}{person % 10_000:04d}"
        inbound = Inbound(
            channel="telegram",
            chat_id=chat_id,
            message_id=f"{person}:{step}",
            at=utcnow(),
            text=text,
        )
        await engine.handle(inbound)


async def measure(path: Path, people: int) -> list[int]:
    """The page numbers the log holds after `people` enrolments."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    engine = Engine(db, build_router(), vault=Vault(Fernet.generate_key().decode()), clock=utcnow)
    try:
        await enrol(engine, 0)  # first uses (statements prepared, the first pages allocated)
        with sqlite3.connect(path) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        for person in range(1, people + 1):
            await enrol(engine, person)
        return frame_pages(Path(f"{path}-wal"))
    finally:
        await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=50)
    args = parser.parse_args()
    if args.people * len(ENROLMENT) * PAGES_A_MESSAGE >= AUTOCHECKPOINT_PAGES:
        parser.error("too many people: the log would start again before it is read")
    with tempfile.TemporaryDirectory(prefix="bpu-wal-") as folder:
        path = Path(folder) / "bpu.db"
        upgrade(f"sqlite+aiosqlite:///{path}")
        pages = asyncio.run(measure(path, args.people))
        with sqlite3.connect(path) as connection:
            owner = dict(connection.execute("SELECT pageno, name FROM dbstat"))
    messages = args.people * len(ENROLMENT)
    print(f"{len(pages)} log frames for {messages} messages: {len(pages) / messages:.1f} a message")
    for name, count in Counter(owner.get(page, "?") for page in pages).most_common():
        print(f"{count / messages:6.2f}  {name}")


if __name__ == "__main__":
    main()
