"""The SMTP mailer against a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from email.utils import parsedate_to_datetime

import pytest

from bot.backends.mail import SmtpMailer
from bot.config import Settings
from handlers.backends import BackendError, Mailer
from tests.backends.smtp_server import SilentServer, SmtpServer

CODE = "482913"
PASSWORD = "pa55-w0rd-Sekali"
# The AUTH tests run plain SMTP on purpose (auth_require_tls=False); aiosmtpd warns each time.
pytestmark = pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
BODY_ID = f"Kode verifikasi Anda: {CODE}\nBerlaku 10 menit. Jangan bagikan kode ini — terima kasih!"


def mailer_for(
    server: SmtpServer | SilentServer,
    *,
    security: str = "none",
    timeout: float = 5.0,
    user: str | None = None,
    password: str | None = None,
) -> SmtpMailer:
    """A mailer that sends through ``server`` as Garda <garda@example.com>."""
    return SmtpMailer(
        host=server.host,
        port=server.port,
        user=user,
        password=password,
        sender="Garda <garda@example.com>",
        security=security,
        timeout=timeout,
    )


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def server() -> AsyncIterator[SmtpServer]:
    async with SmtpServer(refuse_recipients=("nobody@example.com",)) as running:
        yield running


@pytest.fixture
async def auth_server() -> AsyncIterator[SmtpServer]:
    async with SmtpServer(credentials=("garda", PASSWORD)) as running:
        yield running


def assert_clean(text: str) -> None:
    assert CODE not in text
    assert PASSWORD not in text


async def test_a_message_arrives_as_sent(server: SmtpServer) -> None:
    mailer: Mailer = mailer_for(server)
    await mailer.send(to="ana@example.com", subject="Your Garda code", body=f"Code: {CODE}")

    [received] = server.messages
    assert received.mail_from == "garda@example.com"
    assert received.rcpt_tos == ["ana@example.com"]
    message = received.message
    assert message["From"] == "Garda <garda@example.com>"
    assert message["To"] == "ana@example.com"
    assert message["Subject"] == "Your Garda code"
    assert received.body.strip() == f"Code: {CODE}"
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message["Message-ID"].endswith("@example.com>")


async def test_utf8_indonesian_text_arrives_intact(server: SmtpServer) -> None:
    subject = "Kode verifikasi Garda — jangan dibagikan"
    await mailer_for(server).send(
        to="Budi Śantoso <budi@example.com>", subject=subject, body=BODY_ID
    )

    message = server.messages[0].message
    assert message["Subject"] == subject
    assert message["To"] == "Budi Śantoso <budi@example.com>"
    assert message.get_content_charset() == "utf-8"
    assert server.messages[0].body.rstrip("\n") == BODY_ID


async def test_each_message_has_its_own_message_id(server: SmtpServer) -> None:
    mailer = mailer_for(server)
    for _ in range(2):
        await mailer.send(to="ana@example.com", subject="Code", body=CODE)
    first, second = (received.message["Message-ID"] for received in server.messages)
    assert first != second


async def test_login_then_send(auth_server: SmtpServer) -> None:
    mailer = mailer_for(auth_server, user="garda", password=PASSWORD)
    await mailer.send(to="ana@example.com", subject="Code", body=CODE)
    assert [received.login for received in auth_server.messages] == ["garda"]


async def test_wrong_credentials_fail_without_the_password(
    auth_server: SmtpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mailer = mailer_for(auth_server, user="garda", password=PASSWORD + "-old")
    with pytest.raises(BackendError, match="refused the login") as caught:
        await mailer.send(to="ana@example.com", subject="Code", body=CODE)
    assert_clean(str(caught.value))
    assert (PASSWORD + "-old") not in str(caught.value)
    assert auth_server.messages == []
    for record in caplog.records:
        assert_clean(record.getMessage())


async def test_mail_without_login_is_refused_where_the_server_requires_one(
    auth_server: SmtpServer,
) -> None:
    with pytest.raises(BackendError, match="requires a login") as caught:
        await mailer_for(auth_server).send(to="ana@example.com", subject="Code", body=CODE)
    assert_clean(str(caught.value))


async def test_connection_refused() -> None:
    mailer = SmtpMailer(host="127.0.0.1", port=free_port(), security="none", timeout=5)
    with pytest.raises(BackendError, match="cannot connect") as caught:
        await mailer.send(to="ana@example.com", subject="Code", body=CODE)
    assert_clean(str(caught.value))


async def test_a_refused_recipient_is_a_backend_error(server: SmtpServer) -> None:
    with pytest.raises(BackendError, match=r"refused the recipient \(550\)") as caught:
        await mailer_for(server).send(to="nobody@example.com", subject="Code", body=CODE)
    assert_clean(str(caught.value))
    assert server.messages == []


async def test_a_server_that_never_greets_times_out() -> None:
    async with SilentServer() as silent:
        mailer = mailer_for(silent, timeout=0.5)
        # The outer bound only proves the mailer gives up by itself.
        async with asyncio.timeout(10):
            with pytest.raises(BackendError, match=r"no answer within 0.5 s") as caught:
                await mailer.send(to="ana@example.com", subject="Code", body=CODE)
        assert silent.connections == 1
    assert_clean(str(caught.value))


async def test_starttls_required_but_not_offered(server: SmtpServer) -> None:
    mailer = mailer_for(server, security="starttls")
    with pytest.raises(BackendError, match="STARTTLS") as caught:
        await mailer.send(to="ana@example.com", subject="Code", body=CODE)
    assert_clean(str(caught.value))
    assert server.messages == []


async def test_implicit_tls_against_a_plain_server_fails(server: SmtpServer) -> None:
    with pytest.raises(BackendError, match="TLS failed"):
        await mailer_for(server, security="tls").send(to="ana@example.com", subject="C", body=CODE)
    assert server.messages == []


@pytest.mark.parametrize(
    ("to", "subject"),
    [
        ("ana@example.com\r\nBcc: eve@example.com", "Code"),
        ("ana@example.com\nBcc: eve@example.com", "Code"),
        ("ana@example.com", "Code\r\nBcc: eve@example.com"),
        ("ana@example.com", "Code\nX-Injected: yes"),
        ("ana@example.com, eve@example.com", "Code"),
        ("not an address", "Code"),
    ],
)
async def test_header_injection_is_refused(server: SmtpServer, to: str, subject: str) -> None:
    with pytest.raises(BackendError, match="refusing to send") as caught:
        await mailer_for(server).send(to=to, subject=subject, body=CODE)
    assert_clean(str(caught.value))
    assert server.messages == []


def test_settings_build_the_mailer() -> None:
    settings = Settings(
        _env_file=None,
        GARDA_SMTP_HOST="mail.example.com",
        GARDA_SMTP_PORT=465,
        GARDA_SMTP_USER="garda",
        GARDA_SMTP_PASSWORD=PASSWORD,
        GARDA_SMTP_FROM="helpdesk@example.com",
        GARDA_SMTP_SECURITY="tls",
        GARDA_BACKEND_TIMEOUT=3,
    )
    mailer = SmtpMailer.from_settings(settings)
    assert (mailer.host, mailer.port, mailer.user, mailer.sender) == (
        "mail.example.com",
        465,
        "garda",
        "helpdesk@example.com",
    )
    assert (mailer.security, mailer.timeout) == ("tls", 3)
    assert PASSWORD not in repr(mailer)


def test_settings_without_a_host_are_refused() -> None:
    with pytest.raises(ValueError, match="GARDA_SMTP_HOST"):
        SmtpMailer.from_settings(Settings(_env_file=None))


def test_a_user_without_a_password_is_refused() -> None:
    settings = Settings(_env_file=None, GARDA_SMTP_HOST="mail.example.com", GARDA_SMTP_USER="x")
    with pytest.raises(ValueError, match="GARDA_SMTP_PASSWORD"):
        SmtpMailer.from_settings(settings)


def test_unknown_security_is_refused() -> None:
    with pytest.raises(ValueError, match="starttls, tls, none"):
        SmtpMailer(host="mail.example.com", security="ssl")
