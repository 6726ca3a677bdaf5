"""``/kb``: the knowledge base kept from chat, by admins and (if configured) L2/L3 agents.

Support staff may read (search, show, history, test, gaps); only KB editors change articles.
The subcommands live in :mod:`handlers.kb_edit` and :mod:`handlers.kb_quality`.
"""

from __future__ import annotations

from handlers import kb_edit, kb_quality
from handlers.errors import UserFacingError
from handlers.kb_commands import KbCommands
from handlers.router import Routes
from handlers.states import State
from handlers.turn import Turn

routes = Routes()
SUBCOMMANDS = KbCommands.compose(kb_edit.commands, kb_quality.commands)


def may_read(turn: Turn) -> bool:
    """Support staff (any tier) and KB editors may look at the knowledge base's workings."""
    user = turn.message.user_key
    return turn.desk.tier_of(user) > 0 or turn.desk.can_edit_kb(user)


@routes.command("kb", hidden=True)
async def kb(turn: Turn) -> State | None:
    """/kb search|show|new|edit|disable|history|revert|test|gaps — keep the knowledge base."""
    if not may_read(turn):
        raise UserFacingError("kb.not_allowed")
    name, _, rest = turn.args.strip().partition(" ")
    command = SUBCOMMANDS.commands.get(name.casefold())
    if command is None:
        editor = turn.desk.can_edit_kb(turn.message.user_key)
        lines = [
            "  " + _help_line(turn, sub.name, sub.help)
            for sub in SUBCOMMANDS.commands.values()
            if editor or not sub.edits
        ]
        turn.say_text(turn.t("kb.help") + "\n" + "\n".join(lines))
        return None
    if command.edits and not turn.desk.can_edit_kb(turn.message.user_key):
        raise UserFacingError("kb.edit_not_allowed")
    turn.args = rest.strip()
    return await command.handler(turn)


def _help_line(turn: Turn, name: str, docstring: str) -> str:
    """The subcommand's help in the user's language (``help.kb.NAME``), else its docstring."""
    key = f"help.kb.{name}"
    return turn.t(key) if turn.catalogue.has(turn.lang, key) else docstring
