"""Garda on Telegram: long polling or a webhook; private chats, inline keyboards, support groups.

python-telegram-bot runs inside Garda's own event loop (``initialize`` / ``start``, never
``run_polling``). Every update, polled or posted to the webhook, goes through PTB's update
queue to :meth:`Garda.receive`, which records the ``update_id`` in the database: an update
Telegram delivers twice is answered once, whichever process gets it.
"""

from __future__ import annotations

import hmac
import logging
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from telegram import BotCommand, BotCommandScopeAllPrivateChats, CallbackQuery, Message, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    Updater,
    filters,
)

from bot.app import Garda
from bot.config import Settings
from bot.delivery import DeliveryError
from bot.telegram_adapter.ordering import PerUserUpdateProcessor
from bot.telegram_adapter.sender import PLATFORM, TelegramSender
from bot.telegram_adapter.updates import (
    addressed_to,
    answered_message,
    button_label,
    desk_message_from,
    group_pointer,
    message_from,
    origin_of,
    press_from,
    with_choice,
)
from handlers.desk import DESK_CHOICE
from handlers.dispatcher import Dispatcher
from handlers.i18n import DEFAULT_LANG
from handlers.messages import Reply

__all__ = ["PLATFORM", "WEBHOOK_PATH", "TelegramAdapter", "TelegramSender", "command_menu"]

logger = logging.getLogger(__name__)

WEBHOOK_PATH = "/telegram/webhook"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]  # edits, reactions... are not asked for
POLL_TIMEOUT = 30  # seconds one long poll waits at Telegram for an update
MAX_RETRIES = 3  # after a 429, the rate limiter waits as told and tries again this many times
CONCURRENT_UPDATES = 64  # updates handled at once; each person's still one at a time, in order
COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")

PRIVATE = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & ~filters.StatusUpdate.ALL
IN_GROUPS = filters.ChatType.GROUPS & filters.UpdateType.MESSAGE & filters.TEXT


