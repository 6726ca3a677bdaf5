"""Garda's replies rendered for Telegram: escaped HTML, inline keyboards, 4096-character parts."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Sequence

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import ChatMigrated, RetryAfter, TelegramError

from bot.delivery import DeliveryError, Expiry
from handlers.messages import Address, Choice, Reply

logger = logging.getLogger(__name__)

PLATFORM = "telegram"
TEXT_LIMIT = 4096  # characters (UTF-16 code units) of a message, counted after HTML parsing
CALLBACK_DATA_LIMIT = 64  # bytes of an inline button's callback data
BOLD = re.compile(r"\*\*(\S(?:.*?\S)?)\*\*")  # the only Markdown the KB articles use


class TelegramSender:
    """Posts Garda's replies in Telegram chats; the ``Sender`` of the ``telegram`` platform."""

    platform = PLATFORM

    def __init__(self, bot: Bot) -> None:
        self.bot = bot
        self.expiry = Expiry()

    async def send(self, address: Address, reply: Reply) -> None:
        """Post ``reply`` in a chat, or in a forum topic of it when the address has a thread."""
        parts = split_text(reply.text)
        if not parts:
            logger.warning("not sending an empty reply to %s", address)
            return
        chat_id = chat_id_of(address)
        thread_id = thread_id_of(address)
        markup = keyboard(reply.choices)
        for number, part in enumerate(parts, start=1):
            last = number == len(parts)  # the buttons go under the end of the text
            chat_id, sent = await self._post(
                chat_id, thread_id, render(part), markup if last else None
            )
            if reply.expires_after is not None:  # a secret: gone from the chat after a while
                self._expire(chat_id, sent, reply.expires_after)

    def _expire(self, chat_id: int | str, message_id: int, delay: float) -> None:
        self.expiry.later(
            delay,
            lambda: self.bot.delete_message(chat_id=chat_id, message_id=message_id),
            f"a secret in Telegram chat {chat_id}",
        )

    async def send_private(self, user_id: str, reply: Reply) -> None:
        """Post ``reply`` in the private chat with ``user_id`` (its chat id is the user id)."""
        await self.send(Address(PLATFORM, user_id), reply)

    async def _post(
        self,
        chat_id: int | str,
        thread_id: int | None,
        text: str,
        markup: InlineKeyboardMarkup | None,
    ) -> tuple[int | str, int]:
        """Send one message; the chat it went to (a group may have moved to a supergroup) and
        the message's id."""
        try:
            try:
                sent = await self._send_message(chat_id, thread_id, text, markup)
            except ChatMigrated as moved:
                logger.warning(
                    "Telegram group %s is now supergroup %s; update the configured address",
                    chat_id,
                    moved.new_chat_id,
                )
                chat_id = moved.new_chat_id
                sent = await self._send_message(chat_id, thread_id, text, markup)
        except RetryAfter as error:  # the rate limiter already waited and retried
            raise DeliveryError(f"Telegram still rate-limits chat {chat_id}: {error}") from error
        except TelegramError as error:
            raise DeliveryError(f"Telegram refused a message to chat {chat_id}: {error}") from error
        return chat_id, sent

    async def _send_message(
        self,
        chat_id: int | str,
        thread_id: int | None,
        text: str,
        markup: InlineKeyboardMarkup | None,
    ) -> int:
        message = await self.bot.send_message(
            chat_id=chat_id,
            text=text,
            parse_mode=ParseMode.HTML,
            message_thread_id=thread_id,
            reply_markup=markup,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        )
        return message.message_id


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


def thread_id_of(address: Address) -> int | None:
    """The forum topic of ``address``, if it names one."""
    if not address.thread_id:
        return None
    try:
        return int(address.thread_id)
    except ValueError:
        raise DeliveryError(f"{address}: a Telegram topic id is a number") from None
