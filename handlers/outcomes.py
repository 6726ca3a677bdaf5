"""How each support conversation ended: one ``SupportRequest`` row per conversation.

A support conversation begins when a requester's words are matched against the knowledge
base (their first problem description) and ends at the first of:

* ``solved``: they pressed Solved on an article;
* ``fixed``: a self-service action they started ended DONE;
* ``ticket``: a ticket was opened (after an escalation, a failed action, a limit...);
* ``dropped``: it ended with neither — ``/cancel`` or ``/start`` mid-way, an action they
  cancelled or a rail refused, or an action that found nothing to do (not locked, not
  banned). A limited action or an account not found goes on towards a ticket, so it is not
  an end yet; it ends as ``ticket`` or, if they cancel then, ``dropped``.

A conversation the requester leaves half-way (an article never answered, a question never
replied to) ends ``dropped`` after :data:`ABANDONED_AFTER` without a word (see
:func:`drop_abandoned`); if they come back to it later, nothing more is recorded.

Small talk, commands and agents' work (``/act``) never begin one. The open conversation lives
in ``turn.data`` under :data:`KEY`; recording removes it, so nothing is recorded twice.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm.attributes import flag_modified
from sqlmodel import col, select

from handlers import transcript
from handlers.transcript import REDACTED, redact
from handlers.turn import Turn
from knowledge.base import KnowledgeBase
from knowledge.matching import Decision, MatchResult
from knowledge.regression import SOLVED, Saved, save_case
from models.db import SessionFactory
from models.tables import Conversation, RequestOutcome, SupportRequest, Ticket

logger = logging.getLogger(__name__)

KEY = "support"  # turn.data: the support conversation under way
ABANDONED_AFTER = timedelta(hours=24)  # no word for this long: the conversation was dropped
_EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
# Digits in a run (codes, phone and account numbers); not inside a word, so "0x80070005"
# and "KB5034441" stay: error codes are what makes a gap recognisable.
_NUMBER = re.compile(r"(?<![\w.])\+?\d[\d ().-]*\d(?![\w])")
MIN_SECRET_DIGITS = 6  # a six-digit code, a phone number; "floor 3", "error 404" are kept


def scrub(text: str) -> str:
    """``text`` fit to store: emails, long numbers and password-like words replaced."""
    text = _EMAIL.sub(REDACTED, text)
    text = _NUMBER.sub(
        lambda found: (
            REDACTED if sum(ch.isdigit() for ch in found[0]) >= MIN_SECRET_DIGITS else found[0]
        ),
        text,
    )
    return redact(text)


def matched(turn: Turn, result: MatchResult) -> None:
    """The requester's words were matched: the conversation begins (if new) or goes on."""
    request: dict[str, Any] = turn.data.setdefault(KEY, {"query": scrub(turn.text)})
    best = result.best
    # what these words found first, for the regression case a "Solved" makes
    request["top"] = best.article if best and result.decision is not Decision.ESCALATE else None
    request["words"] = scrub(turn.text)


def shown(turn: Turn, article_id: str) -> None:
    """An article was shown as the answer."""
    if KEY in turn.data:
        turn.data[KEY]["article"] = article_id


def heard(turn: Turn, feedback: str) -> None:
    """The requester answered "did it help?": ``solved``, ``not_solved`` or ``human``."""
    if KEY in turn.data:
        turn.data[KEY]["feedback"] = feedback


async def finish(turn: Turn, outcome: RequestOutcome, *, ticket: Ticket | None = None) -> None:
    """Record how the conversation ended; nothing if none is open (or it was recorded)."""
    request: dict[str, Any] | None = turn.data.pop(KEY, None)
    if request is None:
        return
    article = request.get("article")
    doc = turn.kb.article(article, turn.lang) if article else None
    attempts = turn.data.get("attempts") or []
    action = attempts[-1]["action"] if attempts else (turn.data.get("action") or {}).get("name")
    assert turn.person.id is not None
    turn.session.add(
        _record(
            request,
            user_key=turn.message.user_key,
            person_id=turn.person.id,
            started_at=turn.since,
            ended_at=turn.now,
            outcome=outcome,
            topic=ticket.topic if ticket else doc.topic if doc else "other",
            action=action,
            ticket_id=ticket.id if ticket else None,
            lang=turn.lang,
        )
    )
    if outcome is RequestOutcome.SOLVED and article and article == request.get("top"):
        await _keep_as_case(turn, request["words"], article)


async def _keep_as_case(turn: Turn, words: str, article: str) -> None:
    """A solved conversation becomes a regression case: these words must keep finding it.

    Only when the article ranked first for them: one picked lower down a "did you mean"
    list would fail ``garda kb test`` at once (that wording is recorded as a weak gap).
    """
    if not words:
        return
    saved = await save_case(turn.session, query=words, expected=article, source=SOLVED)
    if saved is Saved.CREATED:
        logger.info("saved a regression case for %s from a solved conversation", article)


async def drop_abandoned(
    sessions: SessionFactory, *, kb: KnowledgeBase, now: datetime, batch: int = 50
) -> int:
    """End as ``dropped`` the support conversations nobody has written in for
    :data:`ABANDONED_AFTER`; how many. A conversation someone is writing in right now is
    skipped (its row is locked), and its state is kept: a late answer still reaches it."""
    ended = 0
    async with sessions() as session, session.begin():
        statement = (
            select(Conversation)
            .where(col(Conversation.state) != "idle")
            .where(col(Conversation.updated_at) < now - ABANDONED_AFTER)
            .order_by(col(Conversation.updated_at))
            .limit(batch)
            .with_for_update(skip_locked=True)
        )
        for conversation in await session.exec(statement):
            data = dict(conversation.data or {})
            request = data.pop(KEY, None)
            if request is None:
                continue
            saved = data.get(transcript.KEY) or {}
            since = datetime.fromisoformat(saved["since"]) if "since" in saved else None
            article = request.get("article")
            lang = conversation.lang or "en"
            doc = kb.article(article, lang) if article else None
            session.add(
                _record(
                    request,
                    user_key=conversation.user_key,
                    person_id=conversation.person_id,
                    started_at=since or conversation.updated_at,
                    ended_at=conversation.updated_at,  # their last word, not this sweep
                    outcome=RequestOutcome.DROPPED,
                    topic=doc.topic if doc else "other",
                    action=(data.get("action") or {}).get("name"),
                    ticket_id=None,
                    lang=lang,
                )
            )
            conversation.data = data
            flag_modified(conversation, "data")
            session.add(conversation)
            ended += 1
    if ended:
        logger.info("%d support conversation(s) left unanswered ended as dropped", ended)
    return ended


def _record(
    request: dict[str, Any],
    *,
    user_key: str,
    person_id: int,
    started_at: datetime,
    ended_at: datetime,
    outcome: RequestOutcome,
    topic: str,
    action: str | None,
    ticket_id: int | None,
    lang: str,
) -> SupportRequest:
    return SupportRequest(
        user_key=user_key,
        person_id=person_id,
        started_at=started_at,
        ended_at=ended_at,
        outcome=outcome.value,
        topic=topic,
        article=request.get("article"),
        feedback=request.get("feedback"),
        action=action,
        ticket_id=ticket_id,
        lang=lang,
        query=request.get("query", ""),
    )
