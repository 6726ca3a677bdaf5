"""Outgoing mail over SMTP (aiosmtplib): the one-time codes that link Telegram and console users.

One connection per message: codes are rare, and a fresh connection never trips over a server
that dropped an idle one. ``timeout`` bounds the whole delivery, from connecting to the end of
DATA. Failures become :class:`~handlers.backends.BackendError` with a summary naming the
server and what went wrong, never the body (it carries the code) nor the password.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import ssl
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses, make_msgid
from typing import TYPE_CHECKING, Final

import aiosmtplib

from handlers.backends import BackendError

if TYPE_CHECKING:
    from bot.config import Settings

logger = logging.getLogger(__name__)

SECURITY: Final = ("starttls", "tls", "none")
# aiosmtplib raises these two with its own words ("SMTP STARTTLS extension not supported by
# server."), never the server's, so their text is safe to pass on.
_OWN_WORDS = (aiosmtplib.SMTPException, aiosmtplib.SMTPNotSupported)
_QUIT_TIMEOUT = 2.0  # the message is delivered by then; a slow goodbye is not worth waiting for


class SmtpMailer:
    """Sends plain-text UTF-8 mail through one SMTP server."""

    def __init__(
        self,
        *,
        host: str,
        port: int = 587,
        user: str | None = None,
        password: str | None = None,
        sender: str = "garda@localhost",
        security: str = "starttls",
        timeout: float = 10.0,
    ) -> None:
        if security not in SECURITY:
            raise ValueError(f"security must be one of {', '.join(SECURITY)}, not {security!r}")
        if (user is None) != (password is None):
            raise ValueError("the SMTP user and password go together: set both or neither")
        if timeout <= 0:
            raise ValueError("the timeout must be a positive number of seconds")
        if problem := _address_problem(sender):
            raise ValueError(f"the sender {problem}")
        self.host = host
        self.port = port
        self.user = user
        self._password = password
        self.sender = sender
        self.security = security
        self.timeout = timeout

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpMailer:
        """The mailer the ``GARDA_SMTP_*`` settings describe."""
        if not settings.smtp_host:
            raise ValueError("GARDA_SMTP_HOST is not set (mailing verification codes needs it)")
        password = settings.smtp_password
        if (settings.smtp_user is None) != (password is None):
            raise ValueError("set both GARDA_SMTP_USER and GARDA_SMTP_PASSWORD, or neither")
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=None if password is None else password.get_secret_value(),
            sender=settings.smtp_from,
            security=settings.smtp_security,
            timeout=settings.backend_timeout,
        )

    def compose(self, *, to: str, subject: str, body: str) -> EmailMessage:
        """The message :meth:`send` delivers (raises BackendError on a header injection)."""
        if problem := _address_problem(to):
            raise BackendError(f"refusing to send: the recipient {problem}")
        if "\r" in subject or "\n" in subject:
            raise BackendError("refusing to send: the subject contains a line break")
        message = EmailMessage()
        message["From"] = self.sender
        message["To"] = to
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        # An explicit domain: make_msgid's default looks the host name up, which can block.
        message["Message-ID"] = make_msgid(domain=_domain(self.sender))
        message.set_content(body, charset="utf-8", cte="quoted-printable")
        return message

    async def send(self, *, to: str, subject: str, body: str) -> None:
        """Deliver one plain-text message (raises :class:`BackendError` if it cannot)."""
        message = self.compose(to=to, subject=subject, body=body)
        client = aiosmtplib.SMTP(
            hostname=self.host,
            port=self.port,
            username=self.user,
            password=self._password,
            use_tls=self.security == "tls",
            start_tls=self.security == "starttls",
            timeout=self.timeout,
        )
        try:
            async with asyncio.timeout(self.timeout):
                await client.connect()
                await client.send_message(message)
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            raise BackendError(f"mail to {self._where}: {_failure(error, self)}") from error
        else:
            logger.debug("mail %s delivered to %s", message["Message-ID"], self._where)
            # Why suppress: the server has accepted the message; a failed QUIT changes nothing.
            with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
                async with asyncio.timeout(_QUIT_TIMEOUT):
                    await client.quit()
        finally:
            client.close()

    @property
    def _where(self) -> str:
        return f"{self.host}:{self.port}"


def _address_problem(value: str) -> str | None:
    """What keeps ``value`` from being exactly one mail address on one line, if anything."""
    if "\r" in value or "\n" in value:
        return "contains a line break"
    found = getaddresses([value])
    if len(found) != 1 or "@" not in found[0][1]:
        return "is not one mail address"
    return None


def _domain(sender: str) -> str:
    address = getaddresses([sender])[0][1]
    try:
        return Address(addr_spec=address).domain or "localhost"
    except (ValueError, IndexError):
        return "localhost"


def _failure(error: BaseException, mailer: SmtpMailer) -> str:
    """What went wrong, without the server's free text (it might echo what we sent)."""
    match error:
        case aiosmtplib.SMTPAuthenticationError():
            return f"the server refused the login of {mailer.user!r} ({error.code})"
        case aiosmtplib.SMTPRecipientsRefused() | aiosmtplib.SMTPRecipientRefused():
            code = getattr(error, "code", None) or _first_code(error)
            return f"the server refused the recipient ({code})"
        case aiosmtplib.SMTPResponseException() if error.code == 530:
            return "the server requires a login (GARDA_SMTP_USER, GARDA_SMTP_PASSWORD)"
        case aiosmtplib.SMTPSenderRefused():
            return f"the server refused the sender {mailer.sender!r} ({error.code})"
        case aiosmtplib.SMTPTimeoutError() | TimeoutError():
            return f"no answer within {mailer.timeout:g} s"
        case aiosmtplib.SMTPException() if type(error) in _OWN_WORDS:
            return str(error).rstrip(".")
        case aiosmtplib.SMTPResponseException():
            return f"the server refused ({error.code})"
        case aiosmtplib.SMTPServerDisconnected():
            return "the server closed the connection"
        case aiosmtplib.SMTPConnectError() | OSError():
            cause = error.__cause__ if isinstance(error.__cause__, OSError) else error
            if isinstance(cause, ssl.SSLError):
                return "TLS failed (check GARDA_SMTP_SECURITY and the certificate)"
            if isinstance(cause, OSError) and cause.errno:
                return f"cannot connect ({os.strerror(cause.errno).lower()})"
            return "cannot connect"
    return f"delivery failed ({type(error).__name__})"


def _first_code(error: BaseException) -> str:
    refused = getattr(error, "recipients", None) or []
    return str(refused[0].code) if refused and hasattr(refused[0], "code") else "refused"
