"""The one entry point from every adapter: ``handle(message) -> list[Reply]``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers import transcript
from handlers.backends import Backends
from handlers.clock import Clock
from handlers.desk import Desk
from handlers.errors import UserFacingError
from handlers.i18n import DEFAULT_LANG, Catalogue
from handlers.locks import KeyedLocks
from handlers.messages import IncomingMessage, Reply
from handlers.rails import Rails, looks_like_password
from handlers.router import Router, parse_command
from handlers.states import State
from handlers.sweeper import sweep
from handlers.text import clean_text
from handlers.tickets import status_text
from handlers.turn import Turn
from knowledge.base import KnowledgeBase
from knowledge.language import detect_language
from models.db import SessionFactory
from models.queries import find_person, lock_conversation, mark_processed, person_for
from models.tables import utcnow

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
                if turn.queued and self.wake is not None:
                    self.wake()
                return answer(turn.replies)
            except UserFacingError as error:
                return answer([Reply(self.catalogue.text(lang, error.key, **error.params))])
            except Exception:  # the one boundary: anything unexpected is a bug, rolled back
                logger.exception("failed to handle a message from %s", message.user_key)
                return [Reply(self.catalogue.text(lang, "error.unexpected"))]

    async def sweep(self) -> int:
        """Fire the SLA timers that are due; how many fired (see :func:`handlers.sweeper.sweep`)."""
        fired, queued = await sweep(
            self.sessions, desk=self.desk, catalogue=self.catalogue, now=self.clock()
        )
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
            desk=self.desk,
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
        conversation.updated_at = utcnow()
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
