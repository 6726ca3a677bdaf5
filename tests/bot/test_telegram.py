"""Garda on Telegram, end to end: the real python-telegram-bot client against a fake Bot API.

Updates go in through the adapter's webhook endpoint (a one-route Starlette app) or through
long polling; what Garda says comes out as requests to the fake, read as the user would see it.
"""

from __future__ import annotations

import logging
import shutil
import socket
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import select
from starlette.applications import Starlette
from starlette.routing import Route
from telegram.error import InvalidToken

from bot.app import Garda, open_garda
from bot.config import Settings
from bot.delivery import DeliveryError
from bot.telegram import SECRET_HEADER, WEBHOOK_PATH, TelegramAdapter
from bot.telegram_adapter.sender import TEXT_LIMIT, split_text
from handlers.desk import Desk
from handlers.messages import Address, Choice, IncomingMessage, Reply
from models.tables import Conversation, Ticket
from tests.fakes.telegram import (
    BOT,
    TOKEN,
    Call,
    FakeTelegram,
    edited_update,
    group,
    group_command_update,
    message_update,
    press,
    reply_update,
    topic_update,
    user,
)

SECRET = "s3cret"
# PTB warns about its own RetryAfter.retry_after each time a 429 arrives; nothing to act on.
PTB_RETRY_AFTER_WARNING = "ignore:Deprecated since version v22.2.*`retry_after`"
ANA = user(42, "Ana")
BUDI = user(77, "Budi", last_name="Santoso", language_code="id")


def settings_for(fake: FakeTelegram, **overrides: Any) -> Settings:
    values = {
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "GARDA_TELEGRAM_API_URL": fake.url,
    } | overrides
    return Settings(_env_file=None, **values)


@dataclass
class Webhook:
    """Telegram's side of the webhook: posts updates to Garda."""

    client: httpx.AsyncClient

    async def post(self, update: object, *, secret: str | None = SECRET) -> httpx.Response:
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        return await self.client.post(WEBHOOK_PATH, json=update, headers=headers)


@pytest.fixture
async def fake() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as running:
        yield running


@pytest.fixture
async def adapter(garda: Garda, fake: FakeTelegram) -> AsyncIterator[TelegramAdapter]:
    adapter = TelegramAdapter(garda, settings_for(fake))
    garda.courier.add(adapter.sender)
    await adapter.start_webhook()
    yield adapter
    await adapter.stop()


@pytest.fixture
async def webhook(adapter: TelegramAdapter) -> AsyncIterator[Webhook]:
    async with client_for(adapter) as client:
        yield Webhook(client)


