"""Platform-neutral message types exchanged between adapters and the engine."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    value: str = ""  # shown filled in (the current text, when editing)
    multiline: bool = False  # a text area rather than one line

    def as_json(self) -> list[Any]:
        """The field as a short JSON list (the fields left at their defaults left out)."""
        data: list[Any] = [self.name, self.label, self.hint]
        if self.value or self.multiline:
            data += [self.value, self.multiline]
        return data

    @classmethod
    def from_json(cls, data: Sequence[Any]) -> FormField:
        """The field :meth:`as_json` wrote."""
        name, label, hint, *rest = data
        value, multiline = [*rest, "", False][:2]
        return cls(str(name), str(label), str(hint), str(value), bool(multiline))


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
    reply_to: str | None = None  # the platform id of the message this one answers, if any
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
    reply_to: str | None = None  # the platform id of a message to answer under (its thread)


def reply_to_json(reply: Reply) -> dict[str, Any]:
    """``reply`` as JSON-ready data, for the outbox (``to`` is stored beside it)."""
    data: dict[str, Any] = {"text": reply.text}
    if reply.choices:
        data["choices"] = [[choice.id, choice.label] for choice in reply.choices]
    if reply.private:
        data["private"] = True
    if reply.expires_after is not None:
        data["expires_after"] = reply.expires_after
    if reply.reply_to is not None:
        data["reply_to"] = reply.reply_to
    return data


def reply_from_json(data: Mapping[str, Any]) -> Reply:
    """The reply :func:`reply_to_json` stored."""
    return Reply(
        text=str(data.get("text", "")),
        choices=tuple(Choice(str(i), str(label)) for i, label in data.get("choices", ())),
        private=bool(data.get("private", False)),
        expires_after=data.get("expires_after"),
        reply_to=data.get("reply_to"),
    )
