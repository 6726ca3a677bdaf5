"""Factories and a transcript helper so tests read like conversations."""

from __future__ import annotations

from dataclasses import dataclass, field

from handlers.dispatcher import Dispatcher
from handlers.messages import Address, IncomingMessage, Reply


def message(
    text: str = "", *, user: str = "ana", platform: str = "console", **extra: object
) -> IncomingMessage:
    """A message from ``user`` as an adapter would build it."""
    return IncomingMessage(
        platform=platform,
        user_id=user,
        text=text,
        origin=Address(platform, user),
        display_name=user.title(),
        **extra,  # type: ignore[arg-type]
    )


@dataclass
class Chat:
    """One person talking to Garda: ``await chat.say("I forgot my password")``."""

    dispatcher: Dispatcher
    user: str = "ana"
    platform: str = "console"
    replies: list[Reply] = field(default_factory=list)

    async def say(self, text: str = "", **extra: object) -> str:
        """Send a line; return everything Garda answered, as one text."""
        self.replies = await self.dispatcher.handle(
            message(text, user=self.user, platform=self.platform, **extra)
        )
        return self.text

    async def press(self, choice: str) -> str:
        """Press the button with this choice id."""
        return await self.say("", choice=choice)

    @property
    def text(self) -> str:
        """The texts of the last replies, joined."""
        return "\n".join(reply.text for reply in self.replies)

    @property
    def choices(self) -> list[str]:
        """The labels of the choices offered in the last replies."""
        return [choice.label for reply in self.replies for choice in reply.choices]

    @property
    def choice_ids(self) -> list[str]:
        """The ids of the choices offered in the last replies."""
        return [choice.id for reply in self.replies for choice in reply.choices]


async def converse(dispatcher: Dispatcher, *lines: str, user: str = "ana") -> Chat:
    """Say each line in turn; return the chat, holding the last answer."""
    chat = Chat(dispatcher, user=user)
    for line in lines:
        await chat.say(line)
    return chat
