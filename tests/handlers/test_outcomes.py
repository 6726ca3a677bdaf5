"""How support conversations end (one ``SupportRequest`` each) and the knowledge gaps they leave,
through real conversations on SQLite and, when it is set up, PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import select

from bot.backends.choose import BackendSet
from bot.config import Settings
from handlers.backends import BackendError
from handlers.rails import Rails
from models.tables import FirewallBan, KnowledgeGap, RegressionCase, SupportRequest, Ticket
from tests.desk.office import MONDAY, Colleague, Office, migrate, office

BANNED = "93.184.216.34"
SECRETS = ("ana@example.com", "483920", "812 3456 7890")


@pytest.fixture
async def desk(either_url: str) -> AsyncIterator[Office]:
    """An office whose firewall (Garda's builtin one) bans one address."""
    await migrate(either_url)
    async with office(either_url) as ready:
        dispatcher = ready.garda.dispatcher
        backends = BackendSet(Settings(_env_file=None, GARDA_DATABASE_URL=either_url))
        dispatcher.backends = backends
        dispatcher.rails = Rails(cooldown=timedelta(0))
        async with ready.garda.sessions() as session, session.begin():
            session.add(FirewallBan(address=BANNED, jail="sshd"))
        yield ready
        await backends.close()


async def rows(desk: Office, table: Any) -> list[Any]:
    async with desk.garda.sessions() as session:
        return list((await session.exec(select(table))).all())


async def request_of(desk: Office) -> SupportRequest:
    """The one support request recorded (fails if there are more)."""
    (only,) = await rows(desk, SupportRequest)
    assert isinstance(only, SupportRequest)
    return only


async def to_ticket(person: Colleague) -> str:
    """Skip the article's facts, answer impact and urgency: the ticket opens."""
    for _ in range(5):
        if "Who is affected" in person.text:
            break
        await person.press("skip")
    await person.press("impact:low")
    return await person.press("urgency:low")


# Each ending, recorded once


async def test_an_article_that_solved_it(desk: Office) -> None:
    ana = desk.person("ana")
    await ana.say("I forgot my password")
    desk.clock.advance(minutes=3)
    await ana.press("solved")

    request = await request_of(desk)
    assert (request.outcome, request.article, request.feedback, request.topic) == (
        "solved", "password-reset", "solved", "password_reset",
    )  # fmt: skip
    assert (request.query, request.user_key, request.lang) == (
        "I forgot my password", "console:ana", "en",
    )  # fmt: skip
    assert request.started_at == MONDAY and request.ended_at == MONDAY + timedelta(minutes=3)
    assert request.person_id is not None and request.ticket_id is None and request.action is None
    assert await rows(desk, KnowledgeGap) == []  # a clear answer leaves no gap


async def test_not_solved_then_a_ticket_is_one_ticket_request_and_a_redacted_gap(
    desk: Office,
) -> None:
    ana = desk.person("ana")
    await ana.say("I forgot my password, my email is ana@example.com and the code was 483920")
    await ana.press("article:password-reset")  # the secrets make it a "did you mean"
    await ana.press("not_solved")
    assert "ticket #1" in await to_ticket(ana)

    request = await request_of(desk)
    (ticket,) = await rows(desk, Ticket)
    assert (request.outcome, request.ticket_id, request.topic) == (
        "ticket",
        ticket.id,
        "password_reset",
    )
    assert (request.article, request.feedback) == ("password-reset", "not_solved")
    weak, gap = sorted(await rows(desk, KnowledgeGap), key=lambda row: row.reason != "weak")
    assert (weak.reason, gap.reason) == ("weak", "not_solved")
    assert (gap.article, gap.user_key) == ("password-reset", "console:ana")
    assert gap.score > 0.3
    for stored in (weak.query, gap.query, request.query):
        assert stored.startswith("I forgot my password") and "[…]" in stored
        assert not any(secret in stored for secret in SECRETS)


async def test_no_article_escalates_to_a_ticket_and_records_the_gap_without_secrets(
    desk: Office,
) -> None:
    ana = desk.person("ana")
    await ana.say("the coffee machine on floor 3 is leaking, call me on +62 812 3456 7890")
    await to_ticket(ana)

    request = await request_of(desk)
    assert (request.outcome, request.topic, request.article, request.feedback) == (
        "ticket", "other", None, None,
    )  # fmt: skip
    (gap,) = await rows(desk, KnowledgeGap)
    assert gap.reason == "escalate" and gap.lang == "en"
    assert gap.query == "the coffee machine on floor 3 is leaking, call me on […]"


async def test_a_self_service_fix_that_worked(desk: Office) -> None:
    ana = desk.person("ana")
    await ana.say("my IP address is blocked")
    await ana.press("action:ip_unblock")
    await ana.say(BANNED)
    assert "is unblocked" in await ana.press("yes")

    request = await request_of(desk)
    assert (request.outcome, request.action, request.article, request.topic) == (
        "fixed", "ip_unblock", "ip-blocked", "ip_blocked",
    )  # fmt: skip
    assert request.feedback is None  # an action was chosen instead of answering


class BrokenFirewall:
    name = "broken"

    async def banned_in(self, address: str) -> list[str]:
        raise BackendError("firewall API answered 500")

    async def unban(self, address: str, jails: list[str]) -> None:
        raise AssertionError("never reached")


async def test_a_failed_fix_that_opened_a_ticket_is_recorded_once_as_a_ticket(
    desk: Office,
) -> None:
    from handlers.backends import Backends

    desk.garda.dispatcher.backends = lambda _session: Backends(firewall=BrokenFirewall())
    ana = desk.person("ana")
    await ana.say("my IP address is blocked")
    await ana.press("action:ip_unblock")
    await ana.say(BANNED)
    assert "ticket #1" in await ana.press("yes")

    request = await request_of(desk)
    assert (request.outcome, request.action, request.ticket_id) == ("ticket", "ip_unblock", 1)


@pytest.mark.parametrize(
    "ending",
    ["/cancel", "/start", "no to the action", "cancel the action", "nothing to unblock"],
)
async def test_conversations_that_end_without_a_fix_or_a_ticket_are_dropped(
    desk: Office, ending: str
) -> None:
    ana = desk.person("ana")
    await ana.say("my IP address is blocked")
    action = None
    if ending.startswith("/"):
        await ana.say(ending)
    else:
        action = "ip_unblock"
        await ana.press("action:ip_unblock")
        if ending == "cancel the action":
            await ana.press("cancel")
        else:
            await ana.say("93.184.216.99" if ending == "nothing to unblock" else BANNED)
            await ana.press("yes" if ending == "nothing to unblock" else "no")
    request = await request_of(desk)
    assert (request.outcome, request.action, request.article) == ("dropped", action, "ip-blocked")
    await ana.say("/cancel")  # nothing under way any more: nothing more recorded
    assert len(await rows(desk, SupportRequest)) == 1


async def test_a_conversation_left_unanswered_for_a_day_is_dropped_once(desk: Office) -> None:
    ana = desk.person("ana")
    await ana.say("I forgot my password")  # the article, and "did it help?"
    desk.clock.advance(hours=23)
    await desk.sweep()
    assert await rows(desk, SupportRequest) == []  # a day is not over yet

    desk.clock.advance(hours=2)
    await desk.sweep()
    await desk.sweep()  # a second sweep finds nothing more to end
    request = await request_of(desk)
    assert (request.outcome, request.article, request.topic, request.feedback) == (
        "dropped", "password-reset", "password_reset", None,
    )  # fmt: skip
    assert request.started_at == request.ended_at == MONDAY  # ended at her last word

    await ana.press("solved")  # she comes back to it: answered, but not counted twice
    assert "glad" in ana.text.casefold()
    assert len(await rows(desk, SupportRequest)) == 1


async def test_small_talk_commands_and_agents_work_are_not_support_requests(
    desk: Office,
) -> None:
    ana = desk.person("ana")
    for line in ("hello", "thanks!", "/help", "/status", "/cancel"):
        await ana.say(line)
    budi = desk.person("budi")  # a Level 2 agent, fixing it for someone
    await budi.say(f"/act ip_unblock {BANNED}")
    await budi.press("yes")
    assert await rows(desk, SupportRequest) == []
    assert await rows(desk, KnowledgeGap) == []


# Weak matches and what a "Solved" teaches


async def test_a_did_you_mean_is_a_weak_gap_once_and_its_solved_top_pick_a_regression_case(
    desk: Office,
) -> None:
    ana = desk.person("ana")
    await ana.say("printer jammed paper")
    assert "article:printer-not-printing" in ana.choice_ids
    await ana.say("printer jammed paper, really")  # said again: still weak, still one gap
    await ana.press("article:printer-not-printing")
    await ana.press("solved")

    (gap,) = await rows(desk, KnowledgeGap)
    assert (gap.reason, gap.article, gap.query) == (
        "weak",
        "printer-not-printing",
        "printer jammed paper",
    )
    request = await request_of(desk)
    assert (request.outcome, request.query) == ("solved", "printer jammed paper")
    (case,) = await rows(desk, RegressionCase)
    assert (case.query, case.expected, case.source) == (
        "printer jammed paper, really", "printer-not-printing", "solved",
    )  # fmt: skip


async def test_a_lower_did_you_mean_pick_is_not_made_a_case_and_a_known_query_is_not_repeated(
    desk: Office,
) -> None:
    ana = desk.person("ana")
    await ana.say("printer jammed paper")
    await ana.press("article:printer-add")  # second in the list: the ranking was wrong
    await ana.press("solved")
    assert await rows(desk, RegressionCase) == []

    for _ in range(2):
        await ana.say("I forgot my password")
        await ana.press("solved")
    assert [case.query for case in await rows(desk, RegressionCase)] == ["I forgot my password"]
    assert [r.outcome for r in await rows(desk, SupportRequest)] == ["solved"] * 3


async def test_wanting_a_person_after_an_article_is_a_not_solved_gap(desk: Office) -> None:
    ana = desk.person("ana")
    await ana.say("vpn won't connect from home")
    await ana.press("human")
    await ana.say("/cancel")

    (gap,) = await rows(desk, KnowledgeGap)
    assert (gap.reason, gap.article) == ("not_solved", "vpn-cannot-connect")
    request = await request_of(desk)
    assert (request.outcome, request.feedback, request.topic) == ("dropped", "human", "vpn")
