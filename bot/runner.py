"""``garda run``: the worker, connected by Slack Socket Mode and Telegram long polling."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.app import garda_for
from bot.config import Settings
from bot.jobs import jobs_for
from bot.platforms import connect

logger = logging.getLogger(__name__)


async def run_worker(settings: Settings, *, stop: asyncio.Event | None = None) -> None:
    """Serve every configured platform until ``stop`` is set (or SIGINT / SIGTERM)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        # Not possible off the main thread or on some platforms: then Ctrl+C still stops us.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    async with (
        garda_for(settings) as garda,
        connect(garda, settings, "worker"),
        jobs_for(garda),  # stopped first: its last round still has the platforms to send to
    ):
        logger.info("Garda is running; stop with Ctrl+C")
        await stop.wait()
    logger.info("Garda stopped")
