"""Declarative routing: commands and conversation states to the handlers that answer them."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from handlers.states import State
from handlers.turn import Turn

Handler = Callable[[Turn], Awaitable[State | None]]


@dataclass(frozen=True)
class Command:
    """A slash command; the first docstring line of its handler is its /help text."""

    name: str
    handler: Handler
    help: str
    hidden: bool = False


@dataclass
class Routes:
    """The commands and state handlers one module declares."""

    commands: dict[str, Command] = field(default_factory=dict)
    states: dict[State, Handler] = field(default_factory=dict)
    choices: dict[str, Handler] = field(default_factory=dict)  # choice id prefix -> handler
    channel: Handler | None = None  # messages in a support channel that are not commands

    def command(self, name: str, *, hidden: bool = False) -> Callable[[Handler], Handler]:
        """Register ``/name``; registering a name twice fails at import."""

        def register(handler: Handler) -> Handler:
            if name in self.commands:
                raise ValueError(f"command /{name} is registered twice")
            doc = inspect.getdoc(handler) or ""
            if not doc and not hidden:
                raise ValueError(f"command /{name} needs a docstring: it is its /help text")
            self.commands[name] = Command(name, handler, doc.splitlines()[0] if doc else "", hidden)
            return handler

        return register

    def choice(self, prefix: str) -> Callable[[Handler], Handler]:
        """Register the handler of buttons whose ids start with ``prefix``, pressed whatever
        the presser's conversation is doing (a ticket's buttons)."""

        def register(handler: Handler) -> Handler:
            self.choices[prefix] = handler
            return handler

        return register

    def in_channel(self, handler: Handler) -> Handler:
        """Register the handler of what is written in a support channel."""
        self.channel = handler
        return handler

    def state(self, *states: State) -> Callable[[Handler], Handler]:
        """Register the handler for messages arriving while a conversation is in ``states``."""

        def register(handler: Handler) -> Handler:
            for state in states:
                if state in self.states:
                    raise ValueError(f"state {state} has two handlers")
                self.states[state] = handler
            return handler

        return register


class Router:
    """All routes composed; sends each turn to its command or state handler."""

    def __init__(self, *parts: Routes) -> None:
        self.commands: dict[str, Command] = {}
        self.states: dict[State, Handler] = {}
        self.choices: dict[str, Handler] = {}
        self.channel: Handler | None = None
        for part in parts:
            self.choices.update(part.choices)
            self.channel = part.channel or self.channel
            for name, command in part.commands.items():
                if name in self.commands:
                    raise ValueError(f"command /{name} is registered twice")
                self.commands[name] = command
            for state, handler in part.states.items():
                if state in self.states:
                    raise ValueError(f"state {state} has two handlers")
                self.states[state] = handler
        missing = set(State) - set(self.states)
        if missing:
            raise ValueError(f"no handler for states: {sorted(missing)}")

    async def dispatch(self, turn: Turn, *, in_channel: bool = False) -> None:
        """Run the handler for this turn and move the conversation to the state it returns.

        ``in_channel``: the message was written in a support channel, where only commands
        and the channel handler (replies on tickets) apply.
        """
        choice = turn.message.choice
        command = parse_command(turn.text) if choice is None else None
        handler = self._special(choice, in_channel=in_channel and command is None)
        if handler is not None:
            next_state = await handler(turn)
        elif choice is not None and not turn.pending_options():
            turn.say("choice.expired")  # a button from a conversation that is over
            return
        elif command is not None:
            name, turn.args = command
            found = self.commands.get(name)
            if found is None:
                turn.say("command.unknown", name=name)
                return
            next_state = await found.handler(turn)
        else:
            next_state = await self.states[turn.state](turn)
        if next_state is not None:
            turn.state = next_state

    def _special(self, choice: str | None, *, in_channel: bool) -> Handler | None:
        """The handler of a ticket button or of a support channel's message, if it is one."""
        if choice is not None:
            for prefix, handler in self.choices.items():
                if choice.startswith(prefix):
                    return handler
        if in_channel and self.channel is not None:
            return self.channel
        return None


def parse_command(text: str) -> tuple[str, str] | None:
    """``("ticket", "12")`` for ``/ticket 12``; Telegram's ``/cmd@botname`` form included."""
    if not text.startswith("/") or len(text) < 2 or not text[1].isalpha():
        return None
    head, _, args = text[1:].partition(" ")
    return head.split("@", 1)[0].casefold(), args.strip()
