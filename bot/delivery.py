"""Replies on their way out: each to the platform it is addressed to.

A reply without a destination answers where the message came from; one marked private goes
to the user's own private chat; one addressed elsewhere (a support channel on another
platform, say) goes through that platform's sender.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Protocol

from handlers.desk import PRIVATE, parse_address
from handlers.messages import Address, IncomingMessage, Reply

logger = logging.getLogger(__name__)


class Sender(Protocol):
    """One platform's way of saying things; implemented by each adapter."""

    platform: str

    async def send(self, address: Address, reply: Reply) -> str | None:
        """Post ``reply`` in a chat (a thread of it, if the address has one, or under the
        message ``reply.reply_to``); the platform's id of the posted message."""

    async def send_private(self, user_id: str, reply: Reply) -> str | None:
        """Post ``reply`` in the private chat with ``user_id``; the posted message's id."""

    async def edit(self, address: Address, message_id: str, reply: Reply) -> None:
        """Replace the text and buttons of a message Garda posted in a chat."""


class DeliveryError(Exception):
    """A reply could not be delivered (after the sender's own retries)."""


class Courier:
    """Routes replies to the right platform's sender."""

    def __init__(self, senders: Sequence[Sender] = ()) -> None:
        self.senders: dict[str, Sender] = {}
        for sender in senders:
            self.add(sender)

    def add(self, sender: Sender) -> None:
        """Deliver ``sender.platform``'s replies through ``sender``."""
        self.senders[sender.platform] = sender

    async def deliver(self, message: IncomingMessage, replies: Sequence[Reply]) -> None:
        """Send every reply to ``message``, in order; a failed one never stops the others."""
        for reply in replies:
            try:
                await self.send(message, reply)
            except DeliveryError as error:
                logger.error("could not deliver a reply to %s: %s", message.user_key, error)

    async def send(self, message: IncomingMessage, reply: Reply) -> str | None:
        """Send one reply to ``message`` where it belongs; the posted message's id."""
        if reply.to is not None:
            return await self._sender(reply.to.platform).send(reply.to, reply)
        if reply.private or message.origin is None:
            return await self._sender(message.platform).send_private(message.user_id, reply)
        return await self._sender(message.platform).send(message.origin, reply)

    async def post(self, target: str, reply: Reply) -> str | None:
        """Send ``reply`` to an outbox target: an address (``slack:C1``, ``telegram:-100/7``)
        or someone's private chat (``private:telegram:42``); the posted message's id."""
        kind, _, rest = target.partition(":")
        if kind == PRIVATE:
            platform, _, user_id = rest.partition(":")
            return await self._sender(platform).send_private(user_id, reply)
        address = parse_address(target)
        return await self._sender(address.platform).send(address, reply)

    async def edit(self, address: Address, message_id: str, reply: Reply) -> None:
        """Replace a message Garda posted at ``address``."""
        await self._sender(address.platform).edit(address, message_id, reply)

    def _sender(self, platform: str) -> Sender:
        sender = self.senders.get(platform)
        if sender is None:
            raise DeliveryError(f"{platform} is not connected in this process")
        return sender


class Expiry:
    """Deletes secrets from a chat after a delay, where the platform lets a bot do that.

    Timers live in this process: a restart before one fires leaves that message in place
    (the secret in it is temporary anyway, and must be changed at first use).
    """

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[None]] = set()

    def later(self, delay: float, delete: Callable[[], Awaitable[object]], what: str) -> None:
        """Run ``delete`` after ``delay`` seconds; a failure is logged, never raised."""

        async def run() -> None:
            await asyncio.sleep(delay)
            try:
                await delete()
            except Exception as error:  # noqa: BLE001 - whatever a deletion hits, it only logs
                logger.warning("could not delete %s: %s", what, type(error).__name__)

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        """Stop waiting (at shutdown)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