class TelegramAdapter:
    """Connects one Telegram bot to Garda; ``garda.courier.add(adapter.sender)`` routes replies."""

    def __init__(self, garda: Garda, settings: Settings) -> None:
        if settings.telegram_bot_token is None:
            raise ValueError("TELEGRAM_BOT_TOKEN is not set")
        api = settings.telegram_api_url.rstrip("/")
        secret = settings.telegram_webhook_secret
        self.garda = garda
        self.public_url = settings.public_url
        self._secret = secret.get_secret_value().encode() if secret else None
        self.application: Application[Any, Any, Any, Any, Any, Any] = (
            ApplicationBuilder()
            .token(settings.telegram_bot_token.get_secret_value())
            .base_url(f"{api}/bot")
            .base_file_url(f"{api}/file/bot")
            .rate_limiter(AIORateLimiter(max_retries=MAX_RETRIES))
            .concurrent_updates(PerUserUpdateProcessor(CONCURRENT_UPDATES))
            .updater(None)  # polling makes its own in start_polling; a webhook needs none
            .build()
        )
        self.sender = TelegramSender(self.application.bot)
        self._updater: Updater | None = None
        self.application.add_handlers(
            [
                MessageHandler(PRIVATE, self._on_private_message),
                MessageHandler(IN_GROUPS, self._on_group_message),
                CallbackQueryHandler(self._on_button),
            ]
        )

    async def start_polling(self) -> None:
        """Start fetching updates by long polling (this removes any webhook)."""
        try:
            await self._start()
            self._updater = Updater(self.application.bot, self.application.update_queue)
            await self._updater.initialize()
            await self._updater.start_polling(timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES)
        except BaseException:
            await self.stop()
            raise

    async def start_webhook(self) -> None:
        """Start handling webhook updates; register the webhook if ``GARDA_PUBLIC_URL`` is set."""
        if self._secret is None:
            raise ValueError("TELEGRAM_WEBHOOK_SECRET must be set to receive Telegram webhooks")
        try:
            await self._start()
            if self.public_url:
                url = self.public_url.rstrip("/") + WEBHOOK_PATH
                await self.application.bot.set_webhook(
                    url, secret_token=self._secret.decode(), allowed_updates=ALLOWED_UPDATES
                )
                logger.info("Telegram webhook set to %s", url)
        except BaseException:
            await self.stop()
            raise

    async def stop(self) -> None:
        """Stop fetching, finish the updates already received, and close connections."""
        updater, self._updater = self._updater, None
        if updater is not None and updater.running:
            await updater.stop()
        if self.application.running:
            await self.application.stop()  # handles what is queued before returning
        if updater is not None:
            await updater.shutdown()
        await self.application.shutdown()
        await self.sender.expiry.close()

    async def handle_webhook(self, request: Request) -> Response:
        """Take one update Telegram posted: 403 without the secret token, 400 if not an update."""
        if self._secret is None:
            logger.warning("refused a Telegram webhook request: TELEGRAM_WEBHOOK_SECRET is not set")
            return PlainTextResponse("webhook secret not configured", status_code=403)
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            logger.warning("refused a Telegram webhook request without the right secret token")
            return PlainTextResponse("wrong secret token", status_code=403)
        if not self.application.running:
            return PlainTextResponse("not running yet", status_code=503)  # Telegram retries
        update = await self._read_update(request)
        if update is None:
            return PlainTextResponse("not a Telegram update", status_code=400)
        # Answer at once; the update is handled from the queue (stop() finishes it first).
        await self.application.update_queue.put(update)
        return Response(status_code=200)

    async def _read_update(self, request: Request) -> Update | None:
        try:
            data = await request.json()
            if not isinstance(data, dict) or type(data.get("update_id")) is not int:
                return None
            return Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            logger.warning("a Telegram webhook body is not an update: %r", error)
            return None

    async def _start(self) -> None:
        await self.application.initialize()  # getMe: the token works, and the bot's username
        await self._publish_commands()
        await self.application.start()

    async def _publish_commands(self) -> None:
        """The command menu of private chats, in every language Garda speaks."""
        bot = self.application.bot
        for lang in self.garda.dispatcher.catalogue.languages:
            try:
                await bot.set_my_commands(
                    command_menu(self.garda.dispatcher, lang),
                    scope=BotCommandScopeAllPrivateChats(),
                    language_code=None if lang == DEFAULT_LANG else lang,
                )
            except TelegramError as error:  # a missing menu is no reason not to start
                logger.warning("could not publish the Telegram command menu (%s): %s", lang, error)

    async def _on_private_message(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        message = message_from(update)
        if message is not None:
            await self.garda.receive(message)

    async def _on_group_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """In a support group, commands to Garda and answers to its messages go to Garda.
        Elsewhere requests belong in private chats: a command, a mention or an answer to one of
        Garda's messages gets a pointer there."""
        message, user = update.message, update.effective_user
        bot = context.bot.bot  # the bot's own User, known since initialize()
        if message is None or user is None or user.is_bot:
            return
        if self.garda.dispatcher.desk.is_support_channel(origin_of(message)):
            for_desk = desk_message_from(update, bot)
            if for_desk is not None:
                await self.garda.receive(for_desk)
                return
        if not addressed_to(message, bot) and answered_message(message, bot) is None:
            return
        try:
            await self.sender.send(
                origin_of(message),
                Reply(group_pointer(message, user, bot, self.garda.dispatcher.catalogue)),
            )
        except DeliveryError as error:
            logger.error("could not answer in Telegram group %s: %s", message.chat.id, error)

    async def _on_button(self, update: Update, _: ContextTypes.DEFAULT_TYPE) -> None:
        """Acknowledge the press, close its keyboard, then let Garda handle the choice.

        A ticket's buttons stay: Garda itself redraws the ticket's message after the press.
        """
        query = update.callback_query
        if query is None or query.data is None:
            return
        try:
            await query.answer()  # stops the button's spinner; Telegram wants it soon
        except TelegramError as error:
            logger.info("could not answer button press %s: %s", query.id, error)
        label = button_label(query.message, query.data)
        if not query.data.startswith(DESK_CHOICE):
            await _close_keyboard(query, label)
        press = press_from(update, label)
        if press is not None:
            await self.garda.receive(press)


async def _close_keyboard(query: CallbackQuery, label: str | None) -> None:
    """Remove the buttons of a pressed message, noting which one was chosen."""
    message = query.message
    if not isinstance(message, Message):  # too old for Telegram to show or edit it
        return
    text = with_choice(message, label) if label is not None else None
    try:
        if text is not None:
            await query.edit_message_text(text, parse_mode=ParseMode.HTML)  # no markup: none
        else:
            await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError as error:  # e.g. "message is not modified" when pressed twice
        logger.info("could not close the keyboard of message %s: %s", message.message_id, error)


def command_menu(dispatcher: Dispatcher, lang: str) -> list[BotCommand]:
    """Garda's commands with their help line in ``lang``, for Telegram's command menu."""
    menu = []
    catalogue = dispatcher.catalogue
    for command in dispatcher.router.commands.values():
        if command.hidden or not COMMAND_NAME.fullmatch(command.name):
            continue
        key = f"help.{command.name}"
        line = catalogue.text(lang, key) if catalogue.has(lang, key) else command.help
        description = line.partition("—")[2].strip() or line  # "/lang en|id — choose ..."
        menu.append(BotCommand(command.name, description[:256]))
    return menu
