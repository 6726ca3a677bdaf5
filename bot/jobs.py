"""The background jobs of a running Garda: deliver the outbox, fire due SLA timers, and
bring the knowledge base up to date with edits made elsewhere.

Every process that talks to platforms runs them (``garda run``, each ``garda serve`` worker,
``garda chat``); several at once are safe, since claims and timers are row locks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from types import TracebackType
from typing import Protocol, Self

from bot.app import Garda
from bot.outbox import Outbox

logger = logging.getLogger(__name__)


class Sweeper(Protocol):
    """What fires due SLA timers (the dispatcher)."""

    async def sweep(self) -> int:
        """Fire the timers that are due; how many fired."""


class KbRefresher(Protocol):
    """What keeps the in-memory knowledge base current (the dispatcher)."""

    async def refresh_kb(self) -> int:
        """Apply the article changes made since the last look; how many."""


class Jobs:
    """A loop that, every ``interval`` seconds or at once when woken, empties the outbox of
    what is due, sweeps the SLA timers and (given ``kb``) reloads changed articles."""

    def __init__(
        self,
        outbox: Outbox,
        sweeper: Sweeper,
        *,
        kb: KbRefresher | None = None,
        interval: float = 5.0,
        grace: float = 30.0,
    ) -> None:
        self.outbox = outbox
        self.sweeper = sweeper
        self.kb = kb
        self.interval = interval
        self.grace = grace  # seconds stop() waits for the current round before cancelling it
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def run_once(self) -> None:
        """One round: deliver until nothing is due, sweep, deliver what sweeping queued, and
        reload the articles another process (or ``garda kb import``) changed."""
        await self._deliver_all()
        if await self.sweeper.sweep():
            await self._deliver_all()
        if self.kb is not None:
            await self.kb.refresh_kb()

    def start(self) -> None:
        """Run the loop in the background of the current event loop."""
        if self._task is None:
            self._stopping.clear()
            self._task = asyncio.get_running_loop().create_task(self._run(), name="garda-jobs")

    async def stop(self) -> None:
        """Stop the loop, letting the current round finish (for ``grace`` seconds at most)."""
        task, self._task = self._task, None
        if task is None:
            return
        self._stopping.set()
        self.outbox.wake()  # out of its wait: a last round delivers what was just queued
        try:
            await asyncio.wait_for(task, self.grace)
        except TimeoutError:  # a hung send: its message is retried after the claim's lease
            logger.warning("background jobs did not finish within %.0f s; cancelled", self.grace)

    async def __aenter__(self) -> Self:
        self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    async def _run(self) -> None:
        woken = self.outbox.woken
        while True:
            woken.clear()  # a wake during the round below makes the next wait return at once
            try:
                await self.run_once()
            except Exception:  # a failed round (the database away, a bug) must not end the loop
                logger.exception("background jobs: a round failed; trying again later")
            if self._stopping.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(woken.wait(), self.interval)

    async def _deliver_all(self) -> None:
        while await self.outbox.deliver_due():
            pass


def jobs_for(garda: Garda, *, interval: float = 5.0) -> Jobs:
    """The background jobs of ``garda``: its outbox, its dispatcher's SLA timers and KB."""
    return Jobs(garda.outbox, garda.dispatcher, kb=garda.dispatcher, interval=interval)
