"""Garda's replies rendered for Telegram: escaped HTML, inline keyboards, 4096-character parts."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Awaitable, Callable, Sequence

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    ReplyParameters,
)
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, RetryAfter, TelegramError

from bot.delivery import DeliveryError, Expiry
from handlers.messages import Address, Choice, Reply

logger = logging.getLogger(__name__)

PLATFORM = "telegram"
TEXT_LIMIT = 4096  # characters (UTF-16 code units) of a message, counted after HTML parsing
CALLBACK_DATA_LIMIT = 64  # bytes of an inline button's callback data
BOLD = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*")  # the only Markdown the KB articles use
ELLIPSIS = "…"
NOT_MODIFIED = "message is not modified"  # Telegram's answer to an edit that changes nothing


class TelegramSender:
    """Posts Garda's replies in Telegram chats; the ``Sender`` of the ``telegram`` platform."""

    platform = PLATFORM

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.expiry = Expiry()

    async def send(self, address: Address, reply: Reply) -> str | None:
        """Post ``reply`` in a chat, or in a forum topic of it when the address has a thread,
        as an answer to the message ``reply.reply_to`` if it names one. The id of the posted
        message: of the last part, the one with the buttons, when the text needed several."""
        parts = split_text(reply.text)
        if not parts:
            logger.warning("not sending an empty reply to %s", address)
            return None
        chat_id = chat_id_of(address)
        thread_id = thread_id_of(address)
        answered = message_id_of(reply.reply_to, address) if reply.reply_to else None
        markup = keyboard(reply.choices)
        sent = 0
        for number, part in enumerate(parts, start=1):
            last = number == len(parts)  # the buttons go under the end of the text
            post = _Post(self.bot, thread_id, render(part), markup if last else None, answered)
            chat_id, sent = await self._in_chat(chat_id, post.send, "a message to")
            if reply.expires_after is not None:  # a secret: gone from the chat after a while
                self._expire(chat_id, sent, reply.expires_after)
        return str(sent)

    async def send_private(self, user_id: str, reply: Reply) -> str | None:
        """Post ``reply`` in the private chat with ``user_id`` (its chat id is the user id)."""
        return await self.send(Address(PLATFORM, user_id), reply)

    async def edit(self, address: Address, message_id: str, reply: Reply) -> None:
        """Replace the text and buttons of the message ``message_id``; a text too long for one
        message is cut short. An edit that changes nothing is no error."""
        text = shortened(reply.text)
        if not text:
            logger.warning("not editing message %s in %s to an empty text", message_id, address)
            return
        post = _Post(self.bot, None, render(text), keyboard(reply.choices), None)
        edited = message_id_of(message_id, address)
        await self._in_chat(chat_id_of(address), lambda chat: post.edit(chat, edited), "an edit in")

    def _expire(self, chat_id: int | str, message_id: int, delay: float) -> None:
        self.expiry.later(
            delay,
            lambda: self.bot.delete_message(chat_id=chat_id, message_id=message_id),
            f"a secret in Telegram chat {chat_id}",
        )

    async def _in_chat(
        self, chat_id: int | str, call: Callable[[int | str], Awaitable[int]], what: str
    ) -> tuple[int | str, int]:
        """``call(chat_id)``, again in the new chat if a group has moved to a supergroup; the
        chat it went to and the message's id."""
        try:
            try:
                return chat_id, await call(chat_id)
            except ChatMigrated as moved:
                logger.warning(
                    "Telegram group %s is now supergroup %s; update the configured address",
                    chat_id,
                    moved.new_chat_id,
                )
                chat_id = moved.new_chat_id
                return chat_id, await call(chat_id)
        except RetryAfter as error:  # the rate limiter already waited and retried
            raise DeliveryError(f"Telegram still rate-limits chat {chat_id}: {error}") from error
        except TelegramError as error:
            raise DeliveryError(f"Telegram refused {what} chat {chat_id}: {error}") from error


