"""/link: one person on Slack and Telegram, with one ticket history."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlmodel import select

from bot.app import Garda
from handlers.link import MAX_FAILURES
from models.tables import Identity, LinkCode, Person, utcnow
from tests.helpers import Chat

CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}")


async def a_ticket(chat: Chat) -> None:
    await chat.say("qwertyuiop zxcvbnm")  # matches nothing: straight to a ticket
    await chat.press("impact:low")
    await chat.press("urgency:low")


async def test_linking_makes_one_person_with_one_ticket_history(garda: Garda) -> None:
    on_slack = Chat(garda.dispatcher, user="U1", platform="slack")
    on_telegram = Chat(garda.dispatcher, user="42", platform="telegram")
    await a_ticket(on_slack)
    await on_telegram.say("/status")
    assert "no tickets" in on_telegram.text

    answer = await on_slack.say("/link")
    (reply,) = on_slack.replies
    assert reply.private  # a code is a secret: only in the private chat
    code = CODE.search(answer)
    assert code is not None

    assert "linked" in await on_telegram.say(f"/link {code.group().lower()}")  # case forgiven
    assert "#1" in await on_telegram.say("/status")

    async with garda.sessions() as session:
        people = (await session.exec(select(Person))).all()
        identities = (await session.exec(select(Identity))).all()
        codes = (await session.exec(select(LinkCode))).all()
    assert len(people) == 1
    assert {(i.platform, i.external_id) for i in identities} == {
        ("slack", "U1"),
        ("telegram", "42"),
    }
    assert codes == []  # used up
    assert all(code.group() not in str(c.code_hash) for c in codes)


async def test_a_code_works_once(garda: Garda) -> None:
    on_slack = Chat(garda.dispatcher, user="U1", platform="slack")
    code = CODE.search(await on_slack.say("/link"))
    assert code is not None
    await Chat(garda.dispatcher, user="42", platform="telegram").say(f"/link {code.group()}")

    answer = await Chat(garda.dispatcher, user="43", platform="telegram").say(
        f"/link {code.group()}"
    )
    assert "not valid" in answer


async def test_an_expired_code_is_refused(garda: Garda) -> None:
    on_slack = Chat(garda.dispatcher, user="U1", platform="slack")
    code = CODE.search(await on_slack.say("/link"))
    assert code is not None
    async with garda.sessions() as session, session.begin():
        for row in (await session.exec(select(LinkCode))).all():
            row.expires_at = utcnow() - timedelta(seconds=1)
            session.add(row)

    answer = await Chat(garda.dispatcher, user="42", platform="telegram").say(
        f"/link {code.group()}"
    )
    assert "not valid" in answer


async def test_a_code_sent_from_the_same_account_links_nothing(garda: Garda) -> None:
    on_slack = Chat(garda.dispatcher, user="U1", platform="slack")
    code = CODE.search(await on_slack.say("/link"))
    assert code is not None
    assert "same account" in await on_slack.say(f"/link {code.group()}")


async def test_guessing_codes_is_stopped(garda: Garda) -> None:
    on_slack = Chat(garda.dispatcher, user="U1", platform="slack")
    code = CODE.search(await on_slack.say("/link"))
    assert code is not None
    guesser = Chat(garda.dispatcher, user="666", platform="telegram")
    for _ in range(MAX_FAILURES):
        assert "not valid" in await guesser.say("/link AAAA-AAAA")

    assert "paused" in await guesser.say(f"/link {code.group()}")  # even the right one, now
