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
    assert announced.args["text"].startswith("New ticket #1")
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
    assert "New ticket #1" in announced.text
    assert "Priority: P1" in announced.text


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
