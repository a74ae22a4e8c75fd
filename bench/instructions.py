"""Instructions per message through the engine, counted by valgrind: a figure that does not move
with the machine's load, for comparing two versions of the code.

    .venv/bin/python -m bench.instructions [--people 10 40] [--postgres URL]

Timings on a shared 2-core machine vary by a third from one minute to the next, more than most
changes to the hot path are worth; a count of executed instructions varies by about one percent
between runs of the same code (which turns share a SQLite commit depends on the threads'
timing): run each side twice or more, alternating, and trust differences of 2% and up.

This runs the engine benchmark (`bench.run.engine_throughput`: people enrolling at once, 13
messages each, on a fresh SQLite file, or on PostgreSQL with `--postgres`, whose schema is
dropped first) in a new process under `valgrind --tool=cachegrind --cache-sim=no`, once with few
people and once with more, both at the same time, and prints the difference in instructions over
the difference in messages: start-up, imports and the migration cancel out (the project's
bytecode is written first, see `compile_sources`). Instructions are not time (a system call or a
cache miss costs more than its count), but the engine's work per message is mostly Python and
SQLite on warm pages.

Needs valgrind (`apt-get install valgrind`); each run takes one to three minutes. It asserts
nothing. To compare two commits, run it in a worktree of each with `PYTHONPATH` set to it.
"""

from __future__ import annotations

import argparse
import asyncio
import compileall
import re
import shutil
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bench.enrolment import ENROLMENT

_TOTAL = re.compile(r"I\s+refs:\s+([\d,]+)")


def count(people: int, postgres: str | None) -> int:
    """Instructions of one run of the engine benchmark with `people`, in a process of its own."""
    command = [sys.executable, "-m", "bench.instructions", "--child", str(people)]
    if postgres:
        command += ["--postgres", postgres]
    valgrind = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]
    done = subprocess.run(valgrind + command, capture_output=True, text=True, check=True)
    found = _TOTAL.search(done.stderr)
    if found is None:
        raise RuntimeError(f"valgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1).replace(",", ""))


async def _child(people: int, postgres: str | None) -> None:
    from bench.compare import reset_postgres
    from bench.run import engine_throughput
    from storage.db import Database
    from storage.migrate import upgrade

    with tempfile.TemporaryDirectory(prefix="bpu-instr-") as folder:
        url = postgres or f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        if postgres:
            await reset_postgres(postgres)
        await asyncio.to_thread(upgrade, url)
        db = Database(url)
        await engine_throughput(db, people, 0)
        await db.dispose()


def compile_sources() -> None:
    """Writes the project's bytecode (`__pycache__`) before counting.

    In the first run after a checkout or an edit, the two counted processes each compiled the
    modules they found without bytecode, and not always the same ones (the other one may have
    written them meanwhile): that compiling does not cancel out. A fresh checkout counted 3.76
    million instructions per message where the runs after it counted 3.52."""
    root = Path(__file__).resolve().parent.parent
    for package in sorted(root.iterdir()):
        if (package / "__init__.py").is_file():
            compileall.compile_dir(package, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, nargs=2, default=[10, 40], metavar=("FEW", "MORE"))
    parser.add_argument("--postgres", help="a PostgreSQL URL whose schema may be dropped")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        asyncio.run(_child(args.child, args.postgres))
        return
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not installed (apt-get install valgrind)")
    few, more = args.people
    if more <= few:
        sys.exit("--people: the second number must be larger")
    compile_sources()
    if args.postgres:  # one database cannot hold both runs at once: one after the other
        counts = [count(few, args.postgres), count(more, args.postgres)]
    else:
        with ThreadPoolExecutor(2) as pool:
            counts = list(pool.map(lambda n: count(n, args.postgres), (few, more)))
    messages = (more - few) * len(ENROLMENT)
    per_message = (counts[1] - counts[0]) / messages
    database = "PostgreSQL" if args.postgres else "SQLite"
    print(
        f"engine ({database}): {per_message / 1e6:.3f} million instructions per message "
        f"({counts[0]:,} with {few} people, {counts[1]:,} with {more}; {messages} messages apart)"
    )


if __name__ == "__main__":
    main()
