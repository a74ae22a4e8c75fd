"""Group commit: what is put while one flush runs goes together in the next (one transaction
for many), so the writes keep up with any rate without a transaction per item."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class GroupCommit(Generic[T, R]):
    """Items put while a flush runs go together in the next flush: one transaction for many.

    `flush` gets the items in the order they were put and returns one result per item; a
    result that is an exception fails that item's future. A flush that raises fails them all.
    """

    def __init__(self, flush: Callable[[list[T]], Awaitable[list[R | Exception]]]) -> None:
        self._flush = flush
        self._items: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    def put(self, item: T) -> asyncio.Future[R]:
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._items.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run())
        return future

    async def _run(self) -> None:
        while self._items:
            batch, self._items = self._items, []
            results: list[R | Exception]
            try:
                results = await self._flush([item for item, _ in batch])
            except Exception as exc:
                results = [exc] * len(batch)
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, Exception):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def close(self, within: float = 10.0) -> None:
        """Lets what was put be written (for at most `within` seconds), then stops."""
        task = self._task
        if task is None or task.done():
            return
        with contextlib.suppress(BaseException):
            await asyncio.wait_for(asyncio.shield(task), within)
        if not task.done():
            task.cancel()
            with contextlib.suppress(BaseException):
                await task