def client_for(adapter: TelegramAdapter) -> httpx.AsyncClient:
    app = Starlette(routes=[Route(WEBHOOK_PATH, adapter.handle_webhook, methods=["POST"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://garda.test")


async def settled(adapter: TelegramAdapter) -> None:
    """Wait until every update the adapter has accepted is handled."""
    await adapter.application.update_queue.join()


def with_buttons(call: Call) -> bool:
    return bool(call.buttons)


def saying(words: str) -> Callable[[Call], bool]:
    return lambda call: words in call.text


# A requester's private chat, by webhook


async def test_a_private_request_gets_the_article_and_its_choices_as_buttons(
    webhook: Webhook, fake: FakeTelegram
) -> None:
    response = await webhook.post(message_update("lupa password saya", sender=BUDI))
    assert response.status_code == 200

    article = await fake.wait_for("sendMessage", saying("Reset password yang terlupa"))
    assert article.params["chat_id"] == BUDI["id"]
    assert article.params["parse_mode"] == "HTML"
    assert "**" not in article.text  # the article's Markdown bold is shown as bold
    assert any(entity["type"] == "bold" for entity in article.result["entities"])

    question = await fake.wait_for("sendMessage", with_buttons)
    assert question.buttons == [
        ("Teratasi", "solved"),
        ("Belum teratasi", "not_solved"),
        ("Bicara dengan petugas", "human"),
    ]
    assert all(len(data.encode()) <= 64 for _, data in question.buttons)


async def test_pressing_buttons_goes_all_the_way_to_a_ticket(
    garda: Garda, webhook: Webhook, fake: FakeTelegram
) -> None:
    await webhook.post(message_update("lupa password saya", sender=BUDI))
    question = await fake.wait_for("sendMessage", with_buttons)

    await webhook.post(press(question.result, "not_solved", sender=BUDI))
    await fake.wait_for("answerCallbackQuery")
    closed = await fake.wait_for("editMessageText")
    assert closed.text.endswith("» Belum teratasi")
    assert "reply_markup" not in closed.result  # the keyboard is gone
    await fake.wait_for("sendMessage", saying("Apa alamat email kantor Anda?"))

    await webhook.post(message_update("budi@contoh.co.id", sender=BUDI))
    impact = await fake.wait_for("sendMessage", saying("Siapa yang terdampak"))
    assert [data for _, data in impact.buttons] == ["impact:low", "impact:medium", "impact:high"]

    await webhook.post(press(impact.result, "impact:medium", sender=BUDI))
    urgency = await fake.wait_for("sendMessage", saying("menghambat"))
    await webhook.post(press(urgency.result, "urgency:high", sender=BUDI))
    opened = await fake.wait_for("sendMessage", saying("tiket #1"))
    assert opened.params["chat_id"] == BUDI["id"]

    async with garda.sessions() as session:
        ticket = (await session.exec(select(Ticket))).one()
    assert ticket.facts == {"email": "budi@contoh.co.id"}
    assert (ticket.impact, ticket.urgency, ticket.lang) == ("medium", "high", "id")


async def test_a_message_typed_right_after_a_press_waits_for_the_press(
    webhook: Webhook, fake: FakeTelegram
) -> None:
    await webhook.post(message_update("lupa password saya", sender=BUDI))
    question = await fake.wait_for("sendMessage", with_buttons)
    await webhook.post(press(question.result, "not_solved", sender=BUDI))
    await webhook.post(message_update("budi@contoh.co.id", sender=BUDI))  # no waiting

    await fake.wait_for("sendMessage", saying("Apa alamat email kantor Anda?"))
    assert "Siapa yang terdampak" in (await fake.wait_for("sendMessage")).text


async def test_a_button_pressed_after_its_conversation_ended_is_answered_politely(
    webhook: Webhook, fake: FakeTelegram
) -> None:
    await webhook.post(message_update("I forgot my password"))
    question = await fake.wait_for("sendMessage", with_buttons)
    await webhook.post(press(question.result, "solved"))
    await fake.wait_for("sendMessage", saying("glad"))

    await webhook.post(press(question.result, "solved"))  # the same button, once more
    assert "already ended" in (await fake.wait_for("sendMessage")).text


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/start", "Hello Ana"),
        ("/help", "/status"),
        ("/status", "You have no tickets"),
        ("/lang", "I'm answering in 'en'"),
        ("/cancel", "nothing to cancel"),
        ("/help@garda_bot", "/cancel"),
    ],
)
async def test_commands_are_answered_in_the_private_chat(
    webhook: Webhook, fake: FakeTelegram, command: str, answer: str
) -> None:
    await webhook.post(message_update(command))
    reply = await fake.wait_for("sendMessage")
    assert answer in reply.text
    assert reply.params["chat_id"] == ANA["id"]


async def test_the_command_menu_is_published_in_both_languages(
    adapter: TelegramAdapter, fake: FakeTelegram
) -> None:
    english = {command["command"]: command["description"] for command in fake.commands[None]}
    assert {"start", "help", "cancel", "status", "lang"} <= set(english)
    assert english["status"] == "list your tickets and where each one stands."
    indonesian = {command["command"]: command["description"] for command in fake.commands["id"]}
    assert indonesian["start"] == "menyapa dan mulai menjelaskan masalah."


async def test_a_photo_without_words_gets_a_request_for_words(
    webhook: Webhook, fake: FakeTelegram
) -> None:
    photo = [{"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}]
    await webhook.post(message_update(photo=photo))
    assert "didn't receive any text" in (await fake.wait_for("sendMessage")).text


async def test_an_edited_message_is_not_answered_again(
    adapter: TelegramAdapter, webhook: Webhook, fake: FakeTelegram
) -> None:
    assert (await webhook.post(edited_update("I forgot my password"))).status_code == 200
    await settled(adapter)
    assert fake.sent(ANA["id"]) == []


# What Telegram itself may do: repeat an update, rate-limit, post without the secret


async def test_an_update_delivered_twice_is_answered_once(
    adapter: TelegramAdapter, webhook: Webhook, fake: FakeTelegram
) -> None:
    update = message_update("/status")
    assert (await webhook.post(update)).status_code == 200
    assert (await webhook.post(update)).status_code == 200
    await settled(adapter)
    assert [call.text for call in fake.sent(ANA["id"])] == [
        "You have no tickets. If something isn't working, just tell me what's wrong."
    ]


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x"])
async def test_a_webhook_post_without_the_right_secret_token_is_refused(
    adapter: TelegramAdapter, webhook: Webhook, fake: FakeTelegram, secret: str | None
) -> None:
    response = await webhook.post(message_update("/help"), secret=secret)
    assert response.status_code == 403
    await settled(adapter)
    assert fake.sent(ANA["id"]) == []


async def test_without_a_configured_secret_every_webhook_post_is_refused(
    garda: Garda, fake: FakeTelegram
) -> None:
    adapter = TelegramAdapter(garda, settings_for(fake, TELEGRAM_WEBHOOK_SECRET=None))
    with pytest.raises(ValueError, match="TELEGRAM_WEBHOOK_SECRET"):
        await adapter.start_webhook()
    async with client_for(adapter) as client:
        for secret in ("", "None", SECRET):
            response = await Webhook(client).post(message_update("/help"), secret=secret)
            assert response.status_code == 403


async def test_an_update_posted_before_the_adapter_runs_is_left_for_telegram_to_retry(
    garda: Garda, fake: FakeTelegram
) -> None:
    adapter = TelegramAdapter(garda, settings_for(fake))
    async with client_for(adapter) as client:
        response = await Webhook(client).post(message_update("/help"))
    assert response.status_code == 503


@pytest.mark.parametrize(
    "body",
    ["this is not json", [1, 2], {"update_id": "7"}, {"update_id": 7, "message": {"text": "hi"}}],
)
async def test_a_body_that_is_not_an_update_is_a_bad_request(
    webhook: Webhook, body: object
) -> None:
    if isinstance(body, str):
        headers = {SECRET_HEADER: SECRET}
        response = await webhook.client.post(WEBHOOK_PATH, content=body, headers=headers)
    else:
        response = await webhook.post(body)
    assert response.status_code == 400


@pytest.mark.filterwarnings(PTB_RETRY_AFTER_WARNING)
async def test_a_rate_limited_message_is_retried_and_arrives_once(
    webhook: Webhook, fake: FakeTelegram
) -> None:
    fake.rate_limit("sendMessage", times=1, retry_after=0.01)
    await webhook.post(message_update("/help"))
    assert "/status" in (await fake.wait_for("sendMessage")).text
    refused = [call for call in fake.calls if call.method == "sendMessage" and not call.ok]
    assert len(refused) == 1
    assert len(fake.sent(ANA["id"])) == 1


@pytest.mark.filterwarnings(PTB_RETRY_AFTER_WARNING)
async def test_a_message_still_rate_limited_after_the_retries_is_a_delivery_error(
    adapter: TelegramAdapter, fake: FakeTelegram
) -> None:
    fake.rate_limit("sendMessage", times=4, retry_after=0.01)  # the first try and 3 retries
    with pytest.raises(DeliveryError, match="rate-limits"):
        await adapter.sender.send(Address("telegram", "42"), Reply("Hello"))
    assert fake.sent(ANA["id"]) == []


async def test_an_unreachable_telegram_is_a_delivery_error(garda: Garda) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{probe.getsockname()[1]}"
    adapter = TelegramAdapter(
        garda, Settings(TELEGRAM_BOT_TOKEN=TOKEN, GARDA_TELEGRAM_API_URL=closed)
    )
    try:
        with pytest.raises(DeliveryError):
            await adapter.sender.send_private("42", Reply("Hello"))
    finally:
        await adapter.stop()


# What Garda says, as Telegram shows it


async def test_user_text_comes_back_html_escaped(webhook: Webhook, fake: FakeTelegram) -> None:
    await webhook.post(message_update("/lang <b>&<script>"))
    answer = await fake.wait_for("sendMessage")
    assert answer.params["parse_mode"] == "HTML"
    assert "&lt;b&gt;&amp;&lt;script&gt;" in answer.params["text"]
    assert "'<b>&<script>'" in answer.text  # what Ana reads: her own characters, no markup
    assert "entities" not in answer.result


async def test_markup_characters_in_a_reply_are_shown_as_written(
    adapter: TelegramAdapter, fake: FakeTelegram
) -> None:
    text = "Fish & chips: <b>not bold</b>, <script>alert(1)</script>, **bold**"
    await adapter.sender.send_private("42", Reply(text))
    sent = await fake.wait_for("sendMessage")
    shown = "Fish & chips: <b>not bold</b>, <script>alert(1)</script>, bold"
    assert sent.text == shown
    assert sent.result["entities"] == [{"type": "bold", "offset": len(shown) - 4, "length": 4}]


async def test_a_long_reply_is_split_and_its_buttons_come_last(
    adapter: TelegramAdapter, fake: FakeTelegram
) -> None:
    paragraph = "Restart the router and wait until every light is green again. " * 20
    text = "\n\n".join(f"{number}. {paragraph.strip()}" for number in range(1, 12))
    assert len(text) > 3 * 4096
    await adapter.sender.send_private("42", Reply(text, (Choice("solved", "Solved"),)))

    parts = fake.sent(ANA["id"])
    assert len(parts) == len(split_text(text)) > 1
    assert [bool(part.buttons) for part in parts] == [False] * (len(parts) - 1) + [True]
    assert "\n\n".join(part.text for part in parts) == text


async def test_a_choice_id_too_long_for_a_button_is_left_out_and_logged(
    adapter: TelegramAdapter, fake: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    choices = (Choice("solved", "Solved"), Choice("article:" + "x" * 60, "Too long"))
    with caplog.at_level(logging.ERROR, logger="bot.telegram_adapter.sender"):
        await adapter.sender.send_private("42", Reply("Did it help?", choices))
    assert (await fake.wait_for("sendMessage")).buttons == [("Solved", "solved")]
    assert "callback data" in caplog.text


# Groups: support channels, not a place for requests


async def test_a_request_in_a_group_gets_a_pointer_to_the_private_chat(
    garda: Garda, webhook: Webhook, fake: FakeTelegram
) -> None:
    support = group()
    await webhook.post(message_update("@garda_bot my printer is broken", chat=support))
    pointer = await fake.wait_for("sendMessage")
    assert pointer.params["chat_id"] == support["id"]
    assert "private chat" in pointer.text and "https://t.me/garda_bot?start" in pointer.text

    async with garda.sessions() as session:  # no support conversation was started
        assert (await session.exec(select(Conversation))).all() == []


async def test_in_a_forum_topic_the_pointer_is_posted_in_that_topic(
    webhook: Webhook, fake: FakeTelegram
) -> None:
    await webhook.post(
        message_update("/start@garda_bot", sender=BUDI, chat=group(forum=True), thread_id=7)
    )
    pointer = await fake.wait_for("sendMessage")
    assert pointer.params["message_thread_id"] == 7
    assert "chat pribadi" in pointer.text  # Budi's Telegram is in Indonesian


@pytest.mark.parametrize(
    "update",
    [
        message_update("is the wifi slow for anyone else?", chat=group()),
        message_update("/help@other_bot", chat=group()),
        message_update("/help@garda_bot", chat=group(), sender=user(99, "Bot", is_bot=True)),
        message_update("mail ana@example.com about it", chat=group()),
    ],
)
async def test_group_messages_not_for_garda_are_ignored(
    adapter: TelegramAdapter, webhook: Webhook, fake: FakeTelegram, update: dict[str, Any]
) -> None:
    assert (await webhook.post(update)).status_code == 200
    await settled(adapter)
    assert fake.sent(group()["id"]) == []


async def test_an_announcement_for_a_forum_topic_is_posted_in_that_topic(
    garda: Garda, adapter: TelegramAdapter, fake: FakeTelegram
) -> None:
    from_console = IncomingMessage(platform="console", user_id="ana", text="printer broken")
    announcement = Reply("New ticket #1: printer broken", to=Address("telegram", "-1001234", "7"))
    await garda.courier.deliver(from_console, [announcement])

    posted = await fake.wait_for("sendMessage")
    assert (posted.params["chat_id"], posted.params["message_thread_id"]) == (-1001234, 7)
    assert posted.text == "New ticket #1: printer broken"


async def test_a_secret_is_deleted_from_the_chat_after_its_time(
    garda: Garda, adapter: TelegramAdapter, fake: FakeTelegram
) -> None:
    asked = IncomingMessage("telegram", "42", "reset", origin=Address("telegram", "42"))
    secret = Reply("Your temporary password is: x7#Kq2mP", private=True, expires_after=0.05)
    await garda.courier.deliver(asked, [secret])

    posted = await fake.wait_for("sendMessage")
    deleted = await fake.wait_for("deleteMessage")
    assert deleted.params["message_id"] == posted.result["message_id"]
    assert (42, posted.result["message_id"]) not in fake.messages


async def test_the_webhook_is_registered_at_the_public_url_with_the_secret(
    garda: Garda, fake: FakeTelegram
) -> None:
    settings = settings_for(fake, GARDA_PUBLIC_URL="https://garda.example.com/")
    adapter = TelegramAdapter(garda, settings)
    await adapter.start_webhook()
    await adapter.stop()
    assert fake.webhook is not None
    assert fake.webhook["url"] == "https://garda.example.com/telegram/webhook"
    assert fake.webhook["secret_token"] == SECRET
    assert fake.webhook["allowed_updates"] == ["message", "callback_query"]


async def test_a_wrong_token_stops_the_start(garda: Garda, fake: FakeTelegram) -> None:
    adapter = TelegramAdapter(garda, settings_for(fake, TELEGRAM_BOT_TOKEN="999:WRONG"))
    with pytest.raises(InvalidToken):
        await adapter.start_webhook()
    assert not adapter.application.running


# Long polling (garda run)


@pytest.mark.timeout(30)
async def test_long_polling_answers_an_update_and_stops_cleanly(
    garda: Garda, fake: FakeTelegram
) -> None:
    fake.webhook = {"url": "https://old.example.com/telegram/webhook"}  # polling replaces it
    adapter = TelegramAdapter(garda, settings_for(fake))
    garda.courier.add(adapter.sender)
    await adapter.start_polling()
    try:
        assert fake.webhook is None
        update = message_update("I forgot my password")
        fake.push_update(update)
        question = await fake.wait_for("sendMessage", with_buttons)
        fake.push_update(press(question.result, "solved"))
        await fake.wait_for("sendMessage", saying("glad"))
    finally:
        await adapter.stop()

    assert not adapter.application.running
    last_poll = [call for call in fake.calls if call.method == "getUpdates"][-1]
    assert last_poll.params["offset"] == update["update_id"] + 2  # both updates confirmed


@pytest.mark.timeout(30)
async def test_an_update_waiting_before_polling_starts_is_answered(
    garda: Garda, fake: FakeTelegram
) -> None:
    fake.push_update(message_update("/status"))
    adapter = TelegramAdapter(garda, settings_for(fake))
    garda.courier.add(adapter.sender)
    await adapter.start_polling()
    try:
        assert "no tickets" in (await fake.wait_for("sendMessage")).text
    finally:
        await adapter.stop()


# Support groups: message ids, answers, edits, agents' replies and ticket buttons

SUPPORT = group()  # Level 2's support group
FORUM = group(-1005555, "IT desk", forum=True)  # Level 3 works in its topic 7
OFFICE = group(-1009999, "Office chat")  # not a support group
TICKET = Reply("New ticket #12: the printer is jammed", (Choice("desk:claim:12", "Claim"),))


@dataclass
class SupportDesk:
    """Garda with support groups, on the fake; what the adapter hands Garda is recorded."""

    adapter: TelegramAdapter
    webhook: Webhook
    fake: FakeTelegram
    received: list[IncomingMessage] = field(default_factory=list)

    async def post(self, update: dict[str, Any]) -> list[IncomingMessage]:
        """Deliver ``update``; what reached Garda because of it."""
        before = len(self.received)
        assert (await self.webhook.post(update)).status_code == 200
        await settled(self.adapter)
        return self.received[before:]

    async def sent(self, address: Address, reply: Reply = TICKET) -> Call:
        """Garda posts ``reply`` at ``address``; the call, as the fake answered it."""
        message_id = await self.adapter.sender.send(address, reply)
        return await self.fake.wait_for(
            "sendMessage", lambda call: str(call.result["message_id"]) == message_id
        )


@pytest.fixture
async def support(
    seeded_template: Path, tmp_path: Path, fake: FakeTelegram, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[SupportDesk]:
    path = tmp_path / "desk.db"
    shutil.copyfile(seeded_template, path)
    desk = Desk(
        {
            2: Address("telegram", str(SUPPORT["id"])),
            3: Address("telegram", str(FORUM["id"]), "7"),
        }
    )
    async with open_garda(f"sqlite+aiosqlite:///{path}", desk=desk) as garda:
        adapter = TelegramAdapter(garda, settings_for(fake))
        garda.courier.add(adapter.sender)
        await adapter.start_webhook()
        try:
            async with client_for(adapter) as client:
                desk_ = SupportDesk(adapter, Webhook(client), fake)

                async def receive(message: IncomingMessage) -> None:
                    desk_.received.append(message)

                monkeypatch.setattr(garda, "receive", receive)
                yield desk_
        finally:
            await adapter.stop()


async def test_a_sent_reply_gives_its_message_id_and_later_ones_answer_it(
    adapter: TelegramAdapter, fake: FakeTelegram
) -> None:
    where = Address("telegram", str(FORUM["id"]), "7")
    ticket = await adapter.sender.send(where, TICKET)
    posted = await fake.wait_for("sendMessage")
    assert ticket == str(posted.result["message_id"])

    assert ticket is not None
    answer = await adapter.sender.send(where, Reply("Ana says: thanks", reply_to=ticket))
    answered = await fake.wait_for("sendMessage")
    assert answer == str(answered.result["message_id"]) != ticket
    assert answered.params["reply_parameters"] == {
        "message_id": int(ticket),
        "allow_sending_without_reply": True,
    }
    assert answered.params["message_thread_id"] == 7  # still in the topic
    assert answered.result["reply_to_message"]["message_id"] == int(ticket)

    private = await adapter.sender.send_private("42", Reply("Budi answered your ticket"))
    assert private == str((await fake.wait_for("sendMessage")).result["message_id"])


async def test_a_long_answer_gives_the_id_of_its_last_part_and_every_part_answers(
    adapter: TelegramAdapter, fake: FakeTelegram
) -> None:
    where = Address("telegram", str(SUPPORT["id"]))
    ticket = await adapter.sender.send(where, TICKET)
    assert ticket is not None
    text = "\n\n".join(["Restart the router and wait a minute. " * 60] * 3)
    last = await adapter.sender.send(where, Reply(text, TICKET.choices, reply_to=ticket))
    parts = fake.sent(SUPPORT["id"])[1:]
    assert len(parts) > 1
    assert last == str(parts[-1].result["message_id"]) and parts[-1].buttons
    assert {part.reply_to for part in parts} == {int(ticket)}


async def test_an_answer_to_a_deleted_message_is_still_sent(
    adapter: TelegramAdapter, fake: FakeTelegram
) -> None:
    sent = await adapter.sender.send(Address("telegram", "42"), Reply("x", reply_to="999"))
    assert sent is not None
    assert "reply_to_message" not in (await fake.wait_for("sendMessage")).result


async def test_an_edit_replaces_the_text_and_keyboard(
    adapter: TelegramAdapter, fake: FakeTelegram
) -> None:
    where = Address("telegram", str(FORUM["id"]), "7")
    ticket = await adapter.sender.send(where, TICKET)
    assert ticket is not None
    taken = Reply("Ticket #12 <b>: taken by **Budi**", (Choice("desk:resolve:12", "Resolve"),))
    await adapter.sender.edit(where, ticket, taken)

    edit = await fake.wait_for("editMessageText")
    assert (edit.params["chat_id"], edit.params["message_id"]) == (FORUM["id"], int(ticket))
    assert edit.params["parse_mode"] == "HTML"
    shown = fake.messages[FORUM["id"], int(ticket)]
    assert shown["text"] == "Ticket #12 <b>: taken by Budi"
    assert shown["entities"] == [{"type": "bold", "offset": 25, "length": 4}]
    assert edit.buttons == [("Resolve", "desk:resolve:12")]

    await adapter.sender.edit(where, ticket, taken)  # the same again: "not modified" is fine
    await adapter.sender.edit(where, ticket, Reply("Ticket #12: resolved"))  # no buttons left
    assert "reply_markup" not in fake.messages[FORUM["id"], int(ticket)]


async def test_an_edit_too_long_for_one_message_is_cut_short(
    adapter: TelegramAdapter, fake: FakeTelegram
) -> None:
    where = Address("telegram", str(SUPPORT["id"]))
    ticket = await adapter.sender.send(where, TICKET)
    assert ticket is not None
    await adapter.sender.edit(where, ticket, Reply("word " * 2000, TICKET.choices))
    shown = fake.messages[SUPPORT["id"], int(ticket)]
    assert len(shown["text"]) <= TEXT_LIMIT and shown["text"].endswith("word…")
    assert shown["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "desk:claim:12"


async def test_an_edit_telegram_refuses_is_a_delivery_error(adapter: TelegramAdapter) -> None:
    with pytest.raises(DeliveryError, match="not found"):
        await adapter.sender.edit(Address("telegram", "42"), "999", Reply("gone"))


async def test_after_a_group_became_a_supergroup_sends_and_edits_go_there(
    adapter: TelegramAdapter, fake: FakeTelegram
) -> None:
    old = Address("telegram", "-555")
    ticket = await adapter.sender.send(old, TICKET)
    assert ticket is not None
    fake.migrate(-555, -100555)

    answer = await adapter.sender.send(old, Reply("an answer", reply_to=ticket))
    assert (await fake.wait_for("sendMessage", saying("an answer"))).params["chat_id"] == -100555
    await adapter.sender.edit(old, ticket, Reply("Ticket #12: taken"))
    assert fake.messages[-100555, int(ticket)]["text"] == "Ticket #12: taken"
    assert answer is not None and (-100555, int(answer)) in fake.messages


async def test_an_answer_to_garda_in_a_support_group_reaches_garda(
    support: SupportDesk,
) -> None:
    ticket = await support.sent(Address("telegram", str(SUPPORT["id"])))
    update = reply_update("restarted the router", ticket.result, sender=BUDI)
    assert await support.post(update) == [
        IncomingMessage(
            platform="telegram",
            user_id=str(BUDI["id"]),
            text="restarted the router",
            origin=Address("telegram", str(SUPPORT["id"])),
            display_name="Budi Santoso",
            event_key=f"telegram:{update['update_id']}",
            reply_to=str(ticket.result["message_id"]),
        )
    ]
    assert support.fake.sent(SUPPORT["id"]) == [ticket]  # no pointer


async def test_an_answer_to_garda_in_a_support_topic_reaches_garda(
    support: SupportDesk,
) -> None:
    ticket = await support.sent(Address("telegram", str(FORUM["id"]), "7"))
    [answer] = await support.post(reply_update("on my way", ticket.result, sender=BUDI))
    assert answer.origin == Address("telegram", str(FORUM["id"]), "7")
    assert answer.reply_to == str(ticket.result["message_id"])


@pytest.mark.parametrize("creator", [BOT, user(77, "Budi")])
async def test_a_plain_message_in_a_support_topic_is_no_answer_to_garda(
    support: SupportDesk, creator: dict[str, Any]
) -> None:
    # Telegram makes every topic message "reply" to the topic's creation message.
    update = topic_update("lunch, anyone?", thread_id=7, chat=FORUM, creator=creator)
    assert await support.post(update) == []
    assert support.fake.sent(FORUM["id"]) == []


async def test_an_answer_to_someone_else_in_a_support_group_is_not_for_garda(
    support: SupportDesk,
) -> None:
    theirs = message_update("printer again?", chat=SUPPORT)["message"]
    assert await support.post(reply_update("yes", theirs, sender=BUDI)) == []


@pytest.mark.parametrize(
    ("typed", "chat", "thread_id"),
    [
        ("/queue", SUPPORT, None),
        ("/take@garda_bot 12", SUPPORT, None),
        ("/reply 12 restarted the router", FORUM, 7),
    ],
)
async def test_a_command_in_a_support_group_reaches_garda(
    support: SupportDesk, typed: str, chat: dict[str, Any], thread_id: int | None
) -> None:
    update = group_command_update(typed, chat=chat, sender=BUDI, thread_id=thread_id)
    [command] = await support.post(update)
    assert (command.text, command.reply_to) == (typed, None)
    assert command.origin == Address("telegram", str(chat["id"]), str(thread_id or "") or None)


async def test_a_command_for_another_bot_in_a_support_group_is_not_for_garda(
    support: SupportDesk,
) -> None:
    assert await support.post(group_command_update("/queue@other_bot", sender=BUDI)) == []
    assert support.fake.sent(SUPPORT["id"]) == []


async def test_an_answer_to_garda_in_another_group_gets_the_pointer(
    support: SupportDesk,
) -> None:
    said = await support.sent(Address("telegram", str(OFFICE["id"])), Reply("Hello office"))
    assert await support.post(reply_update("my printer is broken", said.result)) == []
    pointer = await support.fake.wait_for("sendMessage", saying("private chat"))
    assert pointer.params["chat_id"] == OFFICE["id"]
    # and a command there too, as before
    assert await support.post(group_command_update("/queue", chat=OFFICE)) == []
    await support.fake.wait_for("sendMessage", saying("private chat"))


async def test_a_ticket_button_is_answered_and_the_message_left_for_garda_to_redraw(
    support: SupportDesk,
) -> None:
    ticket = await support.sent(Address("telegram", str(FORUM["id"]), "7"))
    pressed = press(ticket.result, "desk:claim:12", sender=BUDI)
    [claim] = await support.post(pressed)
    await support.fake.wait_for("answerCallbackQuery")
    assert (claim.choice, claim.text, claim.user_id) == ("desk:claim:12", "Claim", "77")
    assert claim.origin == Address("telegram", str(FORUM["id"]), "7")
    edits = [call for call in support.fake.calls if call.method.startswith("editMessage")]
    assert edits == []
    assert support.fake.messages[FORUM["id"], ticket.result["message_id"]]["reply_markup"]


async def test_other_buttons_still_show_the_choice_and_close(support: SupportDesk) -> None:
    question = await support.sent(
        Address("telegram", "42"), Reply("Did it help?", (Choice("solved", "Solved"),))
    )
    [answer] = await support.post(press(question.result, "solved"))
    assert answer.choice == "solved"
    closed = await support.fake.wait_for("editMessageText")
    assert closed.text.endswith("» Solved")
