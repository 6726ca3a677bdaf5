"""Platform-neutral message types exchanged between adapters and the engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Address:
    """Where a message came from or should go: a chat, optionally a thread in it."""

    platform: str
    chat_id: str
    thread_id: str | None = None

    def __str__(self) -> str:
        base = f"{self.platform}:{self.chat_id}"
        return f"{base}/{self.thread_id}" if self.thread_id else base


@dataclass(frozen=True)
class Choice:
    """One button, inline-keyboard key or numbered console option."""

    id: str
    label: str


@dataclass(frozen=True)
class FormField:
    """One field of a form that platforms with dialogs (Slack modals) can show at once."""

    name: str
    label: str
    hint: str = ""


@dataclass(frozen=True)
class IncomingMessage:
    """A message or button press from a user, translated by an adapter."""

    platform: str
    user_id: str
    text: str = ""
    origin: Address | None = None
    display_name: str = ""
    choice: str | None = None  # the choice id of a pressed button
    event_key: str | None = None  # platform event id, for de-duplicating retries
    email: str | None = None  # the address the platform verified for this user, if any
    fields: Mapping[str, str] = field(default_factory=dict, compare=False)  # a submitted form
    raw: Any = field(default=None, compare=False, repr=False)  # for debugging only

    @property
    def user_key(self) -> str:
        """The platform-qualified user, e.g. ``slack:U123``."""
        return f"{self.platform}:{self.user_id}"


@dataclass(frozen=True)
class Reply:
    """Something Garda says, optionally with choices, elsewhere, or only to the user."""

    text: str
    choices: tuple[Choice, ...] = ()
    to: Address | None = None  # None: answer where the message came from
    private: bool = False
    form: tuple[FormField, ...] = ()  # the same questions as one form, where a platform can
    expires_after: float | None = None  # seconds: a secret the platform should then delete
