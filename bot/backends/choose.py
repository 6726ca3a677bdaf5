"""From settings to the backends each message is handled with."""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.backends.builtin import BuiltinDirectory, BuiltinFirewall, BuiltinSubscriptions
from bot.backends.fail2ban import Fail2banFirewall
from bot.backends.ldap import LdapDirectory
from bot.backends.mail import SmtpMailer
from bot.backends.webhook import WebhookBackend
from bot.config import Settings
from handlers.backends import Backends, Directory, Firewall, Mailer, Subscriptions


class BackendSet:
    """The configured backends: external ones made once, builtin ones per transaction."""

    def __init__(self, settings: Settings, *, mailer: Mailer | None = None) -> None:
        self.settings = settings
        self._webhook: WebhookBackend | None = None
        self.directory = self._directory()
        self.firewall = self._firewall()
        self.subscriptions = self._subscriptions()
        self.mailer = mailer if mailer is not None else _mailer(settings)

    def __call__(self, session: AsyncSession) -> Backends:
        """The backends for one message (the dispatcher's ``backends`` factory)."""
        return Backends(
            directory=self.directory or BuiltinDirectory(session),
            firewall=self.firewall or BuiltinFirewall(session),
            subscriptions=self.subscriptions or BuiltinSubscriptions(session),
            mailer=self.mailer,
        )

    async def close(self) -> None:
        """Release connections (the webhook backend's HTTP session)."""
        if self._webhook is not None:
            await self._webhook.close()

    def _directory(self) -> Directory | None:
        kind = self.settings.directory
        if kind == "ldap":
            return LdapDirectory.from_settings(self.settings)
        return self._webhook_or_builtin(kind, "GARDA_DIRECTORY")

    def _firewall(self) -> Firewall | None:
        kind = self.settings.firewall
        if kind == "fail2ban":
            return Fail2banFirewall.from_settings(self.settings)
        return self._webhook_or_builtin(kind, "GARDA_FIREWALL")

    def _subscriptions(self) -> Subscriptions | None:
        return self._webhook_or_builtin(self.settings.subscriptions, "GARDA_SUBSCRIPTIONS")

    def _webhook_or_builtin(self, kind: str, variable: str) -> WebhookBackend | None:
        """None means builtin (made per transaction); one webhook client serves every role."""
        if kind == "builtin":
            return None
        if kind != "webhook":
            raise ValueError(f"{variable}={kind} is not possible: use builtin or webhook here")
        if self._webhook is None:
            self._webhook = WebhookBackend.from_settings(self.settings)
        return self._webhook


def _mailer(settings: Settings) -> Mailer | None:
    """SMTP when GARDA_SMTP_HOST is set; else no mail (codes cannot be sent)."""
    return SmtpMailer.from_settings(settings) if settings.smtp_host else None
