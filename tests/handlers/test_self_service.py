"""Self-service fixes on the builtin backends, with a real SMTP server for the codes."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.app import Garda, open_garda
from bot.backends.builtin import password_matches
from bot.backends.choose import BackendSet
from bot.config import Settings
from handlers.backends import Account, Backends
from handlers.desk import Desk
from handlers.messages import Reply
from handlers.rails import Rails, parse_networks
from models.tables import (
    AuditRecord,
    DirectoryAccount,
    EmailCode,
    FirewallBan,
    SubscriptionRecord,
    Ticket,
    utcnow,
)
from tests.backends.smtp_server import SmtpServer
from tests.helpers import Chat

AGENT = "slack:UAGENT"
RAILS = Rails(cooldown=timedelta(0), protected=parse_networks("151.101.1.69"), timeout=2.0)


@dataclass
class Desks:
    garda: Garda
    smtp: SmtpServer

    def chat(self, user: str = "ana", platform: str = "telegram") -> Chat:
        return Chat(self.garda.dispatcher, user=user, platform=platform)

    def code_for(self, email: str) -> str:
        """The code in the newest mail to ``email``."""
        mail = next(m for m in reversed(self.smtp.messages) if email in m.rcpt_tos)
        found = re.search(r"\b(\d{6})\b", mail.body)
        assert found is not None
        return found.group(1)

    async def rows(self, table: type) -> list:  # type: ignore[type-arg]
        async with self.garda.sessions() as session:
            return list((await session.exec(select(table))).all())


@pytest.fixture
async def desk(seeded_template: Path, tmp_path: Path) -> AsyncIterator[Desks]:
    """Builtin backends seeded with Ana (locked) and Budi, two bans, one subscription."""
    path = tmp_path / "garda.db"
    shutil.copyfile(seeded_template, path)
    url = f"sqlite+aiosqlite:///{path}"
    async with SmtpServer() as smtp:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            GARDA_DATABASE_URL=url,
            GARDA_SMTP_HOST=smtp.host,
            GARDA_SMTP_PORT=smtp.port,
            GARDA_SMTP_SECURITY="none",
        )
        backends = BackendSet(settings)
        roles = Desk(agents={AGENT: 2})
        async with open_garda(url, desk=roles, backends=backends, rails=RAILS) as garda:
            async with garda.sessions() as session, session.begin():
                session.add(DirectoryAccount(username="ana", email="ana@example.com", locked=True))
                session.add(DirectoryAccount(username="budi", email="budi@example.com"))
                session.add(FirewallBan(address="93.184.216.34", jail="sshd"))
                session.add(FirewallBan(address="93.184.216.34", jail="webmail"))
                session.add(FirewallBan(address="151.101.1.69", jail="sshd"))
                session.add(SubscriptionRecord(ref="SUB-1", owner_email="ana@example.com"))
            yield Desks(garda, smtp)
        await backends.close()


def private(chat: Chat) -> list[Reply]:
    return [reply for reply in chat.replies if reply.private]


async def verified(desks: Desks, chat: Chat, email: str = "ana@example.com") -> str:
    """Answer the email question and type the code that arrives."""
    assert email in await chat.say(email)  # "if it belongs to an account, a code is on its way"
    return await chat.say(desks.code_for(email))


# The happy paths


async def test_a_slack_user_resets_their_password_and_gets_it_privately(desk: Desks) -> None:
    chat = desk.chat("UANA", platform="slack")
    await chat.say("I forgot my password", email="ana@example.com")  # Slack-verified email
    assert chat.choices[0] == "Reset my password now"
    assert "ana@example.com" in await chat.press("action:password_reset")  # what will happen
    await chat.press("yes")

    (secret,) = private(chat)
    password = re.search(r"temporary password is: (\S+)", secret.text)
    assert password is not None
    assert secret.expires_after == 600
    (account,) = [a for a in await desk.rows(DirectoryAccount) if a.username == "ana"]
    assert account.must_change and password_matches(password.group(1), account.password_hash)
    (record,) = await desk.rows(AuditRecord)
    assert (record.actor, record.subject, record.action, record.outcome) == (
        "slack:UANA", "ana@example.com", "password_reset", "done",
    )  # fmt: skip
    assert password.group(1) not in str(record.detail)


async def test_a_telegram_user_proves_their_email_by_code_then_unlocks(desk: Desks) -> None:
    chat = desk.chat()
    await chat.say("my account is locked")
    assert "confirm it's you" in await chat.press("action:account_unlock")
    assert "confirmed as yours" in await verified(desk, chat)
    assert "unlock the account registered to ana@example.com" in chat.text
    assert "is unlocked" in await chat.press("yes")

    (account,) = [a for a in await desk.rows(DirectoryAccount) if a.username == "ana"]
    assert not account.locked
    assert await desk.rows(EmailCode) == []  # the code is used up


async def test_the_username_reminder_in_indonesian(desk: Desks) -> None:
    chat = desk.chat("budi")
    await chat.say("saya lupa nama pengguna akun saya")
    assert "Ingatkan nama pengguna saya" in chat.choices
    await chat.press("action:username_reminder")
    assert "terkonfirmasi" in await verified(desk, chat, "budi@example.com")
    await chat.press("yes")
    assert [reply.text for reply in private(chat)] == ["Nama pengguna Anda: budi."]


async def test_an_ip_address_is_unblocked_in_every_jail(desk: Desks) -> None:
    chat = desk.chat()
    await chat.say("my IP address is blocked")
    assert "Which IP address" in await chat.press("action:ip_unblock")
    assert "lift the block on 93.184.216.34" in await chat.say("93.184.216.34")
    assert "is unblocked" in await chat.press("yes")
    assert [ban.address for ban in await desk.rows(FirewallBan)] == ["151.101.1.69"]
    (record,) = await desk.rows(AuditRecord)
    assert record.detail == {"address": "93.184.216.34", "jails": ["sshd", "webmail"]}


async def test_the_subscription_contact_is_updated(desk: Desks) -> None:
    chat = desk.chat("UANA", platform="slack")
    await chat.say("update the billing contact for our license", email="ana@example.com")
    await chat.press("action:subscription_update")
    assert "new billing email" in await chat.press("billing_email")
    assert "not look like an email" in (await chat.say("finance")).replace("doesn't", "not")
    await chat.say("finance@example.com")
    assert "billing email on your subscription is now finance@example.com" in await chat.press(
        "yes"
    )
    (subscription,) = await desk.rows(SubscriptionRecord)
    assert subscription.billing_email == "finance@example.com"


# The rails


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("93.184.216.0/24", "one address at a time"),
        ("10.0.0.1", "private or reserved"),
        ("127.0.0.1", "private or reserved"),
        ("::1", "private or reserved"),
        ("0.0.0.0", "private or reserved"),
        ("151.101.1.69", "protected list"),
        ("not an address", "valid IP"),
    ],
)
async def test_ip_unblock_refuses_what_it_must_never_touch(
    desk: Desks, typed: str, why: str
) -> None:
    chat = desk.chat()
    await chat.say("my IP address is blocked")
    await chat.press("action:ip_unblock")
    assert why in await chat.say(typed)
    assert len(await desk.rows(FirewallBan)) == 3
    assert [r.outcome for r in await desk.rows(AuditRecord)] == ["refused"]


async def test_an_address_that_is_not_banned_is_left_alone(desk: Desks) -> None:
    chat = desk.chat()
    await chat.say("my IP address is blocked")
    await chat.press("action:ip_unblock")
    await chat.say("93.184.216.99")
    assert "not blocked" in await chat.press("yes")
    assert [r.outcome for r in await desk.rows(AuditRecord)] == ["nothing"]


async def test_a_code_never_reaches_someone_who_does_not_own_the_address(desk: Desks) -> None:
    mallory = desk.chat("666")
    await mallory.say("I forgot my password")
    await mallory.press("action:password_reset")
    assert "If ana@example.com belongs to an account" in await mallory.say("ana@example.com")
    assert "not right" in await mallory.say("000000")  # the code went to Ana's mailbox
    assert [m.rcpt_tos for m in desk.smtp.messages] == [["ana@example.com"]]
    assert await desk.rows(AuditRecord) == []  # nothing was attempted on the account


async def test_an_unknown_address_gets_the_same_answer_and_no_mail(desk: Desks) -> None:
    chat = desk.chat()
    await chat.say("I forgot my password")
    await chat.press("action:password_reset")
    assert "If nobody@example.com belongs to an account" in await chat.say("nobody@example.com")
    assert desk.smtp.messages == []


async def test_three_wrong_codes_stop_and_hand_over_to_a_person(desk: Desks) -> None:
    chat = desk.chat()
    await chat.say("my account is locked")
    await chat.press("action:account_unlock")
    await chat.say("ana@example.com")
    assert "2 tries left" in await chat.say("111111")
    assert "1 tries left" in await chat.say("222222")
    assert "Too many wrong codes" in await chat.say("333333")
    assert "work email" in chat.text  # on towards a ticket, with the facts it needs
    assert await desk.rows(EmailCode) == []


async def test_an_expired_code_is_refused_and_a_new_one_offered(desk: Desks) -> None:
    chat = desk.chat()
    await chat.say("my account is locked")
    await chat.press("action:account_unlock")
    await chat.say("ana@example.com")
    code = desk.code_for("ana@example.com")
    async with desk.garda.sessions() as session, session.begin():
        (pending,) = (await session.exec(select(EmailCode))).all()
        pending.expires_at = utcnow() - timedelta(seconds=1)
        session.add(pending)
    assert "expired" in await chat.say(code)
    assert "work email" in chat.text


async def test_an_earlier_code_is_void_once_a_new_one_is_sent(desk: Desks) -> None:
    chat = desk.chat()
    await chat.say("my account is locked")
    await chat.press("action:account_unlock")
    await chat.say("ana@example.com")
    first = desk.code_for("ana@example.com")
    await chat.press("cancel")
    await chat.say("my account is locked")
    await chat.press("action:account_unlock")
    await chat.say("ana@example.com")
    if desk.code_for("ana@example.com") != first:  # one in a million they are equal
        assert "not right" in await chat.say(first)


async def test_the_daily_limit_stops_a_fourth_reset(desk: Desks) -> None:
    chat = desk.chat("UANA", platform="slack")
    for _ in range(3):
        await chat.say("I forgot my password", email="ana@example.com")
        await chat.press("action:password_reset")
        await chat.press("yes")
    await chat.say("I forgot my password", email="ana@example.com")
    answer = await chat.press("action:password_reset")
    assert "today's limit" in answer
    assert "work email" not in answer  # Slack knows it: the escalation asks impact next
    outcomes = [r.outcome for r in await desk.rows(AuditRecord)]
    assert outcomes == ["done", "done", "done", "limited"]


async def test_an_employee_cannot_act_for_someone_else(desk: Desks) -> None:
    chat = desk.chat("UBUDI", platform="slack")
    assert "Only Level 2 and Level 3 agents" in await chat.say(
        "/act account_unlock ana@example.com"
    )
    (account,) = [a for a in await desk.rows(DirectoryAccount) if a.username == "ana"]
    assert account.locked


async def test_an_agent_acts_for_someone_else_and_it_is_audited(desk: Desks) -> None:
    chat = desk.chat("UAGENT", platform="slack")
    assert "ana@example.com" in await chat.say("/act account_unlock ana@example.com")
    assert "is unlocked" in await chat.press("yes")
    (record,) = await desk.rows(AuditRecord)
    assert (record.actor, record.subject, record.outcome) == (AGENT, "ana@example.com", "done")


async def test_a_pasted_password_is_not_kept(desk: Desks) -> None:
    chat = desk.chat()
    await chat.say("I forgot my password")
    answer = await chat.say("Summer2024!")
    assert "looks like a password" in answer
    assert "Did this solve your problem?" not in answer  # the conversation is where it was
    async with desk.garda.sessions() as session:
        conversation_data = str((await session.exec(select(Ticket))).all())
    assert "Summer2024!" not in conversation_data


# When a backend fails


class SlowDirectory:
    name = "slow"

    async def find_by_email(self, email: str) -> Account | None:
        await asyncio.sleep(5)
        return None

    async def reset_password(self, account: Account, temporary: str) -> None:
        raise AssertionError("never reached")

    async def unlock(self, account: Account) -> bool:
        raise AssertionError("never reached")


async def test_a_backend_that_times_out_opens_a_level_2_ticket_with_the_attempt(
    desk: Desks,
) -> None:
    dispatcher = desk.garda.dispatcher
    dispatcher.backends = lambda _session: Backends(directory=SlowDirectory())
    dispatcher.rails = replace(RAILS, timeout=0.2)
    chat = desk.chat("UANA", platform="slack")
    await chat.say("I forgot my password", email="ana@example.com")
    await chat.press("action:password_reset")
    answer = await chat.press("yes")

    assert "couldn't finish" in answer and "ticket #1" in answer
    (ticket,) = await desk.rows(Ticket)
    assert ticket.tier == 2
    assert ticket.facts["self_service"] == "password_reset: no answer in time"
    (record,) = await desk.rows(AuditRecord)
    assert (record.outcome, record.backend) == ("failed", "slow")


# Every action, start to finish, in both languages


HAPPY_PATHS = {
    # action: (what the user says in en, in id; what they answer before "yes"; done text en, id)
    "username_reminder": (
        "I forgot my username", "saya lupa nama pengguna saya", [],
        "Your username is ana", "Nama pengguna Anda: ana",
    ),
    "password_reset": (
        "I forgot my password", "saya lupa kata sandi", [],
        "temporary password is", "Kata sandi sementara Anda",
    ),
    "account_unlock": (
        "my account is locked", "akun saya terkunci", [],
        "is unlocked", "sudah tidak terkunci",
    ),
    "ip_unblock": (
        "my IP address is blocked", "alamat IP saya diblokir", ["93.184.216.34"],
        "is unblocked", "sudah tidak diblokir",
    ),
    "subscription_update": (
        "update the phone number on my subscription", "ubah nomor telepon di langganan saya",
        ["phone", "+62 812 5555 0101"],
        "phone number on your subscription is now", "nomor telepon pada langganan Anda sekarang",
    ),
}  # fmt: skip


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("action", sorted(HAPPY_PATHS))
async def test_every_action_in_both_languages(desk: Desks, action: str, lang: str) -> None:
    said_en, said_id, answers, done_en, done_id = HAPPY_PATHS[action]
    chat = desk.chat("UANA", platform="slack")
    await chat.say(said_en if lang == "en" else said_id, email="ana@example.com")
    assert f"action:{action}" in chat.choice_ids
    await chat.press(f"action:{action}")
    for answer in answers:
        await (chat.press(answer) if answer in chat.choice_ids else chat.say(answer))
    await chat.press("yes")
    assert (done_en if lang == "en" else done_id) in chat.text
    assert [r.outcome for r in await desk.rows(AuditRecord)] == ["done"]


async def test_a_temporary_password_never_reaches_the_logs(
    desk: Desks, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("DEBUG")
    chat = desk.chat("UANA", platform="slack")
    await chat.say("I forgot my password", email="ana@example.com")
    await chat.press("action:password_reset")
    await chat.press("yes")
    (secret,) = private(chat)
    password = secret.text.split(": ", 1)[1].split()[0]
    assert all(password not in record.getMessage() for record in caplog.records)
    async with desk.garda.sessions() as session:
        stored = str((await session.exec(select(AuditRecord))).all())
    assert password not in stored
