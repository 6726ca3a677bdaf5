"""One incoming message being handled: who sent it, the conversation, and the replies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.backends import Backends
from handlers.desk import Desk
from handlers.escalation import Tickets
from handlers.i18n import Catalogue
from handlers.messages import Choice, FormField, IncomingMessage, Reply
from handlers.rails import Rails
from handlers.states import State
from knowledge.base import KnowledgeBase
from knowledge.text import fold
from models.tables import Conversation, Person, utcnow

LABEL_SIMILARITY = 85  # how close typed text must be to a choice label to count as choosing it


def _resembles(typed: str, labels: tuple[str, ...]) -> bool:
    """Whether ``typed`` is one of ``labels`` give or take a typo."""
    return max(fuzz.ratio(typed, fold(label)) for label in labels) >= LABEL_SIMILARITY


def pending_form(data: Mapping[str, Any]) -> tuple[FormField, ...]:
    """The form of the question a conversation's ``data`` is waiting on, if it had one."""
    pending = data.get("pending") or {}
    return tuple(FormField.from_json(field) for field in pending.get("form") or ())


@dataclass(frozen=True)
class Option:
    """A choice offered to the user, with the other wordings that also select it."""

    id: str
    label: str
    aliases: tuple[str, ...] = ()

    def as_choice(self) -> Choice:
        """The platform-neutral button for this option."""
        return Choice(self.id, self.label)


@dataclass
class Turn:
    """Everything a handler needs for one message, and what it answers."""

    message: IncomingMessage
    text: str
    session: AsyncSession
    person: Person
    conversation: Conversation
    kb: KnowledgeBase
    catalogue: Catalogue
    lang: str = "en"
    args: str = ""
    state: State = State.IDLE
    data: dict[str, Any] = field(default_factory=dict)
    replies: list[Reply] = field(default_factory=list)
    rejected: str | None = None  # why the last chosen() found no choice
    commands: tuple[tuple[str, str], ...] = ()  # (name, help text) of every visible command
    desk: Desk = field(default_factory=Desk)
    backends: Backends = field(default_factory=Backends)
    rails: Rails = field(default_factory=Rails)
    notes: list[tuple[str, str]] = field(default_factory=list)  # (kind, value) for metrics
    now: datetime = field(default_factory=utcnow)  # the dispatcher's clock, read once per turn
    transcript: list[dict[str, str]] = field(default_factory=list)  # see handlers.transcript
    since: datetime = field(default_factory=utcnow)  # when this request's conversation began
    kb_changed: bool = False  # articles changed: the dispatcher reloads them after the commit
    _tickets: Tickets | None = None

    def tickets(self) -> Tickets:
        """Ticket changes in this turn's transaction (what they tell others goes to the outbox)."""
        if self._tickets is None:
            self._tickets = Tickets(
                self.session, desk=self.desk, catalogue=self.catalogue, now=self.now
            )
        return self._tickets

    @property
    def queued(self) -> int:
        """How many messages this turn put in the outbox."""
        return self._tickets.queued if self._tickets is not None else 0

    def t(self, key: str, /, **params: object) -> str:
        """The catalogue text for ``key`` in the user's language."""
        return self.catalogue.text(self.lang, key, **params)

    def note(self, kind: str, value: str) -> None:
        """Record something worth counting (a decision, a ticket); reported after commit."""
        self.notes.append((kind, value))

    def say(self, key: str, /, **params: object) -> None:
        """Reply with the catalogue text for ``key``."""
        self.replies.append(Reply(self.t(key, **params)))

    def say_private(self, key: str, /, *, expires: float | None = None, **params: object) -> None:
        """Reply only in the user's private chat (codes and other secrets).

        ``expires``: seconds after which the platform should delete it, where it can.
        """
        self.replies.append(Reply(self.t(key, **params), private=True, expires_after=expires))

    def say_text(self, text: str) -> None:
        """Reply with text that is already in the user's language (e.g. an article)."""
        self.replies.append(Reply(text))

    def option(self, choice_id: str, key: str) -> Option:
        """An option labelled from the catalogue, selectable by its label in any language."""
        return Option(choice_id, self.t(key), tuple(self.catalogue.all_texts(key)))

    def ask(self, text: str, options: list[Option], *, form: tuple[FormField, ...] = ()) -> None:
        """Reply with ``text`` and ``options``, and remember them as the pending question."""
        choices = tuple(option.as_choice() for option in options)
        self.replies.append(Reply(text, choices, form=form))
        self.data["pending"] = {
            "text": text,
            "options": [[o.id, o.label, list(o.aliases)] for o in options],
        }
        if form:  # kept so an adapter can open a form too big for its button (Slack)
            self.data["pending"]["form"] = [field.as_json() for field in form]

    def clear_pending(self) -> None:
        """Forget the pending question once it has been answered."""
        self.data.pop("pending", None)

    def pending_options(self) -> list[Option]:
        """The options of the question the user is expected to answer, if any."""
        pending = self.data.get("pending") or {}
        return [
            Option(i, label, tuple(aliases)) for i, label, aliases in pending.get("options", [])
        ]

    def chosen(self) -> str | None:
        """The id of the option this message selects, or None (see :attr:`rejected`)."""
        options = self.pending_options()
        ids = [option.id for option in options]
        if self.message.choice is not None:
            if self.message.choice in ids:
                return self.message.choice
            self.rejected = "stale"
            return None
        text = self.text.strip()
        if text.isdigit() and options:
            if 1 <= int(text) <= len(options):
                return ids[int(text) - 1]
            self.rejected = "out_of_range"
            return None
        typed = fold(text)
        if typed:
            for option in options:
                if typed in {fold(word) for word in (option.id, option.label, *option.aliases)}:
                    return option.id
            for option in options:
                if _resembles(typed, (option.label, *option.aliases)):
                    return option.id
        self.rejected = "unknown" if options else None
        return None

    def reprompt(self) -> None:
        """Explain why the answer was not understood and ask the pending question again."""
        options = self.pending_options()
        key = {"stale": "choice.stale", "out_of_range": "choice.out_of_range"}.get(
            self.rejected or "", "choice.unknown"
        )
        self.say(key, count=len(options))
        pending = self.data.get("pending") or {}
        if pending:
            self.ask(pending["text"], options, form=pending_form(self.data))

    def reset(self) -> State:
        """Forget the conversation's working data; the next message starts afresh."""
        self.data = {}
        return State.IDLE
