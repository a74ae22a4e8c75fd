"""Exit 0 when the PostgreSQL server in the URL answers, 1 otherwise (used by `make test`)."""

from __future__ import annotations

import asyncio
import sys


async def _check(url: str) -> bool:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    try:
        connection = await asyncio.wait_for(asyncpg.connect(dsn), timeout=5)
    except Exception:
        return False
    await connection.close()
    return True


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(_check(sys.argv[1])) else 1)
