"""Run the suite on SQLite and, when its server answers, on PostgreSQL; report both (`make test`).

The fast run spends much of its time waiting (sockets, subprocesses, paced senders), so on a
2-core machine the two databases' runs go side by side, each into its own log that is printed whole
when it ends, and each in two pytest-xdist workers (a PostgreSQL worker gets its own database,
see tests/conftest.py). The slow run (CI=true or RUN_SLOW=1) holds storms and rate measurements
that should have the machine to themselves, so there the runs go one after the other, streamed as
they happen, in one process each. Both results are always reported, and the exit status is 1 if
either run failed.

    python -m tests.run_suites POSTGRES_URL
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

PYTEST = [sys.executable, "-m", "pytest", "-q"]
FAST_WORKERS = ["-n", "2"]
"""Workers per database in the fast run: on this 2-core machine the two suites took 5 min 46 s
with one process per database and 4 min 39 s with two (measured within one hour)."""


async def postgres_answers(url: str) -> bool:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    try:
        connection = await asyncio.wait_for(asyncpg.connect(dsn), timeout=5)
    except Exception:
        return False
    await connection.close()
    return True


@dataclass(frozen=True)
class Suite:
    name: str
    env: dict[str, str]


def slow_run() -> bool:
    return os.environ.get("CI", "").lower() == "true" or os.environ.get("RUN_SLOW") == "1"


def run_one_after_the_other(suites: list[Suite], pytest: list[str]) -> dict[str, bool]:
    passed = {}
    for suite in suites:
        print(f"== {suite.name}", flush=True)
        passed[suite.name] = subprocess.run(pytest, env=suite.env, check=False).returncode == 0
    return passed


def run_side_by_side(suites: list[Suite], pytest: list[str]) -> dict[str, bool]:
    with tempfile.TemporaryDirectory(prefix="bpu-tests-") as folder:
        logs = {suite.name: Path(folder) / f"{suite.name}.log" for suite in suites}
        running = {}
        for suite in suites:
            with logs[suite.name].open("wb") as log:
                running[suite.name] = subprocess.Popen(
                    pytest, env=suite.env, stdout=log, stderr=subprocess.STDOUT
                )
        print(f"== running {', '.join(running)} side by side; each log follows when it ends", flush=True)
        passed = {}
        for name, process in running.items():
            passed[name] = process.wait() == 0
            print(f"== {name}", flush=True)
            sys.stdout.write(logs[name].read_text(errors="replace"))
            sys.stdout.flush()
    return passed


def main(postgres_url: str) -> int:
    base = {key: value for key, value in os.environ.items() if key != "TEST_DATABASE_URL"}
    suites = [Suite("SQLite", base)]
    postgres_note = f"not run (no server at {postgres_url})"
    if asyncio.run(postgres_answers(postgres_url)):
        suites.append(Suite("PostgreSQL", {**base, "TEST_DATABASE_URL": postgres_url}))
    if slow_run():
        passed = run_one_after_the_other(suites, PYTEST)
    elif len(suites) == 1:
        passed = run_one_after_the_other(suites, PYTEST + FAST_WORKERS)
    else:
        passed = run_side_by_side(suites, PYTEST + FAST_WORKERS)
    verdict = {name: "passed" if ok else "FAILED" for name, ok in passed.items()}
    print(f"== SQLite: {verdict['SQLite']}; PostgreSQL: {verdict.get('PostgreSQL', postgres_note)}")
    return 0 if all(passed.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
