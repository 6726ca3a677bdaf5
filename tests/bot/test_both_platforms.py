"""Slack and Telegram in one ``garda run`` process: one database, tickets announced across
platforms, and one person on both."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest

from bot.config import Settings
from bot.runner import run_worker
from tests.fakes import slack as fake_slack
from tests.fakes import telegram as fake_telegram
from tests.fakes.slack import FakeSlack
from tests.fakes.telegram import FakeTelegram

ANA_ON_SLACK = "UANA"
ANA_ON_TELEGRAM = fake_telegram.user(42, "Ana")
SUPPORT_CHANNEL = "C0SUPPORT"
SUPPORT_GROUP = -1001234
NOTHING_MATCHES = "qwertyuiop zxcvbnm"  # no article fits: straight to impact and urgency

pytestmark = pytest.mark.timeout(60)


@asynccontextmanager
async def garda_running(
    sqlite_url: str, **settings: str
) -> AsyncIterator[tuple[FakeSlack, FakeTelegram]]:
    """``garda run`` with both platforms, on fakes, until the block ends."""
    async with FakeSlack() as slack, FakeTelegram() as telegram:
        slack.add_user(ANA_ON_SLACK, name="Ana", email="ana@example.com")
        config = Settings(
            _env_file=None,  # type: ignore[call-arg]
            GARDA_DATABASE_URL=sqlite_url,
            SLACK_BOT_TOKEN=fake_slack.BOT_TOKEN,
            SLACK_APP_TOKEN=fake_slack.APP_TOKEN,
            GARDA_SLACK_API_URL=slack.url,
            TELEGRAM_BOT_TOKEN=fake_telegram.TOKEN,
            GARDA_TELEGRAM_API_URL=telegram.url,
            **settings,
        )
        stop = asyncio.Event()
        worker = asyncio.create_task(run_worker(config, stop=stop))
        try:
            await slack.wait_for("apps.connections.open")
            await telegram.wait_for("deleteWebhook")  # polling has started
            yield slack, telegram
        finally:
            stop.set()
            await worker


async def telegram_says(telegram: FakeTelegram, text: str) -> None:
    telegram.push_update(fake_telegram.message_update(text, sender=ANA_ON_TELEGRAM))


async def telegram_presses(telegram: FakeTelegram, data: str) -> None:
    """Press the button ``data`` under the last message that offered it."""
    offered = await telegram.wait_for(
        "sendMessage",
        lambda call: data in dict(call.buttons).values() or any(d == data for _, d in call.buttons),
    )
    telegram.push_update(fake_telegram.press(offered.result, data, sender=ANA_ON_TELEGRAM))


async def slack_says(slack: FakeSlack, text: str) -> None:
    event = fake_slack.event_callback(fake_slack.direct_message(ANA_ON_SLACK, text))
    await slack.socket_send(fake_slack.socket_envelope("events_api", event))


async def slack_presses(slack: FakeSlack, choice: str) -> None:
    """Press the button for ``choice`` under the last message that offered it."""

    def offers(call: Any) -> bool:
        return any(b.get("value") == choice for b in fake_slack.buttons(call.args))

    await slack.wait_for("chat.postMessage", offers)
    for (channel, _), posted in reversed(slack.messages.items()):
        for button in fake_slack.buttons(posted):
            if button.get("value") == choice:
                payload = fake_slack.button_press(ANA_ON_SLACK, channel, posted, button)
                await slack.socket_send(fake_slack.socket_envelope("interactive", payload))
                return
    raise AssertionError(f"no button for {choice!r}")


async def test_a_telegram_requesters_ticket_is_announced_in_a_slack_channel(
    sqlite_url: str,
) -> None:
    async with garda_running(sqlite_url, GARDA_ESCALATE_L2=f"slack:{SUPPORT_CHANNEL}") as (
        slack,
        telegram,
    ):
        await telegram_says(telegram, NOTHING_MATCHES)
        await telegram_presses(telegram, "impact:medium")
        await telegram_presses(telegram, "urgency:high")

        opened = await telegram.wait_for("sendMessage", lambda call: "ticket #1" in call.text)
        announced = await slack.wait_for(
            "chat.postMessage", lambda call: call.args["channel"] == SUPPORT_CHANNEL
        )
    assert opened.params["chat_id"] == 42
    assert announced.args["text"].startswith("🎫 Ticket #1")
    assert "Ana (telegram:42)" in announced.args["text"]


async def test_a_slack_requesters_ticket_is_announced_in_a_telegram_forum_topic(
    sqlite_url: str,
) -> None:
    async with garda_running(sqlite_url, GARDA_ESCALATE_L2=f"telegram:{SUPPORT_GROUP}/7") as (
        slack,
        telegram,
    ):
        await slack_says(slack, NOTHING_MATCHES)
        await slack_presses(slack, "impact:high")
        await slack_presses(slack, "urgency:high")

        announced = await telegram.wait_for(
            "sendMessage", lambda call: call.params["chat_id"] == SUPPORT_GROUP
        )
    assert announced.params["message_thread_id"] == 7
    assert "🎫 Ticket #1 · P1 (critical)" in announced.text


async def test_linked_accounts_share_one_ticket_history(sqlite_url: str) -> None:
    async with garda_running(sqlite_url) as (slack, telegram):
        await slack_says(slack, NOTHING_MATCHES)
        await slack_presses(slack, "impact:low")
        await slack_presses(slack, "urgency:low")
        await slack.wait_for("chat.postMessage", lambda call: "ticket #1" in call.args["text"])

        await slack.socket_send(
            fake_slack.socket_envelope(
                "slash_commands", fake_slack.slash_command(ANA_ON_SLACK, "link")
            )
        )
        coded = await slack.wait_for(
            "chat.postMessage", lambda call: "link code" in call.args["text"]
        )
        code = re.search(r"[A-Z2-9]{4}-[A-Z2-9]{4}", coded.args["text"])
        assert code is not None
        assert coded.args["channel"] == fake_slack.direct_channel(ANA_ON_SLACK)  # private only

        await telegram_says(telegram, f"/link {code.group()}")
        await telegram.wait_for("sendMessage", lambda call: "linked" in call.text)
        await telegram_says(telegram, "/status")
        status = await telegram.wait_for("sendMessage", lambda call: "#1" in call.text)
    assert "Your tickets" in status.text


BUDI_ON_SLACK = "UBUDI"
BUDI_ON_TELEGRAM = fake_telegram.user(77, "Budi")


async def test_a_telegram_requester_and_a_slack_agent_work_a_ticket_together(
    sqlite_url: str,
) -> None:
    async with garda_running(
        sqlite_url,
        GARDA_ESCALATE_L2=f"slack:{SUPPORT_CHANNEL}",
        GARDA_AGENTS_L2=f"slack:{BUDI_ON_SLACK}",
    ) as (slack, telegram):
        slack.add_user(BUDI_ON_SLACK, name="Budi", email="budi@example.com")
        await telegram_says(telegram, NOTHING_MATCHES)
        await telegram_presses(telegram, "impact:medium")
        await telegram_presses(telegram, "urgency:high")

        # The packet is posted in the Slack channel with its buttons; Budi claims it.
        packet = await slack.wait_for(
            "chat.postMessage", lambda call: call.args["text"].startswith("🎫 Ticket #1")
        )
        assert packet.args["channel"] == SUPPORT_CHANNEL
        labels = fake_slack.button_labels(packet.args)
        assert labels == ["Claim", "Escalate to L3", "Ask requester", "Resolve"]
        _, posted, claim = slack.newest_button("Claim", channel=SUPPORT_CHANNEL)
        press = fake_slack.channel_press(BUDI_ON_SLACK, SUPPORT_CHANNEL, posted, claim)
        await slack.socket_send(fake_slack.socket_envelope("interactive", press))
        taken = await telegram.wait_for("sendMessage", lambda call: "working on" in call.text)
        assert "Budi (Level 2 support)" in taken.text and taken.params["chat_id"] == 42
        edited = await slack.wait_for(
            "chat.update", lambda call: "Owner: Budi" in call.args["text"]
        )
        assert edited.args["ts"] == posted["ts"]

        # Budi answers in the packet's thread: it reaches Ana's private chat.
        reply = fake_slack.thread_reply(
            BUDI_ON_SLACK, SUPPORT_CHANNEL, posted["ts"], "Which printer is it?"
        )
        await slack.socket_send(
            fake_slack.socket_envelope("events_api", fake_slack.event_callback(reply))
        )
        relayed = await telegram.wait_for("sendMessage", lambda c: "Which printer is it?" in c.text)
        assert relayed.params["chat_id"] == 42

        # Ana's answer comes back into the thread.
        await telegram_says(telegram, "The one on the third floor")
        back = await slack.wait_for(
            "chat.postMessage", lambda call: "third floor" in call.args["text"]
        )
    assert back.args["channel"] == SUPPORT_CHANNEL
    assert back.args["thread_ts"] == posted["ts"]
    assert back.args["text"] == "Ana answered: The one on the third floor"


async def test_a_slack_requester_and_a_telegram_agent_work_a_ticket_together(
    sqlite_url: str,
) -> None:
    async with garda_running(
        sqlite_url,
        GARDA_ESCALATE_L2=f"telegram:{SUPPORT_GROUP}",
        GARDA_AGENTS_L2=f"telegram:{BUDI_ON_TELEGRAM['id']}",
    ) as (slack, telegram):
        await slack_says(slack, NOTHING_MATCHES)
        await slack_presses(slack, "impact:low")
        await slack_presses(slack, "urgency:medium")

        packet = await telegram.wait_for(
            "sendMessage", lambda call: call.params["chat_id"] == SUPPORT_GROUP
        )
        assert packet.buttons[0][0] == "Claim"
        telegram.push_update(
            fake_telegram.press(packet.result, "desk:claim:1", sender=BUDI_ON_TELEGRAM)
        )
        taken = await slack.wait_for(
            "chat.postMessage", lambda call: "working on" in call.args["text"]
        )
        assert taken.args["channel"] == fake_slack.direct_channel(ANA_ON_SLACK)
        await telegram.wait_for("editMessageText", lambda call: "Owner: Budi" in call.text)

        # Budi replies to the packet in the group: Ana reads it in Slack; her answer returns.
        telegram.push_update(
            fake_telegram.reply_update(
                "Is it the VPN or the mail?", packet.result, sender=BUDI_ON_TELEGRAM
            )
        )
        await slack.wait_for(
            "chat.postMessage", lambda call: "VPN or the mail" in call.args["text"]
        )
        await slack_says(slack, "the mail")
        back = await telegram.wait_for("sendMessage", lambda call: "Ana answered" in call.text)
    assert back.params["chat_id"] == SUPPORT_GROUP
    assert back.reply_to == packet.result["message_id"]
