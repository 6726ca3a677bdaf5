"""Garda's replies on their way into Slack: escaped, with buttons, paced per channel."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from bot.delivery import DeliveryError, Expiry
from bot.slack.blocks import Block, message
from handlers.locks import KeyedLocks
from handlers.messages import Address, Reply

logger = logging.getLogger(__name__)

PLATFORM = "slack"
# What a Slack Web API call raises once the client's own retries (429s, dropped connections)
# are used up.
SLACK_ERRORS = (SlackClientError, aiohttp.ClientError, TimeoutError)


class ChannelPacer:
    """At most one message per ``interval`` seconds in each channel; channels never wait for
    each other (Slack allows about one message a second per channel)."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self._locks = KeyedLocks()
        self._next: dict[str, float] = {}  # channel -> when it may have its next message

    @asynccontextmanager
    async def turn(self, channel: str) -> AsyncIterator[None]:
        """Wait for ``channel``'s turn, then hold it while one message is posted."""
        async with self._locks.hold(channel):
            loop = asyncio.get_running_loop()
            delay = self._next.get(channel, 0.0) - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            try:
                yield
            finally:
                now = loop.time()
                self._next[channel] = now + self.interval
                if len(self._next) > 1_000:  # forget channels whose pause is over
                    self._next = {c: t for c, t in self._next.items() if t > now}


class SlackSender:
    """Posts replies in Slack channels, threads and direct messages (a ``bot.delivery.Sender``)."""

    platform = PLATFORM

    def __init__(self, client: AsyncWebClient, *, pace: float = 1.0) -> None:
        self.client = client
        self.pacer = ChannelPacer(pace)
        self._direct: dict[str, str] = {}  # user id -> their direct-message channel with Garda
        self.expiry = Expiry()

    async def send(self, address: Address, reply: Reply) -> str | None:
        """Post ``reply`` in a channel: in the thread of ``reply.reply_to`` if it names a
        message, else in the address's thread if it has one; the posted message's ``ts``."""
        text, blocks = message(reply)
        async with self.pacer.turn(address.chat_id):
            try:
                posted = await self.client.chat_postMessage(
                    channel=address.chat_id,
                    thread_ts=reply.reply_to or address.thread_id,
                    text=text,
                    blocks=blocks,
                    unfurl_links=False,
                    unfurl_media=False,
                )
            except SLACK_ERRORS as error:
                raise DeliveryError(f"chat.postMessage to {address} failed: {error}") from error
        channel, ts = str(posted["channel"]), str(posted["ts"])
        if reply.expires_after is not None:  # a secret: gone from the chat after a while
            self.expiry.later(
                reply.expires_after,
                lambda: self.client.chat_delete(channel=channel, ts=ts),
                f"a secret in Slack channel {channel}",
            )
        return ts

    async def send_private(self, user_id: str, reply: Reply) -> str | None:
        """Post ``reply`` in the direct-message channel with ``user_id``; its ``ts``."""
        return await self.send(Address(PLATFORM, await self.direct_channel(user_id)), reply)

    async def edit(self, address: Address, message_id: str, reply: Reply) -> None:
        """Replace the text and buttons of the message ``message_id`` (its ``ts``)."""
        text, blocks = message(reply)
        await self.update(address.chat_id, message_id, text, blocks)

    async def update(self, channel: str, ts: str, text: str, blocks: list[Block]) -> None:
        """chat.update, paced like new messages (Slack counts both against the channel)."""
        async with self.pacer.turn(channel):
            try:
                await self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks)
            except SLACK_ERRORS as error:
                raise DeliveryError(f"chat.update of {ts} in {channel} failed: {error}") from error

    async def direct_channel(self, user_id: str) -> str:
        """The id of Garda's direct-message channel with ``user_id`` (opened if need be)."""
        if user_id not in self._direct:
            try:
                response = await self.client.conversations_open(users=user_id)
            except SLACK_ERRORS as error:
                raise DeliveryError(f"conversations.open with {user_id} failed: {error}") from error
            self._direct[user_id] = str(response["channel"]["id"])
        return self._direct[user_id]
