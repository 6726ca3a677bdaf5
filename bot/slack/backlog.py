"""Work Slack has already been told is accepted: run after the acknowledgement, in order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.delivery import DeliveryError
from handlers.locks import KeyedLocks

logger = logging.getLogger(__name__)

Work = Callable[[], Awaitable[None]]


class Backlog:
    """Background tasks that can be waited for, one key's (one user's) work in arrival order."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()
        self._in_order = KeyedLocks()

    def __len__(self) -> int:
        return len(self._tasks)

    def add(self, work: Work, *, key: str | None) -> None:
        """Start ``work`` now, or after ``key``'s earlier work; ``None``: right away."""
        task = asyncio.create_task(self._run(work, key))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait until every piece of work added so far (and any it added) is done."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    async def close(self, *, grace: float) -> None:
        """Give running work ``grace`` seconds, then cancel what is left."""
        if self._tasks:
            _, late = await asyncio.wait(set(self._tasks), timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)

    async def _run(self, work: Work, key: str | None) -> None:
        try:
            if key is None:
                await work()
            else:
                async with self._in_order.hold(key):
                    await work()
        except DeliveryError as error:
            logger.error("could not answer %s in Slack: %s", key, error)
        except Exception:  # a background task's boundary: nothing awaits it to see the error
            logger.exception("Slack work for %s failed", key)
