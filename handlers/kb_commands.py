"""The ``/kb`` subcommands: each module declares its own, ``handlers.kb_admin`` composes them."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field

from handlers.router import Handler


@dataclass(frozen=True)
class KbCommand:
    """``/kb name ...``; the first docstring line of its handler is its help line."""

    name: str
    handler: Handler
    help: str
    edits: bool  # changes the knowledge base: only KB editors may use it


@dataclass
class KbCommands:
    """The ``/kb`` subcommands one module declares."""

    commands: dict[str, KbCommand] = field(default_factory=dict)

    def command(self, name: str, *, edits: bool) -> Callable[[Handler], Handler]:
        """Register ``/kb name``; registering a name twice fails at import."""

        def register(handler: Handler) -> Handler:
            if name in self.commands:
                raise ValueError(f"/kb {name} is registered twice")
            doc = inspect.getdoc(handler)
            if not doc:
                raise ValueError(f"/kb {name} needs a docstring: it is its help line")
            self.commands[name] = KbCommand(name, handler, doc.splitlines()[0], edits)
            return handler

        return register

    @classmethod
    def compose(cls, *parts: KbCommands) -> KbCommands:
        """Every part's subcommands in one table (a name in two parts fails here)."""
        composed = cls()
        for part in parts:
            for name, command in part.commands.items():
                if name in composed.commands:
                    raise ValueError(f"/kb {name} is registered twice")
                composed.commands[name] = command
        return composed
