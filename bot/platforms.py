"""Which platforms this process connects to, started and stopped together."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Literal

from telegram.error import TelegramError

from bot.app import Garda
from bot.config import Settings
from bot.slack import SlackAdapter, SlackConfigurationError
from bot.telegram import TelegramAdapter

logger = logging.getLogger(__name__)

Mode = Literal["worker", "web"]  # worker: Socket Mode + long polling; web: webhooks


class StartupError(Exception):
    """A platform cannot start: a missing setting, a refused token (the message says which)."""


@dataclass
class Platforms:
    """The adapters running in this process (None where a platform is not configured)."""

    slack: SlackAdapter | None = None
    telegram: TelegramAdapter | None = None


def check_settings(settings: Settings, mode: Mode) -> None:
    """Refuse to start with a half-configured platform, naming the missing setting."""
    missing = []
    if settings.slack_enabled:
        needed = "SLACK_APP_TOKEN" if mode == "worker" else "SLACK_SIGNING_SECRET"
        secret = settings.slack_app_token if mode == "worker" else settings.slack_signing_secret
        if secret is None:
            missing.append(f"{needed} (Slack is enabled by SLACK_BOT_TOKEN)")
    if settings.telegram_enabled and mode == "web" and settings.telegram_webhook_secret is None:
        missing.append("TELEGRAM_WEBHOOK_SECRET (Telegram webhooks are refused without it)")
    if missing:
        raise StartupError("missing settings: " + "; ".join(missing))
    if mode == "worker" and not (settings.slack_enabled or settings.telegram_enabled):
        raise StartupError(
            "no platform configured: set SLACK_BOT_TOKEN and SLACK_APP_TOKEN (Slack Socket Mode)"
            " and/or TELEGRAM_BOT_TOKEN (Telegram long polling); `garda chat` needs neither"
        )


@asynccontextmanager
async def connect(garda: Garda, settings: Settings, mode: Mode) -> AsyncIterator[Platforms]:
    """Start every configured platform in ``mode``; stop them all on exit."""
    check_settings(settings, mode)
    platforms = Platforms()
    async with AsyncExitStack() as stack:
        if settings.slack_enabled:
            slack = platforms.slack = SlackAdapter(garda, settings)
            garda.courier.add(slack.sender)
            stack.push_async_callback(slack.stop)  # also undoes a half-done start
            if mode == "worker":
                try:
                    await slack.start_socket_mode()
                except SlackConfigurationError as error:  # a refused token, say
                    raise StartupError(f"Slack did not start: {error}") from error
            logger.info("Slack connected (%s)", "Socket Mode" if mode == "worker" else "HTTP")
        if settings.telegram_enabled:
            telegram = platforms.telegram = TelegramAdapter(garda, settings)
            garda.courier.add(telegram.sender)
            stack.push_async_callback(telegram.stop)  # also undoes a half-done start
            try:
                if mode == "worker":
                    await telegram.start_polling()
                else:
                    await telegram.start_webhook()
            except TelegramError as error:  # InvalidToken, an unreachable API, a refused webhook
                raise StartupError(f"Telegram did not start: {error}") from error
            logger.info("Telegram connected (%s)", "polling" if mode == "worker" else "webhook")
        yield platforms
