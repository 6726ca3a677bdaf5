"""Commands that work from any state: /help, /cancel, /lang, /start."""

from __future__ import annotations

from handlers import outcomes
from handlers.errors import UserFacingError
from handlers.router import Routes
from handlers.states import State
from handlers.turn import Turn
from models.tables import RequestOutcome

routes = Routes()


@routes.command("start")
async def start(turn: Turn) -> State:
    """/start — say hello and describe a problem."""
    turn.say("intake.greeting", name=turn.person.display_name)
    await outcomes.finish(turn, RequestOutcome.DROPPED)  # a request under way is given up
    turn.data = {}
    return State.DESCRIBE


@routes.command("help")
async def show_help(turn: Turn) -> State | None:
    """/help — what I can do and the commands you can use."""
    lines = []
    for name, docstring in turn.commands:
        key = f"help.{name}"  # a translation of the docstring, where the language has one
        lines.append("  " + (turn.t(key) if turn.catalogue.has(turn.lang, key) else docstring))
    text = turn.t("help.intro") + "\n" + "\n".join(lines)
    if turn.desk.tier_of(turn.message.user_key) > 0:  # agents also get the desk's commands
        text += "\n\n" + turn.t("agent.help")
    turn.say_text(text)
    return None


@routes.command("cancel")
async def cancel(turn: Turn) -> State:
    """/cancel — stop what we are doing; nothing more is submitted."""
    turn.say("cancel.done" if turn.state is not State.IDLE else "cancel.nothing")
    await outcomes.finish(turn, RequestOutcome.DROPPED)
    return turn.reset()


@routes.command("lang")
async def set_language(turn: Turn) -> State | None:
    """/lang en|id — choose the language I answer in."""
    choice = turn.args.strip().casefold()
    languages = turn.catalogue.languages
    if not choice:
        turn.say("lang.current", lang=turn.lang, options=" | ".join(languages))
        return None
    if choice not in languages:
        raise UserFacingError("lang.unknown", lang=choice[:20], options=" | ".join(languages))
    turn.person.lang = choice
    turn.session.add(turn.person)
    turn.lang = choice
    turn.say("lang.set")
    pending = turn.data.get("pending")
    if pending:  # repeat the open question so the conversation can go on
        turn.ask(pending["text"], turn.pending_options())
    return None
