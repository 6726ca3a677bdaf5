"""The one entry point from every adapter: ``handle(message) -> list[Reply]``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers import transcript
from handlers.backends import Backends
from handlers.clock import Clock
from handlers.desk import Desk
from handlers.errors import UserFacingError
from handlers.i18n import DEFAULT_LANG, Catalogue
from handlers.locks import KeyedLocks
from handlers.messages import FormField, IncomingMessage, Reply
from handlers.outcomes import drop_abandoned
from handlers.rails import Rails, looks_like_password
from handlers.router import Router, parse_command
from handlers.states import State
from handlers.sweeper import sweep
from handlers.text import clean_text
from handlers.tickets import status_text
from handlers.turn import Turn, pending_form
from knowledge.base import KnowledgeBase
from knowledge.language import detect_language
from knowledge.revisions import changed_since, kb_version, to_doc
from models.db import SessionFactory
from models.queries import (
    find_person,
    lock_conversation,
    mark_processed,
    person_for,
    staff_members,
)
from models.tables import Conversation, utcnow

logger = logging.getLogger(__name__)

Observer = Callable[[str, str], None]  # (kind, value): "decision", "answer"; never raises
BackendFactory = Callable[[AsyncSession], Backends]  # builtin backends use the turn's session


class Dispatcher:
    """Handles each message in its own transaction, one message per user at a time.

    In one process an asyncio lock per user orders messages; across processes the
    conversation row, locked for the whole transaction, does the same.
    """

    def __init__(
        self,
        *,
        sessions: SessionFactory,
        kb: KnowledgeBase,
        catalogue: Catalogue,
        router: Router,
        desk: Desk | None = None,
        observer: Observer | None = None,
        backends: BackendFactory | None = None,
        rails: Rails | None = None,
        clock: Clock = utcnow,
        wake: Callable[[], None] | None = None,
    ) -> None:
        self.sessions = sessions
        self.kb = kb
        self.catalogue = catalogue
        self.router = router
        self.desk = desk or Desk()
        self.observer = observer
        self.backends = backends or (lambda _session: Backends())
        self.rails = rails or Rails()
        self.clock = clock
        self.wake = wake  # called after a commit that put messages in the outbox
        self._locks = KeyedLocks()
        self._kb_seen: int | None = None  # kb_version last applied to self.kb (None: never)
        self._kb_lock = asyncio.Lock()  # two refreshes at once could apply older rows last
        self._help = tuple(
            (command.name, command.help)
            for command in router.commands.values()
            if not command.hidden
        )

    async def handle(self, message: IncomingMessage) -> list[Reply]:
        """Answer one message; never raises."""
        in_channel = self.desk.is_support_channel(message.origin)

        def answer(replies: list[Reply]) -> list[Reply]:
            if in_channel and message.choice is not None:  # a ticket button in a channel:
                return [_privately(reply) for reply in replies]  # answered to the presser only
            return replies

        async with self._locks.hold(message.user_key):
            lang = DEFAULT_LANG
            try:
                async with self.sessions() as session, session.begin():
                    if message.event_key and not await mark_processed(
                        session, key=message.event_key
                    ):
                        logger.info("ignoring repeated event %s", message.event_key)
                        return []
                    turn = await self._start_turn(session, message)
                    lang = turn.lang
                    if _pasted_password(turn):  # never stored, never matched, never logged
                        turn.say("security.password_pasted")
                        turn.note("security", "password_pasted")
                    else:
                        transcript.heard(
                            turn.transcript,
                            text=turn.text,
                            name=turn.person.display_name,
                            state=turn.state,
                        )
                        await self.router.dispatch(turn, in_channel=in_channel)
                    self._save(turn)
                self._report(turn.notes)
                if turn.kb_changed:  # committed: the very next message matches the new text
                    await self._refresh_kb_after_edit()
                if turn.queued and self.wake is not None:
                    self.wake()
                return answer(turn.replies)
            except UserFacingError as error:
                return answer([Reply(self.catalogue.text(lang, error.key, **error.params))])
            except Exception:  # the one boundary: anything unexpected is a bug, rolled back
                logger.exception("failed to handle a message from %s", message.user_key)
                return [Reply(self.catalogue.text(lang, "error.unexpected"))]

    async def sweep(self) -> int:
        """Fire the SLA timers that are due (see :func:`handlers.sweeper.sweep`), and end the
        support conversations left unanswered; how many timers fired."""
        now = self.clock()
        fired, queued = await sweep(
            self.sessions, desk=self.desk, catalogue=self.catalogue, now=now
        )
        await drop_abandoned(self.sessions, kb=self.kb, now=now)
        if queued and self.wake is not None:
            self.wake()
        return fired

    async def overview(self, *, platform: str, user_id: str) -> str:
        """Someone's tickets in their language, read without touching their conversation."""
        async with self.sessions() as session:
            person = await find_person(session, platform=platform, external_id=user_id)
            t = self.catalogue.texts((person.lang if person else None) or DEFAULT_LANG)
            if person is None or person.id is None:
                return t("status.none")
            return await status_text(session, person_id=person.id, t=t)

    async def pending_form(self, *, platform: str, user_id: str) -> tuple[FormField, ...]:
        """The form of the question someone's conversation waits on, read without locking it."""
        async with self.sessions() as session:
            found = await session.exec(
                select(Conversation).where(Conversation.user_key == f"{platform}:{user_id}")
            )
            conversation = found.first()
            return pending_form(conversation.data or {}) if conversation is not None else ()

    async def refresh_kb(self) -> int:
        """Bring the in-memory KB up to date with the database (edits by this or any other
        process, ``garda kb import``...); how many article languages were looked at again."""
        async with self._kb_lock:
            async with self.sessions() as session:
                version = await kb_version(session)
                if version == self._kb_seen:
                    return 0
                # The first time, everything: the KB was loaded before any version was seen.
                rows = await changed_since(session, self._kb_seen or 0)
            for row in rows:
                if row.enabled and not row.draft:
                    self.kb.put(to_doc(row))
                else:
                    self.kb.drop(row.slug, row.lang)
            self._kb_seen = version
            if rows:
                logger.info("knowledge base: %d article languages reloaded", len(rows))
            return len(rows)

    async def _refresh_kb_after_edit(self) -> None:
        try:
            await self.refresh_kb()
        except Exception:  # the edit is saved; the jobs' next round reloads it, so no apology
            logger.exception("could not reload the knowledge base after an edit")

    def _report(self, notes: list[tuple[str, str]]) -> None:
        if self.observer is not None:
            for kind, value in notes:
                self.observer(kind, value)

    async def _start_turn(self, session: AsyncSession, message: IncomingMessage) -> Turn:
        person = await person_for(
            session,
            platform=message.platform,
            external_id=message.user_id,
            display_name=message.display_name,
            email=message.email,
        )
        assert person.id is not None
        conversation = await lock_conversation(
            session, user_key=message.user_key, person_id=person.id
        )
        text, truncated = clean_text(message.text)
        now = self.clock()
        state = _known_state(conversation.state)
        data = dict(conversation.data or {})
        lines, since = transcript.resume(data, state, now)
        turn = Turn(
            message=message,
            text=text,
            session=session,
            person=person,
            conversation=conversation,
            kb=self.kb,
            catalogue=self.catalogue,
            state=state,
            data=data,
            commands=self._help,
            desk=self.desk.with_staff(await staff_members(session)),  # no restart needed
            backends=self.backends(session),
            rails=self.rails,
            now=now,
            transcript=lines,
            since=since,
        )
        turn.lang = self._language(turn)
        if truncated:
            turn.say("input.truncated", limit=len(text))
        return turn

    def _language(self, turn: Turn) -> str:
        """The saved choice, else what this message is written in, else the conversation's."""
        if turn.person.lang:
            return turn.person.lang
        detected = None
        if parse_command(turn.text) is None and turn.chosen() is None:
            # Once a conversation has a language, a switch needs more than one telling word,
            # so an answer like "Error 0x80" or "ok" does not flip it.
            settled = turn.conversation.lang is not None
            detected = detect_language(turn.text, min_words=2 if settled else 1)
        turn.rejected = None
        if detected is not None:
            turn.conversation.lang = detected
        return detected or turn.conversation.lang or DEFAULT_LANG

    def _save(self, turn: Turn) -> None:
        transcript.said(turn.transcript, turn.replies)
        transcript.keep(turn.data, turn.transcript, turn.since, turn.state)
        conversation = turn.conversation
        conversation.state = turn.state.value
        conversation.data = turn.data
        conversation.updated_at = turn.now  # the dispatcher's clock, as everything else
        flag_modified(conversation, "data")
        turn.session.add(conversation)


def _privately(reply: Reply) -> Reply:
    return reply if reply.to is not None else replace(reply, private=True)


def _pasted_password(turn: Turn) -> bool:
    """A lone password-like token typed where no code is expected."""
    return (
        turn.state is not State.VERIFY_CODE
        and turn.message.choice is None
        and parse_command(turn.text) is None
        and looks_like_password(turn.text)
    )


def _known_state(value: str) -> State:
    try:
        return State(value)
    except ValueError:  # a state from a newer or older release: start afresh, never crash
        logger.warning("conversation in unknown state %r; starting afresh", value)
        return State.IDLE
