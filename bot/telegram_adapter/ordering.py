"""Updates from one person handled one at a time, in the order they came; others alongside."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from handlers.locks import KeyedLocks


class PerUserUpdateProcessor(BaseUpdateProcessor):
    """Runs a person's updates in arrival order, replies included, and different people's
    concurrently.

    The dispatcher already serialises the handling of each user's messages, but a button press
    calls Telegram (answer, close the keyboard) before it reaches the dispatcher, and replies
    are sent after it: without this, a message typed right after a press could overtake it.
    PTB starts update tasks in arrival order and nothing here waits before taking the lock,
    so the lock's queue is the arrival order.
    """

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks = KeyedLocks()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` once the person's earlier updates are done."""
        # A person's waiting updates hold concurrency slots meanwhile (PTB takes the slot
        # before calling this and does not let subclasses change that); people type slowly
        # enough for that not to matter.
        key = _person_of(update)
        if key is None:
            await coroutine
            return
        async with self._locks.hold(key):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to close."""


def _person_of(update: object) -> str | None:
    if isinstance(update, Update):
        if update.effective_user is not None:
            return str(update.effective_user.id)
        if update.effective_chat is not None:
            return str(update.effective_chat.id)
    return None
