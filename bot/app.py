"""Wiring: from settings to a ready dispatcher on a migrated database with a loaded KB."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.config import Settings
from bot.delivery import Courier
from bot.metrics import Metrics
from bot.outbox import Outbox
from handlers import build_router
from handlers.backends import Mailer
from handlers.clock import Clock
from handlers.desk import Desk
from handlers.dispatcher import BackendFactory, Dispatcher, Observer
from handlers.i18n import Catalogue
from handlers.messages import IncomingMessage
from handlers.rails import Rails
from knowledge.articles import read_folder
from knowledge.base import KnowledgeBase
from knowledge.store import BUNDLED, count_articles, enabled_articles, save_articles
from models.db import SessionFactory, make_engine, make_sessions
from models.migrate import ensure_schema
from models.tables import utcnow

logger = logging.getLogger(__name__)


@dataclass
class Garda:
    """A running Garda: its database, its dispatcher, and the ways out to every platform:
    the courier for immediate replies, the outbox for messages that must arrive.

    Nothing runs in the background here: ``bot.jobs.Jobs`` delivers the outbox and sweeps
    the SLA timers where a process starts it (tests call ``outbox.deliver_due()`` instead).
    """

    engine: AsyncEngine
    sessions: SessionFactory
    dispatcher: Dispatcher
    courier: Courier
    outbox: Outbox
    metrics: Metrics = field(default_factory=Metrics)

    async def receive(self, message: IncomingMessage) -> None:
        """Handle a message from any adapter and deliver what Garda answers."""
        started = time.perf_counter()
        replies = await self.dispatcher.handle(message)
        await self.courier.deliver(message, replies)
        self.metrics.message_handled(message.platform, time.perf_counter() - started)


async def prepare_database(url: str) -> tuple[AsyncEngine, SessionFactory]:
    """Engine and sessions on a current schema, with the bundled KB on first start."""
    engine = make_engine(url)
    try:
        await ensure_schema(engine, url)
        sessions = make_sessions(engine)
        async with sessions() as session, session.begin():
            if await count_articles(session) == 0:
                summary = await save_articles(
                    session, read_folder(BUNDLED), author="garda", source="import"
                )
                logger.info("loaded %d bundled articles", summary.created)
    except BaseException:
        await engine.dispose()
        raise
    return engine, sessions


@asynccontextmanager
async def open_database(url: str) -> AsyncIterator[SessionFactory]:
    """Sessions on a prepared database (see :func:`prepare_database`), closed afterwards."""
    engine, sessions = await prepare_database(url)
    try:
        yield sessions
    finally:
        await engine.dispose()


@asynccontextmanager
async def open_garda(
    database_url: str,
    *,
    desk: Desk | None = None,
    observer: Observer | None = None,
    backends: BackendFactory | None = None,
    rails: Rails | None = None,
    clock: Clock = utcnow,
) -> AsyncIterator[Garda]:
    """Start Garda on ``database_url`` and close its connections afterwards."""
    engine, sessions = await prepare_database(database_url)
    metrics = Metrics()
    courier = Courier()
    outbox = Outbox(sessions, courier, clock=clock, metrics=metrics)

    def observe(kind: str, value: str) -> None:
        metrics.observe(kind, value)
        if observer is not None:
            observer(kind, value)

    try:
        async with sessions() as session:
            kb = KnowledgeBase(await enabled_articles(session))
        dispatcher = Dispatcher(
            sessions=sessions,
            kb=kb,
            catalogue=Catalogue.load(),
            router=build_router(),
            desk=desk,
            observer=observe,
            backends=backends,
            rails=rails,
            clock=clock,
            wake=outbox.wake,
        )
        yield Garda(engine, sessions, dispatcher, courier, outbox, metrics=metrics)
    finally:
        await engine.dispose()


@asynccontextmanager
async def garda_for(settings: Settings, *, mailer: Mailer | None = None) -> AsyncIterator[Garda]:
    """Garda as ``settings`` describe it: desk, backends, rails (``garda chat/run/serve``)."""
    from bot.backends.choose import BackendSet  # the backend clients load only when used

    backends = BackendSet(settings, mailer=mailer)
    try:
        async with open_garda(
            settings.database_url,
            desk=settings.desk(),
            backends=backends,
            rails=settings.rails(),
        ) as garda:
            yield garda
    finally:
        await backends.close()