class _Post:
    """One message's rendered text and keyboard, to send or to put in place of another."""

    def __init__(
        self,
        bot: Bot,
        thread_id: int | None,
        text: str,
        markup: InlineKeyboardMarkup | None,
        answered: int | None,
    ) -> None:
        self.bot = bot
        self.thread_id = thread_id
        self.text = text
        self.markup = markup
        self.answered = answered

    async def send(self, chat_id: int | str) -> int:
        """Send it to ``chat_id``; its message id."""
        message = await self.bot.send_message(
            chat_id=chat_id,
            text=self.text,
            parse_mode=ParseMode.HTML,
            message_thread_id=self.thread_id,
            reply_markup=self.markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            # Every part answers the message; a message deleted since is still worth answering.
            reply_parameters=(
                ReplyParameters(self.answered, allow_sending_without_reply=True)
                if self.answered is not None
                else None
            ),
        )
        return message.message_id

    async def edit(self, chat_id: int | str, message_id: int) -> int:
        """Put it in place of the message ``message_id`` of ``chat_id`` (no keyboard: none)."""
        try:
            await self.bot.edit_message_text(
                self.text,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=self.markup,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        except BadRequest as error:
            # An edit that changes nothing (the same ticket drawn twice, say) is done already.
            if NOT_MODIFIED not in error.message.casefold():
                raise
        return message_id


def render(text: str) -> str:
    """Plain text as Telegram HTML: everything escaped, ``**bold**`` made bold."""
    return BOLD.sub(r"<b>\1</b>", html.escape(text, quote=False))


def keyboard(choices: Sequence[Choice]) -> InlineKeyboardMarkup | None:
    """One button per row; each button's callback data is its choice id."""
    rows = []
    for choice in choices:
        if len(choice.id.encode()) > CALLBACK_DATA_LIMIT:
            # Choice ids are short by construction; if one is not, show the others rather
            # than have Telegram refuse the whole message.
            logger.error(
                "choice id %r is over Telegram's %d bytes of callback data; button %r left out",
                choice.id,
                CALLBACK_DATA_LIMIT,
                choice.label,
            )
            continue
        rows.append([InlineKeyboardButton(choice.label, callback_data=choice.id)])
    return InlineKeyboardMarkup(rows) if rows else None


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """``text`` in parts Telegram accepts, cut at a paragraph, line or word where possible."""
    parts = []
    rest = text.strip()
    while rest:
        end = _fitting(rest, limit)
        if end == len(rest):
            parts.append(rest)
            break
        for separator in ("\n\n", "\n", " "):
            cut = rest.rfind(separator, 0, end)
            if cut > 0:
                part, rest = rest[:cut], rest[cut + len(separator) :]
                break
        else:  # one very long word
            part, rest = rest[:end], rest[end:]
        parts.append(part.rstrip())
        rest = rest.lstrip("\n")
    return [part for part in parts if part]


def shortened(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` whole if it fits in one message, else its beginning and an ellipsis."""
    text = text.strip()
    if fits(text, limit):
        return text
    return split_text(text, limit - len(ELLIPSIS))[0] + ELLIPSIS


def fits(text: str, limit: int = TEXT_LIMIT) -> bool:
    """Whether ``text`` fits in one Telegram message."""
    return _fitting(text, limit) == len(text)


def _fitting(text: str, limit: int) -> int:
    """How many characters of ``text`` fit in ``limit`` UTF-16 code units."""
    units = 0
    for index, character in enumerate(text):
        units += 2 if ord(character) > 0xFFFF else 1
        if units > limit:
            return index
    return len(text)


def chat_id_of(address: Address) -> int | str:
    """The chat id Telegram expects: a number, or a public ``@channel`` name."""
    try:
        return int(address.chat_id)
    except ValueError:
        return address.chat_id


def message_id_of(message_id: str, address: Address) -> int:
    """A Telegram message id (a number) given as text."""
    try:
        return int(message_id)
    except ValueError:
        raise DeliveryError(f"{address}: {message_id!r} is not a Telegram message id") from None


def thread_id_of(address: Address) -> int | None:
    """The forum topic of ``address``, if it names one."""
    if not address.thread_id:
        return None
    try:
        return int(address.thread_id)
    except ValueError:
        raise DeliveryError(f"{address}: a Telegram topic id is a number") from None
