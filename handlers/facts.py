"""Before a ticket: collect the facts the article lists, then impact and urgency."""

from __future__ import annotations

import ipaddress
import re

from handlers.messages import FormField
from handlers.priority import LEVELS
from handlers.router import Routes
from handlers.states import State
from handlers.text import EMAIL, shorten
from handlers.tickets import open_ticket
from handlers.turn import Turn

routes = Routes()

SKIP = "skip"
MAX_FACT = 500
_PHONE = re.compile(r"^\+?[0-9][0-9 ().-]{5,24}$")


def start_escalation(turn: Turn, *, article_id: str | None) -> State:
    """Begin collecting what the ticket needs: the article's facts, then impact and urgency."""
    turn.data["article"] = article_id
    doc = turn.kb.article(article_id, turn.lang) if article_id else None
    facts: dict[str, str] = dict(turn.data.get("facts") or {})
    if turn.person.email and doc is not None and "email" in doc.needs:
        facts.setdefault("email", turn.person.email)  # known already: do not ask again
    turn.data["facts"] = facts
    turn.data["missing"] = [need for need in (doc.needs if doc else ()) if need not in facts]
    return ask_next_fact(turn)


def ask_next_fact(turn: Turn) -> State:
    """Ask for the next missing fact, or move on to impact."""
    missing: list[str] = turn.data.get("missing") or []
    if not missing:
        turn.ask(
            turn.t("facts.impact"),
            [turn.option(f"impact:{level}", f"choice.impact.{level}") for level in LEVELS],
        )
        return State.IMPACT
    # Platforms with dialogs (Slack) can offer every missing fact as one form instead.
    form = tuple(
        FormField(name, turn.t(f"fact.{name}.label"), turn.t(f"fact.{name}.ask"))
        for name in missing
    )
    turn.ask(turn.t(f"fact.{missing[0]}.ask"), [turn.option(SKIP, "choice.skip")], form=form)
    return State.FACTS


@routes.state(State.FACTS)
async def collect_fact(turn: Turn) -> State | None:
    """Store the answer to the fact just asked (checked where a format is known)."""
    missing: list[str] = turn.data.get("missing") or []
    if not missing:
        return ask_next_fact(turn)
    if turn.message.fields:
        return collect_form(turn, missing)
    name = missing[0]
    chosen = turn.chosen()
    if chosen is None and turn.rejected == "stale":
        turn.reprompt()
        return None
    if chosen == SKIP:
        turn.say("facts.skipped")
    else:
        value = check_fact(name, turn.text)
        if value is None:
            turn.say(f"fact.{name}.invalid" if turn.text else "facts.empty")
            turn.ask(turn.data["pending"]["text"], turn.pending_options())
            return None
        turn.data["facts"][name] = value
    turn.clear_pending()
    turn.data["missing"] = missing[1:]
    return ask_next_fact(turn)


def collect_form(turn: Turn, missing: list[str]) -> State:
    """A submitted form: keep every valid answer, ask again only for the rest."""
    fields = turn.message.fields
    still_missing = []
    for name in missing:
        value = check_fact(name, fields.get(name, ""))
        if value is None:
            if fields.get(name, "").strip():
                turn.say(f"fact.{name}.invalid")
            still_missing.append(name)
        else:
            turn.data["facts"][name] = value
    turn.clear_pending()
    turn.data["missing"] = still_missing
    return ask_next_fact(turn)


def check_fact(name: str, text: str) -> str | None:
    """The fact in a normal form, or None when it cannot be right."""
    value = " ".join(text.split())
    if not value:
        return None
    if name == "email":
        return value.casefold() if EMAIL.match(value) else None
    if name == "ip_address":
        try:
            return str(ipaddress.ip_address(value))
        except ValueError:
            return None
    if name == "phone_number":
        return value if _PHONE.match(value) else None
    return shorten(text.strip(), MAX_FACT)


def chosen_level(turn: Turn, scale: str) -> str | None:
    """``low``, ``medium`` or ``high`` picked on ``scale``; else the question is asked again."""
    chosen = turn.chosen()
    if chosen is None or not chosen.startswith(f"{scale}:"):
        turn.reprompt()
        return None
    turn.clear_pending()
    return chosen.removeprefix(f"{scale}:")


@routes.state(State.IMPACT)
async def ask_impact(turn: Turn) -> State | None:
    """Who is affected: just the requester, a team, or everyone."""
    impact = chosen_level(turn, "impact")
    if impact is None:
        return None
    turn.data["impact"] = impact
    turn.ask(
        turn.t("facts.urgency"),
        [turn.option(f"urgency:{level}", f"choice.urgency.{level}") for level in LEVELS],
    )
    return State.URGENCY


@routes.state(State.URGENCY)
async def ask_urgency(turn: Turn) -> State | None:
    """How soon it must be fixed; then the ticket is opened."""
    urgency = chosen_level(turn, "urgency")
    if urgency is None:
        return None
    await open_ticket(turn, impact=turn.data["impact"], urgency=urgency)
    return turn.reset()
