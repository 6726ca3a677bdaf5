"""A real SMTP server for the mail tests: aiosmtpd on 127.0.0.1, on a free port.

``async with SmtpServer() as server:`` then send to ``server.host``/``server.port`` and read
``server.messages``. With ``credentials=(user, password)`` it offers AUTH on the plain
connection and refuses mail without a good login. ``refuse_recipients`` answers RCPT TO with
550 for those addresses. :class:`SilentServer` accepts connections and never greets, for
timeouts.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session


@dataclass(frozen=True)
class Received:
    """One message the server accepted."""

    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    login: str | None  # who authenticated, if anyone

    @property
    def message(self) -> EmailMessage:
        """The message parsed as the recipient's mail client would."""
        parsed = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    @property
    def body(self) -> str:
        """The text, decoded, with the line ends a mail client shows."""
        return str(self.message.get_content()).replace("\r\n", "\n")


@dataclass
class _Capture:
    """aiosmtpd handler: keeps what arrives (called in the controller's thread)."""

    refuse_recipients: frozenset[str] = frozenset()
    messages: list[Received] = field(default_factory=list)

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        if address.lower() in self.refuse_recipients:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        auth = session.auth_data
        assert envelope.mail_from is not None
        assert isinstance(envelope.original_content, bytes)
        self.messages.append(
            Received(
                mail_from=envelope.mail_from,
                rcpt_tos=list(envelope.rcpt_tos),
                raw=envelope.original_content,
                login=auth.login.decode() if isinstance(auth, LoginPassword) else None,
            )
        )
        return "250 Message accepted for delivery"


class _FreePortController(Controller):
    """A Controller that may listen on port 0: it learns the real port before its self-test."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class SmtpServer:
    """aiosmtpd in its own thread, capturing every message it accepts."""

    host = "127.0.0.1"

    def __init__(
        self,
        *,
        credentials: tuple[str, str] | None = None,
        refuse_recipients: tuple[str, ...] = (),
    ) -> None:
        self.credentials = credentials
        self._capture = _Capture(frozenset(address.lower() for address in refuse_recipients))
        options: dict[str, Any] = {}
        if credentials is not None:
            options = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,  # the test client talks plain SMTP
            }
        self._controller = _FreePortController(
            self._capture, hostname=self.host, port=0, server_hostname="smtp.test", **options
        )

    @property
    def port(self) -> int:
        return int(self._controller.port)

    @property
    def messages(self) -> list[Received]:
        """Every message accepted so far, oldest first."""
        return list(self._capture.messages)

    async def __aenter__(self) -> SmtpServer:
        # start() waits for the thread and connects once to check it: keep that off our loop.
        await asyncio.to_thread(self._controller.start)
        return self

    async def __aexit__(self, *_: object) -> None:
        await asyncio.to_thread(self._controller.stop)

    def _authenticate(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        mechanism: str,
        auth_data: object,
    ) -> AuthResult:
        if isinstance(auth_data, LoginPassword) and self.credentials is not None:
            user, password = self.credentials
            if (auth_data.login, auth_data.password) == (user.encode(), password.encode()):
                return AuthResult(success=True, auth_data=auth_data)
        return AuthResult(success=False, handled=False)


class SilentServer:
    """Accepts TCP connections on 127.0.0.1 and never says a word."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port = 0
        self.connections = 0
        self._server: asyncio.Server | None = None
        self._closing = asyncio.Event()

    async def __aenter__(self) -> SilentServer:
        self._server = await asyncio.start_server(self._hold, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._closing.set()
        self._server.close()
        await self._server.wait_closed()

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await self._closing.wait()
        writer.close()
