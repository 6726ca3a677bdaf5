"""Self-service conversations against the real systems: slapd, fail2ban, a webhook endpoint."""

from __future__ import annotations

import re
import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.app import Garda, open_garda
from bot.backends.choose import BackendSet
from bot.config import Settings
from handlers.rails import Rails
from models.tables import AuditRecord, Ticket
from tests.backends.fail2ban_server import JAILS, Fail2banServer
from tests.backends.slapd import ALICE, Slapd, slapd_fixture  # noqa: F401  (the fixture)
from tests.backends.webhook_receiver import SECRET, WebhookReceiver
from tests.helpers import Chat

RAILS = Rails(cooldown=timedelta(0), timeout=3.0)


@asynccontextmanager
async def garda_with(template: Path, folder: Path, **settings: Any) -> AsyncIterator[Garda]:
    """Garda on a copy of the seeded database, with the backends ``settings`` name."""
    path = folder / "garda.db"
    shutil.copyfile(template, path)
    url = f"sqlite+aiosqlite:///{path}"
    config = Settings(_env_file=None, GARDA_DATABASE_URL=url, **settings)  # type: ignore[call-arg]
    backends = BackendSet(config)
    try:
        async with open_garda(url, backends=backends, rails=RAILS) as garda:
            yield garda
    finally:
        await backends.close()


async def audit(garda: Garda) -> list[tuple[str, str, str]]:
    async with garda.sessions() as session:
        rows = (await session.exec(select(AuditRecord))).all()
    return [(row.action, row.outcome, row.backend) for row in rows]


async def test_a_password_reset_on_openldap(
    slapd: Slapd, seeded_template: Path, tmp_path: Path
) -> None:
    settings = {
        "GARDA_DIRECTORY": "ldap",
        "GARDA_LDAP_URL": slapd.url,
        "GARDA_LDAP_BIND_DN": slapd.service_dn,
        "GARDA_LDAP_BIND_PASSWORD": slapd.service_password,
        "GARDA_LDAP_BASE_DN": slapd.base_dn,
    }
    async with garda_with(seeded_template, tmp_path, **settings) as garda:
        chat = Chat(garda.dispatcher, user="UALICE", platform="slack")
        await chat.say("I forgot my password", email=ALICE.mail)
        await chat.press("action:password_reset")
        await chat.press("yes")
        (secret,) = [reply for reply in chat.replies if reply.private]
        found = re.search(r"temporary password is: (\S+)", secret.text)
        assert found is not None

        assert slapd.can_bind(ALICE.dn, found.group(1))
        assert not slapd.can_bind(ALICE.dn, ALICE.password)
        assert slapd.read(ALICE.dn, "pwdReset")["pwdreset"] == ["TRUE"]  # change at next login
        assert await audit(garda) == [("password_reset", "done", "ldap")]


async def test_an_ip_unblock_on_fail2ban(
    fail2ban_server: Fail2banServer, seeded_template: Path, tmp_path: Path
) -> None:
    fail2ban_server.ban(JAILS[0], "93.184.216.34")
    fail2ban_server.ban(JAILS[1], "93.184.216.34")
    settings = {"GARDA_FIREWALL": "fail2ban", "GARDA_FAIL2BAN_SOCKET": str(fail2ban_server.socket)}
    async with garda_with(seeded_template, tmp_path, **settings) as garda:
        chat = Chat(garda.dispatcher, user="42", platform="telegram")
        await chat.say("alamat IP saya diblokir")
        await chat.press("action:ip_unblock")
        assert "93.184.216.34" in await chat.say("93.184.216.34")
        assert "tidak diblokir" in await chat.press("yes")

        assert fail2ban_server.banned_ips(JAILS[0]) == []
        assert fail2ban_server.banned_ips(JAILS[1]) == []
        assert await audit(garda) == [("ip_unblock", "done", "fail2ban")]


async def test_a_webhook_that_hangs_opens_a_ticket_and_the_user_is_told(
    seeded_template: Path, tmp_path: Path
) -> None:
    async with WebhookReceiver() as receiver:
        receiver.add_account("ana", "ana@example.com", locked=True)
        receiver.hang()
        settings = {
            "GARDA_DIRECTORY": "webhook",
            "GARDA_WEBHOOK_URL": receiver.url,
            "GARDA_WEBHOOK_SECRET": SECRET,
            "GARDA_BACKEND_TIMEOUT": 0.5,
        }
        async with garda_with(seeded_template, tmp_path, **settings) as garda:
            garda.dispatcher.rails = Rails(cooldown=timedelta(0), timeout=0.5)
            chat = Chat(garda.dispatcher, user="UANA", platform="slack")
            await chat.say("my account is locked", email="ana@example.com")
            await chat.press("action:account_unlock")
            answer = await chat.press("yes")

            assert "couldn't finish" in answer and "ticket #1" in answer
            async with garda.sessions() as session:
                (ticket,) = (await session.exec(select(Ticket))).all()
            assert ticket.facts["self_service"].startswith("account_unlock: ")
            assert await audit(garda) == [("account_unlock", "failed", "webhook")]
