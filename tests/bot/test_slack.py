"""Garda in Slack, end to end: the real slack-bolt / slack-sdk clients against a local fake
Slack, with signed requests into the adapter's HTTP endpoint or events over Socket Mode."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from slack_sdk.web.async_client import AsyncWebClient
from sqlmodel import select

from bot.app import Garda, open_garda
from bot.config import Settings
from bot.delivery import DeliveryError
from bot.slack import COMMAND, SlackAdapter, SlackConfigurationError, SlackSender, escape, plain
from bot.slack.blocks import LABEL_LIMIT, MAX_BUTTONS, SECTION_LIMIT, message
from handlers.desk import AGENT_COMMANDS, Desk
from handlers.messages import Address, Choice, FormField, IncomingMessage, Reply
from models.queries import find_person
from models.tables import Ticket
from tests.fakes.slack import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    FakeSlack,
    Inbound,
    button_labels,
    button_press,
    buttons,
    channel_press,
    direct_channel,
    direct_message,
    event_callback,
    inbound,
    mention,
    slash_command,
    socket_envelope,
    thread_reply,
    view_submission,
)

ANA = "UANA"  # shares her work email with apps
BUDI = "UBUDI"  # does not
IT_CHANNEL = "C0ITHELP"
SUPPORT = "C0SUPPORT"
MANIFEST = Path(__file__).resolve().parents[2] / "bot" / "slack_manifest.yaml"
FEEDBACK = ["Solved", "Not solved", "Talk to a person"]


def settings_for(fake: FakeSlack, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_APP_TOKEN": APP_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "GARDA_SLACK_API_URL": fake.url,
        **overrides,
    }
    return Settings(_env_file=None, **values)


@dataclass
class Workspace:
    """People in the fake Slack workspace, talking to Garda over the HTTP Events API."""

    fake: FakeSlack
    inbound: Inbound
    adapter: SlackAdapter

    async def says(self, user: str, text: str) -> list[dict[str, Any]]:
        """``user`` writes ``text`` (in Slack's format) to Garda; what Garda posted back."""
        return await self.answer(self.inbound.event(direct_message(user, text)))

    async def presses(self, user: str, label: str) -> list[dict[str, Any]]:
        """``user`` presses the newest button labelled ``label``; what Garda posted back."""
        return await self.answer(self.inbound.interaction(self.press(user, label)))

    def press(self, user: str, label: str) -> dict[str, Any]:
        """The payload of ``user`` pressing the newest button labelled ``label``."""
        for (channel, _), posted in reversed(self.fake.messages.items()):
            for button in buttons(posted):
                if button["text"]["text"] == label:
                    return button_press(user, channel, posted, button)
        raise AssertionError(f"no button {label!r} in {list(self.fake.messages.values())}")

    async def answer(self, request: Awaitable[httpx.Response]) -> list[dict[str, Any]]:
        """Send a request into Garda; what Garda posted back once all its work is done."""
        before = len(self.fake.posted())
        response = await request
        assert response.status_code == 200, response.text
        await self.adapter.drain()  # everything acknowledged is done: no sleeping
        return self.fake.posted()[before:]


def text_of(posts: list[dict[str, Any]]) -> str:
    return "\n".join(post["text"] for post in posts)


def _sender(fake: FakeSlack, *, pace: float = 0) -> SlackSender:
    """A sender of its own, straight on the fake's Web API."""
    return SlackSender(AsyncWebClient(token=BOT_TOKEN, base_url=fake.url), pace=pace)


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as fake:
        fake.add_user(ANA, name="Ana Lima", email="Ana.Lima@Example.com")
        fake.add_user(BUDI, name="Budi Santoso")
        yield fake


@pytest.fixture
async def adapter(garda: Garda, fake: FakeSlack) -> AsyncIterator[SlackAdapter]:
    adapter = SlackAdapter(garda, settings_for(fake), pace=0)
    garda.courier.add(adapter.sender)
    yield adapter
    await adapter.stop()


@pytest.fixture
async def slack(adapter: SlackAdapter, fake: FakeSlack) -> AsyncIterator[Workspace]:
    async with inbound(adapter.handle_http) as requests:
        yield Workspace(fake, requests, adapter)


@asynccontextmanager
async def workspace_with(
    desk: Desk, *, template: Path, folder: Path, fake: FakeSlack
) -> AsyncIterator[Workspace]:
    """Garda with ``desk`` on a copy of the seeded database, in the fake Slack."""
    path = folder / "desk.db"
    shutil.copyfile(template, path)
    async with open_garda(f"sqlite+aiosqlite:///{path}", desk=desk) as garda:
        adapter = SlackAdapter(garda, settings_for(fake), pace=0)
        garda.courier.add(adapter.sender)
        try:
            async with inbound(adapter.handle_http) as requests:
                yield Workspace(fake, requests, adapter)
        finally:
            await adapter.stop()


@pytest.fixture
async def desk_slack(
    seeded_template: Path, tmp_path: Path, fake: FakeSlack
) -> AsyncIterator[Workspace]:
    """Like ``slack``, with Level 2 tickets announced in the support channel."""
    desk = Desk({2: Address("slack", SUPPORT)})
    async with workspace_with(desk, template=seeded_template, folder=tmp_path, fake=fake) as ws:
        yield ws


# Direct messages, buttons, tickets


async def test_a_direct_message_is_answered_with_the_article_and_buttons(
    slack: Workspace,
) -> None:
    posts = await slack.says(ANA, "I forgot my password")
    assert {post["channel"] for post in posts} == {direct_channel(ANA)}
    assert "Reset a forgotten password" in posts[0]["text"]
    assert button_labels(posts[-1]) == FEEDBACK
    assert [button["value"] for button in buttons(posts[-1])] == ["solved", "not_solved", "human"]


async def test_pressing_not_solved_leads_to_a_ticket_with_the_verified_email(
    slack: Workspace, garda: Garda
) -> None:
    await slack.says(ANA, "I forgot my password")
    # Slack already told Garda Ana's email, so it is not asked for: straight to impact.
    assert "Who is affected" in text_of(await slack.presses(ANA, "Not solved"))
    assert "How much does it stop your work" in text_of(await slack.presses(ANA, "Just me"))
    answer = text_of(await slack.presses(ANA, "I can't work at all"))
    assert "I've opened ticket #1: Reset a forgotten password" in answer

    async with garda.sessions() as session:
        person = await find_person(session, platform="slack", external_id=ANA)
        ticket = (await session.exec(select(Ticket))).one()
    assert person is not None
    assert (person.display_name, person.email) == ("Ana Lima", "ana.lima@example.com")
    assert ticket.facts == {"email": "ana.lima@example.com"}
    assert ticket.origin == f"slack:{direct_channel(ANA)}"


async def test_a_pressed_button_shows_what_was_chosen_and_the_buttons_go(
    slack: Workspace,
) -> None:
    await slack.says(ANA, "I forgot my password")
    press = slack.press(ANA, "Talk to a person")
    await slack.answer(slack.inbound.interaction(press))
    shown = slack.fake.messages[(direct_channel(ANA), press["message"]["ts"])]
    assert buttons(shown) == []
    assert shown["blocks"][-1] == {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": "✅ Talk to a person"}],
    }
    assert shown["text"] == press["message"]["text"] == "Did this solve your problem?"


async def test_someone_without_a_shared_email_types_it_as_slack_formats_it(
    slack: Workspace, garda: Garda
) -> None:
    await slack.says(BUDI, "I forgot my password")
    assert "work email" in text_of(await slack.presses(BUDI, "Talk to a person"))
    # Slack turns a typed address into a mailto link before Garda sees it.
    answer = await slack.says(BUDI, "<mailto:budi@example.com|budi@example.com>")
    assert "Who is affected" in text_of(answer)
    await slack.presses(BUDI, "My team or several people")
    assert "I've opened ticket #1" in text_of(await slack.presses(BUDI, "It slows my work down"))

    async with garda.sessions() as session:
        person = await find_person(session, platform="slack", external_id=BUDI)
        ticket = (await session.exec(select(Ticket))).one()
    assert person is not None and person.email is None  # typed, not verified by Slack
    assert ticket.facts == {"email": "budi@example.com"}


async def test_a_double_press_of_one_button_is_one_answer(slack: Workspace) -> None:
    await slack.says(ANA, "I forgot my password")
    press = slack.press(ANA, "Not solved")
    before = len(slack.fake.posted())
    first, second = await asyncio.gather(
        slack.inbound.interaction(press), slack.inbound.interaction(press)
    )
    assert first.status_code == second.status_code == 200
    await slack.adapter.drain()
    assert text_of(slack.fake.posted()[before:]).count("Who is affected") == 1


async def test_profiles_are_looked_up_once_for_several_messages(slack: Workspace) -> None:
    await slack.says(ANA, "hi")
    await slack.says(ANA, "I forgot my password")
    assert len(slack.fake.calls_to("users.info")) == 1


async def test_edits_bots_and_garda_itself_are_not_answered(slack: Workspace) -> None:
    edited = direct_message(ANA, "", subtype="message_changed", message={"text": "hi"})
    del edited["user"]
    for event in (
        edited,
        direct_message(ANA, "hi from a bot", bot_id="B0OTHER"),
        direct_message(BOT_USER_ID, "Garda's own message"),
    ):
        assert await slack.answer(slack.inbound.event(event)) == []
    assert slack.fake.calls_to("users.info") == []


# Slack's delivery rules


async def test_slack_gets_its_answer_before_garda_does_the_slow_work(slack: Workspace) -> None:
    slow = slack.fake.hold("users.info")  # Slack's own API is slow today
    response = await slack.inbound.event(direct_message(ANA, "I forgot my password"))
    assert response.status_code == 200
    assert slack.fake.posted() == []  # acknowledged, not yet answered

    command = await slack.inbound.command(slash_command(BUDI, "my vpn is down"))
    assert command.status_code == 200 and "direct messages" in command.json()["text"]

    slow.set()
    await slack.adapter.drain()
    assert "Reset a forgotten password" in text_of(slack.fake.posted())
    assert "VPN will not connect" in text_of(slack.fake.posted())


async def test_a_retried_event_is_answered_once(slack: Workspace) -> None:
    event = direct_message(ANA, "I forgot my password")
    responses = await asyncio.gather(
        *(slack.inbound.event(event, event_id="Ev0RETRIED", retry=retry) for retry in (0, 1, 2))
    )
    assert [response.status_code for response in responses] == [200, 200, 200]
    await slack.adapter.drain()
    articles = [post for post in slack.fake.posted() if "Reset a forgotten" in post["text"]]
    assert len(articles) == 1


async def test_a_rate_limited_post_is_retried_and_arrives_once(slack: Workspace) -> None:
    slack.fake.rate_limit("chat.postMessage", times=1)
    posts = await slack.says(ANA, "thanks!")
    assert [call.status for call in slack.fake.calls_to("chat.postMessage")] == [429, 200]
    assert len(posts) == 1 and "welcome" in posts[0]["text"]


async def test_a_reply_slack_refuses_is_a_delivery_error(fake: FakeSlack) -> None:
    fake.fail("chat.postMessage", "channel_not_found")
    with pytest.raises(DeliveryError, match="channel_not_found"):
        await _sender(fake).send(Address("slack", "C0GONE"), Reply("hello"))


async def test_a_forged_signature_is_refused(slack: Workspace) -> None:
    body = json.dumps(event_callback(direct_message(ANA, "I forgot my password")))
    response = await slack.inbound.post(body, "application/json", secret="not-the-secret")
    assert response.status_code == 401
    await slack.adapter.drain()
    assert slack.fake.calls == []


async def test_a_stale_request_is_refused(slack: Workspace) -> None:
    body = json.dumps(event_callback(direct_message(ANA, "I forgot my password")))
    six_minutes_ago = int(time.time()) - 6 * 60
    response = await slack.inbound.post(body, "application/json", timestamp=six_minutes_ago)
    assert response.status_code == 401
    await slack.adapter.drain()
    assert slack.fake.calls == []


async def test_without_a_signing_secret_http_requests_are_refused(
    garda: Garda, fake: FakeSlack
) -> None:
    adapter = SlackAdapter(garda, settings_for(fake, SLACK_SIGNING_SECRET=None), pace=0)
    async with inbound(adapter.handle_http) as requests:
        response = await requests.event(direct_message(ANA, "hi"))
    await adapter.stop()
    assert response.status_code == 503
    assert fake.calls == []


async def test_slack_checks_the_url_with_a_challenge(slack: Workspace) -> None:
    body = json.dumps({"token": "t", "challenge": "c0ffee", "type": "url_verification"})
    response = await slack.inbound.post(body, "application/json")
    assert response.status_code == 200 and "c0ffee" in response.text


async def test_each_channel_is_paced_without_holding_up_the_others(fake: FakeSlack) -> None:
    sender = _sender(fake, pace=3600)  # one message an hour per channel
    await sender.send(Address("slack", "C0BUSY"), Reply("first"))
    waiting = asyncio.create_task(sender.send(Address("slack", "C0BUSY"), Reply("second")))
    await sender.send(Address("slack", "C0QUIET"), Reply("elsewhere"))
    assert [post["text"] for post in fake.posted()] == ["first", "elsewhere"]
    assert not waiting.done()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting


# Channels, the slash command, the support channel


async def test_a_mention_in_a_channel_is_answered_in_its_thread(slack: Workspace) -> None:
    event = mention(ANA, IT_CHANNEL, f"<@{BOT_USER_ID}> I forgot my password")
    posts = await slack.answer(slack.inbound.event(event))
    assert {(post["channel"], post["thread_ts"]) for post in posts} == {(IT_CHANNEL, event["ts"])}
    assert "Reset a forgotten password" in posts[0]["text"]
    # a button in the thread answers in the thread too
    posts = await slack.presses(ANA, "Not solved")
    assert {(post["channel"], post["thread_ts"]) for post in posts} == {(IT_CHANNEL, event["ts"])}


async def test_the_slash_command_is_acknowledged_at_once_and_answered_in_the_dm(
    slack: Workspace,
) -> None:
    before = len(slack.fake.posted())
    response = await slack.inbound.command(slash_command(ANA, "my vpn is down"))
    assert response.status_code == 200
    assert "direct messages" in response.json()["text"]
    await slack.adapter.drain()
    posts = slack.fake.posted()[before:]
    assert posts and {post["channel"] for post in posts} == {direct_channel(ANA)}
    assert posts[0]["text"].startswith("VPN will not connect")
    assert slack.fake.calls_to("conversations.open")[0].args["users"] == ANA


async def test_a_new_ticket_is_announced_in_the_support_channel(desk_slack: Workspace) -> None:
    typed = "<!here> the projector in room 12 shows purple &amp; flickers"
    await desk_slack.says(ANA, typed)
    await desk_slack.presses(ANA, "Just me")
    await desk_slack.presses(ANA, "It can wait, I can keep working")
    await desk_slack.adapter.garda.outbox.deliver_due()  # announcements go by the outbox
    [announcement] = desk_slack.fake.posted(SUPPORT)
    assert "Ticket #1" in announcement["text"]
    assert (
        "@\u2060here the projector in room 12 shows purple &amp; flickers" in announcement["text"]
    )
    assert "From: Ana Lima" in announcement["text"]
    assert "thread_ts" not in announcement


async def test_a_private_reply_goes_to_the_users_dm(
    adapter: SlackAdapter, garda: Garda, fake: FakeSlack
) -> None:
    asked = IncomingMessage("slack", ANA, "hi", origin=Address("slack", IT_CHANNEL, "1.2"))
    await garda.courier.deliver(asked, [Reply("just for you", private=True)])
    assert [post["text"] for post in fake.posted(direct_channel(ANA))] == ["just for you"]
    assert fake.posted(IT_CHANNEL) == []


async def test_a_secret_is_deleted_from_the_dm_after_its_time(
    adapter: SlackAdapter, garda: Garda, fake: FakeSlack
) -> None:
    asked = IncomingMessage("slack", ANA, "reset", origin=Address("slack", direct_channel(ANA)))
    secret = Reply("Your temporary password is: x7#Kq2mP", private=True, expires_after=0.05)
    await garda.courier.deliver(asked, [secret])

    deleted = await fake.wait_for("chat.delete")
    (posted,) = [key for key in fake.messages if key[0] == direct_channel(ANA)]
    assert (deleted.args["channel"], deleted.args["ts"]) == posted


# Support channels: message ids, answers in threads, edits, agents' replies and buttons


def recorded(monkeypatch: pytest.MonkeyPatch, garda: Garda) -> list[IncomingMessage]:
    """What the adapter hands to Garda from now on (instead of Garda handling it)."""
    received: list[IncomingMessage] = []

    async def receive(message: IncomingMessage) -> None:
        received.append(message)

    monkeypatch.setattr(garda, "receive", receive)
    return received


TICKET = Reply("New ticket #12: the printer is jammed", (Choice("desk:claim:12", "Claim"),))


async def test_a_posted_reply_gives_its_ts_and_later_ones_answer_under_it(
    fake: FakeSlack,
) -> None:
    sender = _sender(fake)
    ts = await sender.send(Address("slack", SUPPORT), TICKET)
    assert ts is not None and fake.messages[(SUPPORT, ts)]["text"].startswith("New ticket #12")
    assert "thread_ts" not in fake.posted(SUPPORT)[0]

    answer = await sender.send(Address("slack", SUPPORT), Reply("Ana says: thanks", reply_to=ts))
    # reply_to wins over the thread of the address
    note = await sender.send(Address("slack", SUPPORT, "1.1"), Reply("a note", reply_to=ts))
    assert [post.get("thread_ts") for post in fake.posted(SUPPORT)] == [None, ts, ts]
    assert len({ts, answer, note}) == 3

    private = await sender.send_private(ANA, Reply("Budi answered your ticket"))
    assert private is not None and (direct_channel(ANA), private) in fake.messages


async def test_an_edit_replaces_the_text_and_buttons_of_a_posted_message(
    fake: FakeSlack,
) -> None:
    sender = _sender(fake)
    ts = await sender.send(Address("slack", SUPPORT), TICKET)
    assert ts is not None
    claimed = Reply("Ticket #12 & co: taken by Budi", (Choice("desk:resolve:12", "Resolve"),))
    await sender.edit(Address("slack", SUPPORT), ts, claimed)

    [update] = fake.updated(SUPPORT)
    assert update["ts"] == ts
    shown = fake.messages[(SUPPORT, ts)]
    assert shown["text"] == "Ticket #12 &amp; co: taken by Budi"  # escaped as when posted
    assert button_labels(shown) == ["Resolve"]
    assert buttons(shown)[0]["value"] == "desk:resolve:12"
    assert len(fake.posted()) == 1  # nothing new was posted


async def test_an_edit_slack_refuses_is_a_delivery_error(fake: FakeSlack) -> None:
    with pytest.raises(DeliveryError, match="message_not_found"):
        await _sender(fake).edit(Address("slack", SUPPORT), "1.000001", Reply("gone"))


async def test_edits_are_paced_with_the_messages_of_their_channel(fake: FakeSlack) -> None:
    sender = _sender(fake, pace=3600)  # one message an hour per channel
    ts = await sender.send(Address("slack", SUPPORT), TICKET)
    assert ts is not None
    waiting = asyncio.create_task(sender.edit(Address("slack", SUPPORT), ts, Reply("taken")))
    await sender.send(Address("slack", IT_CHANNEL), Reply("elsewhere"))
    assert fake.updated() == [] and not waiting.done()
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting


@pytest.mark.parametrize("channel_type", ["channel", "group"])  # public, private channel
async def test_an_answer_in_the_thread_of_a_garda_post_reaches_garda(
    desk_slack: Workspace, monkeypatch: pytest.MonkeyPatch, channel_type: str
) -> None:
    received = recorded(monkeypatch, desk_slack.adapter.garda)
    ts = await desk_slack.adapter.sender.send(Address("slack", SUPPORT), TICKET)
    assert ts is not None
    event = thread_reply(
        BUDI, SUPPORT, ts, "restarted it &amp; <@UANA> confirmed", channel_type=channel_type
    )
    await desk_slack.answer(desk_slack.inbound.event(event, event_id="Ev0ANSWER"))
    assert received == [
        IncomingMessage(
            platform="slack",
            user_id=BUDI,
            text="restarted it & @UANA confirmed",
            origin=Address("slack", SUPPORT, ts),
            display_name="Budi Santoso",
            event_key="slack:Ev0ANSWER",
            reply_to=ts,
        )
    ]


async def test_an_answer_also_sent_to_the_channel_counts_too(
    desk_slack: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    received = recorded(monkeypatch, desk_slack.adapter.garda)
    ts = await desk_slack.adapter.sender.send(Address("slack", SUPPORT), TICKET)
    assert ts is not None
    event = thread_reply(BUDI, SUPPORT, ts, "on my way", subtype="thread_broadcast")
    del event["parent_user_id"]  # a broadcast names its thread's author in root instead
    event["root"] = {"type": "message", "user": BOT_USER_ID, "ts": ts, "thread_ts": ts}
    await desk_slack.answer(desk_slack.inbound.event(event))
    assert [(message.text, message.reply_to) for message in received] == [("on my way", ts)]


async def test_other_channel_messages_are_not_garda_s_business(
    desk_slack: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    received = recorded(monkeypatch, desk_slack.adapter.garda)
    ts = await desk_slack.adapter.sender.send(Address("slack", SUPPORT), TICKET)
    assert ts is not None
    top_level = thread_reply(BUDI, SUPPORT, ts, "lunch?")
    del top_level["thread_ts"], top_level["parent_user_id"]
    for event in (
        top_level,
        thread_reply(BUDI, SUPPORT, "1.000042", "under Ana's post", parent_user_id=ANA),
        thread_reply(BUDI, SUPPORT, ts, "a bot", parent_user_id=BOT_USER_ID, bot_id="B0X"),
        thread_reply(BOT_USER_ID, SUPPORT, ts, "Garda's own answer"),
        thread_reply(BUDI, SUPPORT, ts, "edited", subtype="message_changed"),
        thread_reply(BUDI, "G0GROUPDM", ts, "a group DM", channel_type="mpim"),
    ):
        await desk_slack.answer(desk_slack.inbound.event(event))
    assert received == []


async def test_a_mention_in_garda_s_thread_is_handled_once(
    desk_slack: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    received = recorded(monkeypatch, desk_slack.adapter.garda)
    ts = await desk_slack.adapter.sender.send(Address("slack", SUPPORT), TICKET)
    assert ts is not None
    text = f"<@{BOT_USER_ID}> restarted the router"
    # Slack sends both events for one message typed in the thread.
    message_event = thread_reply(BUDI, SUPPORT, ts, text)
    mention_event = mention(BUDI, SUPPORT, text, thread_ts=ts, parent_user_id=BOT_USER_ID)
    mention_event["ts"] = message_event["ts"]
    await desk_slack.answer(desk_slack.inbound.event(message_event, event_id="Ev0MESSAGE"))
    await desk_slack.answer(desk_slack.inbound.event(mention_event, event_id="Ev0MENTION"))
    assert [(message.text, message.event_key, message.reply_to) for message in received] == [
        ("restarted the router", "slack:Ev0MESSAGE", ts)
    ]


async def test_a_mention_in_a_thread_someone_else_started_is_still_answered(
    slack: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    received = recorded(monkeypatch, slack.adapter.garda)
    event = mention(
        ANA, IT_CHANNEL, f"<@{BOT_USER_ID}> my vpn", thread_ts="1.000007", parent_user_id=BUDI
    )
    await slack.answer(slack.inbound.event(event))
    assert [(m.text, m.origin, m.reply_to) for m in received] == [
        ("my vpn", Address("slack", IT_CHANNEL, "1.000007"), None)
    ]


@pytest.mark.parametrize(
    ("typed", "passed_on"),
    [
        ("reply 12 restarted the router", "/reply 12 restarted the router"),
        ("Reply 12 restarted\nthe router", "/reply 12 restarted\nthe router"),
        ("  note 12 called Ana, no answer  ", "/note 12 called Ana, no answer"),
        ("queue", "/queue"),
        ("status", "/status"),
        ("ticket 12", "/ticket 12"),
        ("ticket 12 is still broken", "ticket 12 is still broken"),  # a problem to match
        ("my vpn is down", "my vpn is down"),
    ],
)
async def test_helpdesk_passes_desk_commands_on_whole(
    slack: Workspace, monkeypatch: pytest.MonkeyPatch, typed: str, passed_on: str
) -> None:
    received = recorded(monkeypatch, slack.adapter.garda)
    await slack.answer(slack.inbound.command(slash_command(BUDI, typed, channel=SUPPORT)))
    [message] = received
    assert message.text == passed_on
    assert message.origin == Address("slack", direct_channel(BUDI))


def test_every_desk_command_word_is_one_word() -> None:
    assert all(word.isalpha() and word == word.casefold() for word in AGENT_COMMANDS)


async def test_a_ticket_button_is_passed_on_and_the_message_left_for_garda_to_redraw(
    desk_slack: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    received = recorded(monkeypatch, desk_slack.adapter.garda)
    await desk_slack.adapter.sender.send(Address("slack", SUPPORT), TICKET)
    channel, posted, button = desk_slack.fake.newest_button("Claim", channel=SUPPORT)
    press = channel_press(BUDI, channel, posted, button)
    again = channel_press(BUDI, channel, posted, button)  # later, or by someone else
    for payload in (press, again):
        response = await desk_slack.inbound.interaction(payload)
        assert response.status_code == 200
    await desk_slack.adapter.drain()

    assert desk_slack.fake.calls_to("chat.update") == []
    assert buttons(desk_slack.fake.messages[(SUPPORT, posted["ts"])]) == buttons(posted)
    assert [(m.user_id, m.choice, m.text, m.origin) for m in received] == [
        (BUDI, "desk:claim:12", "Claim", Address("slack", SUPPORT))
    ] * 2
    assert len({m.event_key for m in received}) == 2  # two presses, not one retried


async def test_a_ticket_button_in_a_thread_answers_in_that_thread(
    desk_slack: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    received = recorded(monkeypatch, desk_slack.adapter.garda)
    ts = await desk_slack.adapter.sender.send(Address("slack", SUPPORT), Reply("New ticket #12"))
    assert ts is not None
    await desk_slack.adapter.sender.send(Address("slack", SUPPORT), replace(TICKET, reply_to=ts))
    await desk_slack.presses(BUDI, "Claim")
    assert desk_slack.fake.calls_to("chat.update") == []
    [press] = received
    assert (press.choice, press.origin) == ("desk:claim:12", Address("slack", SUPPORT, ts))


async def test_other_buttons_pressed_in_a_channel_still_show_the_choice(
    desk_slack: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    received = recorded(monkeypatch, desk_slack.adapter.garda)
    question = Reply("Did this solve it?", (Choice("solved", "Solved"),))
    ts = await desk_slack.adapter.sender.send(Address("slack", IT_CHANNEL, "1.000003"), question)
    await desk_slack.presses(ANA, "Solved")
    [update] = desk_slack.fake.updated(IT_CHANNEL)
    assert update["ts"] == ts and button_labels(update) == []
    assert received[0].origin == Address("slack", IT_CHANNEL, "1.000003")


# Escaping


async def test_typed_text_comes_back_escaped_and_never_notifies_anyone(slack: Workspace) -> None:
    # "@channel @here @U999 & <b>" as typed reaches Garda in Slack's own format:
    typed = "<!channel> @here <@U999> &amp; &lt;b&gt; the projector in room 12 shows purple"
    assert "Who is affected" in text_of(await slack.says(ANA, typed))
    await slack.presses(ANA, "Just me")
    posts = await slack.presses(ANA, "It can wait, I can keep working")
    expected = (
        "I've opened ticket #1: @\u2060channel @\u2060here @U999 &amp; &lt;b&gt; "
        "the projector in room 12 shows purple"
    )
    assert posts[0]["text"].startswith(expected)
    assert posts[0]["blocks"][0]["text"]["text"].startswith(expected)
    assert "link_names" not in slack.fake.calls_to("chat.postMessage")[-1].args


async def test_a_hostile_display_name_is_escaped_in_the_greeting(slack: Workspace) -> None:
    slack.fake.add_user("UEVE", name="<!channel> @here <@U999> & <b>")
    posts = await slack.says("UEVE", "hello")
    assert posts[0]["text"].startswith(
        "Hello &lt;!channel&gt; @\u2060here &lt;@U999&gt; &amp; &lt;b&gt;!"
    )


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a & b < c > d", "a &amp; b &lt; c &gt; d"),
        ("<!everyone> <!here>", "&lt;!everyone&gt; &lt;!here&gt;"),
        ("@channel @HERE @everyone", "@\u2060channel @\u2060HERE @\u2060everyone"),
        ("mail ana@here.com", "mail ana@here.com"),  # only whole words are broadcasts
        ("@channels and @hereby", "@channels and @hereby"),
    ],
)
def test_escape(raw: str, shown: str) -> None:
    assert escape(raw) == shown


@pytest.mark.parametrize(
    ("slack_text", "typed"),
    [
        ("&lt;b&gt; &amp;amp;", "<b> &amp;"),
        ("<@U123> and <@U456|budi>", "@U123 and @budi"),
        ("<#C123|general> <!here> <!subteam^S1|@it-team>", "#general @here @it-team"),
        ("<mailto:ana@example.com|ana@example.com>", "ana@example.com"),
        ("<https://example.com|example.com>", "example.com"),
        ("<https://x.test/a?b=1&amp;c=2>", "https://x.test/a?b=1&c=2"),
        ("see <https://wiki.test/vpn|the wiki>", "see the wiki (https://wiki.test/vpn)"),
    ],
)
def test_plain(slack_text: str, typed: str) -> None:
    assert plain(slack_text) == typed


# Block Kit limits


def test_long_replies_are_split_into_sections_slack_accepts() -> None:
    paragraph = "Restart the router & wait a minute. " * 40  # ~1,440 characters
    text, blocks = message(Reply("\n\n".join([paragraph] * 5)))
    sections = [block["text"]["text"] for block in blocks if block["type"] == "section"]
    assert len(sections) >= 3
    assert all(len(section) <= SECTION_LIMIT for section in sections)
    assert all(not section.endswith("&amp") for section in sections)
    assert "&amp;" in text and len(text) <= 40_000


def test_markdown_bold_in_articles_is_slack_bold() -> None:
    text, blocks = message(Reply("If not, choose **Not solved** & I'll help. 2 ** 3"))
    assert text == "If not, choose *Not solved* &amp; I'll help. 2 ** 3"
    assert blocks[0]["text"] == {"type": "mrkdwn", "text": text}


def test_a_huge_reply_is_cut_to_the_message_limit() -> None:
    text, blocks = message(Reply("x " * 30_000))
    assert len(text) <= 40_000 and text.endswith("…")
    assert len(blocks) <= 50


def test_too_many_or_too_long_choices_are_cut_to_what_slack_shows() -> None:
    choices = tuple(Choice(f"c{n}", f"{'Very long label & more ' * 5}{n}") for n in range(30))
    _, blocks = message(Reply("pick one", choices))
    shown = buttons({"blocks": blocks})
    assert len(shown) == MAX_BUTTONS
    assert all(len(button["text"]["text"]) <= LABEL_LIMIT for button in shown)
    assert shown[0]["text"]["text"].endswith("…") and "&amp;" in shown[0]["text"]["text"]
    assert len({button["action_id"] for button in shown}) == MAX_BUTTONS


# The form


async def test_the_facts_come_as_a_modal_form_that_carries_the_conversation_on(
    slack: Workspace,
) -> None:
    await slack.says(BUDI, "I forgot my password")
    question = (await slack.presses(BUDI, "Talk to a person"))[-1]
    assert button_labels(question) == ["I don't know", "Fill in the form"]

    await slack.presses(BUDI, "Fill in the form")
    view = (await slack.fake.wait_for("views.open")).args["view"]
    [field] = view["blocks"]
    assert field["label"]["text"] == "Email"
    assert "work email" in field["hint"]["text"]

    filled = view_submission(
        BUDI, {**view, "id": "V0BUDI"}, {field["block_id"]: "budi@example.com"}
    )
    posts = await slack.answer(slack.inbound.interaction(filled))
    assert "Who is affected" in text_of(posts)


async def test_a_form_opens_as_a_modal_and_its_answers_reach_the_dispatcher(
    slack: Workspace, garda: Garda, monkeypatch: pytest.MonkeyPatch
) -> None:
    received: list[IncomingMessage] = []

    async def receive(message: IncomingMessage) -> None:
        received.append(message)

    monkeypatch.setattr(garda, "receive", receive)
    form = (
        FormField("device", "Device", "The asset tag on the sticker"),
        FormField("location", "Location"),
    )
    await slack.adapter.sender.send(
        Address("slack", direct_channel(ANA)), Reply("A few details, please.", form=form)
    )
    assert button_labels(slack.fake.posted()[-1]) == ["Fill in the form"]

    await slack.presses(ANA, "Fill in the form")
    opened = await slack.fake.wait_for("views.open")
    view = opened.args["view"]
    assert [block["label"]["text"] for block in view["blocks"]] == ["Device", "Location"]
    assert view["blocks"][0]["hint"]["text"] == "The asset tag on the sticker"
    assert received == []  # opening the form is not an answer

    answers = {view["blocks"][0]["block_id"]: "PC-042", view["blocks"][1]["block_id"]: "  "}
    submitted = {**view, "id": "V0FORM"}
    response = await slack.inbound.interaction(view_submission(ANA, submitted, answers))
    assert response.status_code == 200 and response.text == ""  # empty: the modal closes
    await slack.adapter.drain()
    [sent] = received
    assert sent.fields == {"device": "PC-042"}  # an empty field is left out
    assert sent.origin == Address("slack", direct_channel(ANA))
    assert (sent.user_id, sent.email) == (ANA, "Ana.Lima@Example.com")
    assert sent.event_key == "slack:view:V0FORM"


# App Home


async def test_the_app_home_lists_the_users_tickets(slack: Workspace) -> None:
    await slack.says(ANA, "I forgot my password")
    await slack.presses(ANA, "Not solved")
    await slack.presses(ANA, "Just me")
    await slack.presses(ANA, "It can wait, I can keep working")

    home = {"type": "app_home_opened", "user": ANA, "channel": direct_channel(ANA), "tab": "home"}
    await slack.answer(slack.inbound.event(home))
    published = await slack.fake.wait_for("views.publish")
    assert published.args["user_id"] == ANA
    shown = "\n".join(block["text"]["text"] for block in published.args["view"]["blocks"])
    assert "Your tickets" in shown and "#1 [new] Reset a forgotten password (P4)" in shown


async def test_the_messages_tab_does_not_publish_a_home(slack: Workspace) -> None:
    tab = {
        "type": "app_home_opened",
        "user": ANA,
        "channel": direct_channel(ANA),
        "tab": "messages",
    }
    await slack.answer(slack.inbound.event(tab))
    assert slack.fake.calls_to("views.publish") == []


# Socket Mode


@pytest.mark.timeout(30)
async def test_socket_mode_events_are_acknowledged_and_answered(
    adapter: SlackAdapter, fake: FakeSlack
) -> None:
    await adapter.start_socket_mode()
    envelope = socket_envelope(
        "events_api", event_callback(direct_message(ANA, "I forgot my password"))
    )
    await fake.socket_send(envelope)
    ack = await fake.wait_for_ack(envelope["envelope_id"])
    assert ack == {"envelope_id": envelope["envelope_id"]}
    question = await fake.wait_for(
        "chat.postMessage", lambda call: "Did this solve" in call.args["text"]
    )
    assert question.args["channel"] == direct_channel(ANA)
    assert button_labels(question.args) == FEEDBACK


@pytest.mark.timeout(30)
async def test_socket_mode_slash_command_is_acknowledged_with_a_note(
    adapter: SlackAdapter, fake: FakeSlack
) -> None:
    await adapter.start_socket_mode()
    envelope = socket_envelope("slash_commands", slash_command(ANA, "I forgot my password"))
    await fake.socket_send(envelope)
    ack = await fake.wait_for_ack(envelope["envelope_id"])
    assert "direct messages" in ack["payload"]["text"]
    await fake.wait_for("chat.postMessage", lambda call: "Reset a forgotten" in call.args["text"])


@pytest.mark.timeout(30)
async def test_a_refused_app_token_stops_socket_mode_with_slacks_reason(
    garda: Garda, fake: FakeSlack
) -> None:
    adapter = SlackAdapter(garda, settings_for(fake, SLACK_APP_TOKEN="xapp-wrong"))
    with pytest.raises(SlackConfigurationError, match="invalid_auth"):
        await adapter.start_socket_mode()
    await adapter.stop()


def test_a_missing_bot_token_is_a_configuration_error(garda: Garda, fake: FakeSlack) -> None:
    with pytest.raises(SlackConfigurationError, match="SLACK_BOT_TOKEN"):
        SlackAdapter(garda, settings_for(fake, SLACK_BOT_TOKEN=None))


# The app manifest


# Which scope each thing Garda does in Slack needs; the manifest must ask for exactly these.
SCOPES_FOR = {
    "event:app_mention": "app_mentions:read",
    "event:message.im": "im:history",
    "event:message.channels": "channels:history",
    "event:message.groups": "groups:history",
    "event:app_home_opened": None,  # needs no scope
    "command": "commands",
    "chat.postMessage": "chat:write",
    "chat.update": "chat:write",
    "conversations.open": "im:write",
    "users.info": "users:read",
    "users.info profile.email": "users:read.email",
    "views.open": None,
    "views.publish": None,
}


async def test_the_manifest_asks_for_exactly_what_garda_uses(slack: Workspace) -> None:
    await slack.says(ANA, "I forgot my password")
    await slack.presses(ANA, "Not solved")
    await slack.answer(slack.inbound.command(slash_command(BUDI, "")))
    home = {"type": "app_home_opened", "user": ANA, "channel": direct_channel(ANA), "tab": "home"}
    await slack.answer(slack.inbound.event(home))
    used = {call.method for call in slack.fake.calls} - {"auth.test"}  # auth.test: no scope
    assert used <= set(SCOPES_FOR), "a Web API method without a known scope"

    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    settings, features = manifest["settings"], manifest["features"]
    bot_events = settings["event_subscriptions"]["bot_events"]
    assert {event.split(".")[0] for event in bot_events} == slack.adapter.events
    assert {event for event in bot_events if event.startswith("message.")} == {
        "message.im",  # direct messages
        "message.channels",  # answers in ticket threads, in public support channels
        "message.groups",  # and in private ones
    }
    assert {f"event:{event}" for event in bot_events} <= set(SCOPES_FOR)
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        scope for scope in SCOPES_FOR.values() if scope
    }
    assert [command["command"] for command in features["slash_commands"]] == [COMMAND]
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is True
