"""Telegram updates read as Garda's neutral messages, and the small texts only Telegram needs."""

from __future__ import annotations

import html
from dataclasses import replace

from telegram import MaybeInaccessibleMessage, Message, MessageEntity, Update, User

from bot.telegram_adapter.sender import PLATFORM, fits
from handlers.i18n import Catalogue
from handlers.messages import Address, IncomingMessage
from knowledge.language import detect_language


def message_from(update: Update) -> IncomingMessage | None:
    """A private-chat message as Garda reads it; None for one from a bot."""
    message, user = update.message, update.effective_user
    if message is None or user is None or user.is_bot:
        return None
    return IncomingMessage(
        platform=PLATFORM,
        user_id=str(user.id),
        # A sticker or a photo has no text: Garda then asks for words. A caption is words.
        text=message.text or message.caption or "",
        origin=origin_of(message),
        display_name=user.full_name,
        event_key=event_key(update),
        raw=update,
    )


def press_from(update: Update, label: str | None) -> IncomingMessage | None:
    """A pressed inline button as Garda reads it: the choice id, and its label as text."""
    query = update.callback_query
    if query is None or query.data is None or query.from_user.is_bot:
        return None
    user = query.from_user
    return IncomingMessage(
        platform=PLATFORM,
        user_id=str(user.id),
        text=label or "",
        origin=origin_of(query.message) if query.message else Address(PLATFORM, str(user.id)),
        display_name=user.full_name,
        choice=query.data,
        event_key=event_key(update),
        raw=update,
    )


def event_key(update: Update) -> str:
    """The key under which Garda remembers it has handled ``update``."""
    return f"{PLATFORM}:{update.update_id}"


def origin_of(message: MaybeInaccessibleMessage) -> Address:
    """The chat a message is in, with its forum topic if it has one."""
    topic = None
    if isinstance(message, Message) and message.is_topic_message and message.message_thread_id:
        topic = str(message.message_thread_id)
    return Address(PLATFORM, str(message.chat.id), topic)


def button_label(message: MaybeInaccessibleMessage | None, data: str) -> str | None:
    """The text of the button carrying ``data`` (None when the message can no longer be read)."""
    if not isinstance(message, Message) or message.reply_markup is None:
        return None
    for row in message.reply_markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


def with_choice(message: Message, label: str) -> str | None:
    """The message's HTML with the chosen option noted under it; None if that is too long."""
    text = f"{message.text_html}\n\n<b>» {html.escape(label, quote=False)}</b>"
    shown = f"{message.text or ''}\n\n» {label}"
    return text if fits(shown) else None


def desk_message_from(update: Update, bot: User) -> IncomingMessage | None:
    """A message in a support group that is for Garda: a command to it, or an answer to one of
    its messages (``reply_to`` names that message). None for anything else said there."""
    message = update.message
    if message is None:
        return None
    answered = answered_message(message, bot)
    if answered is None and not command_for(message, bot):
        return None
    incoming = message_from(update)
    return replace(incoming, reply_to=answered) if incoming is not None else None


def answered_message(message: Message, bot: User) -> str | None:
    """The id of the bot's message that ``message`` replies to, if it replies to one."""
    replied = message.reply_to_message
    if replied is None or replied.from_user is None or replied.from_user.id != bot.id:
        return None
    if replied.forum_topic_created is not None:
        # Not a reply: in a forum topic Telegram names the topic's first message (its
        # creation, by the bot if the bot opened the topic) as the one every message answers.
        return None
    return str(replied.message_id)


def command_for(message: Message, bot: User) -> bool:
    """Whether ``message`` starts with a command to this bot (bare or ``/cmd@bot``)."""
    username = (bot.username or "").casefold()
    for entity, text in message.parse_entities([MessageEntity.BOT_COMMAND]).items():
        if entity.offset == 0 and text.partition("@")[2].casefold() in ("", username):
            return True
    return False


def addressed_to(message: Message, bot: User) -> bool:
    """Whether a group message is for this bot: a command (bare or ``@bot``) or a mention."""
    if command_for(message, bot):
        return True
    username = (bot.username or "").casefold()
    kinds: list[str | None] = [MessageEntity.MENTION, MessageEntity.TEXT_MENTION]
    for entity, text in message.parse_entities(kinds).items():
        if entity.type == MessageEntity.MENTION:
            for_us = text.casefold() == f"@{username}"
        else:  # a mention of a user without a username: compare the user
            for_us = entity.user is not None and entity.user.id == bot.id
        if for_us:
            return True
    return False


def group_pointer(message: Message, user: User, bot: User, catalogue: Catalogue) -> str:
    """Where to ask instead, in the user's language (their app's, or that of what they wrote).

    Support requests belong in private chats, where nobody else reads the details.
    """
    indonesian = (user.language_code or "").startswith("id")
    indonesian = indonesian or detect_language(message.text or "") == "id"
    lang = "id" if indonesian else "en"
    link = f"https://t.me/{bot.username}?start"
    return catalogue.text(lang, "telegram.private_only", name=user.first_name, link=link)
