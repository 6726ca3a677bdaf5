"""Self-service fixes: username reminder, password reset, account unlock, IP unblock and
subscription contact update.

Every action goes the same way: limits checked, identity proven (the requester's own account
only), what it needs asked for, what it will do shown and confirmed, then run with a time
limit and recorded in the audit log whatever happens. A backend that fails opens a Level 2
ticket with the attempt on it, so nothing is left half-done without a record.
"""

from __future__ import annotations

import asyncio
import enum
import secrets
import string
from dataclasses import dataclass

from handlers import outcomes
from handlers.backends import CONTACT_FIELDS, Account, BackendError
from handlers.errors import UserFacingError
from handlers.facts import check_fact, start_escalation
from handlers.rails import unblockable
from handlers.router import Routes
from handlers.states import State
from handlers.tickets import open_ticket
from handlers.turn import Option, Turn
from models.queries import attempts_since, record_attempt
from models.tables import RequestOutcome, utcnow

routes = Routes()

ACTION_PREFIX = "action:"
YES, NO, CANCEL = "yes", "no", "cancel"
PASSWORD_LENGTH = 16


class Outcome(enum.StrEnum):
    """How an attempt ended, as the audit log records it."""

    DONE = "done"
    NOTHING = "nothing"  # nothing to do: not locked, not banned
    NOT_FOUND = "not_found"
    REFUSED = "refused"  # a rail said no: a range, a private address, a protected one
    LIMITED = "limited"
    CANCELLED = "cancelled"
    FAILED = "failed"  # the backend was down, timed out or refused


@dataclass(frozen=True)
class Spec:
    """What an action acts on, and whether the requester must prove who they are."""

    backend: str  # the Backends field it needs
    own_account: bool


SPECS = {
    "username_reminder": Spec("directory", own_account=True),
    "password_reset": Spec("directory", own_account=True),
    "account_unlock": Spec("directory", own_account=True),
    "ip_unblock": Spec("firewall", own_account=False),
    "subscription_update": Spec("subscriptions", own_account=True),
}


def available(turn: Turn, name: str) -> bool:
    """Whether this Garda has the backend ``name`` needs."""
    spec = SPECS.get(name)
    return spec is not None and getattr(turn.backends, spec.backend) is not None


def offer(turn: Turn, action: str | None) -> list[Option]:
    """The "do it for me" choice for an article's action, where it can run."""
    if action is None or not available(turn, action):
        return []
    return [turn.option(ACTION_PREFIX + action, f"choice.action.{action}")]


async def begin(turn: Turn, name: str, *, target: str | None = None) -> State:
    """Start ``name`` for the requester (or, for an agent, for ``target``)."""
    turn.clear_pending()
    limit = turn.rails.limits.get(name)
    actor = turn.message.user_key
    now = utcnow()
    counted = [Outcome.DONE, Outcome.NOTHING, Outcome.NOT_FOUND, Outcome.FAILED]
    if limit is not None:
        recent = await attempts_since(
            turn.session, actor=actor, action=name, since=now - limit.window, outcomes=counted
        )
        cooling = bool(recent) and now - recent[0].created_at < turn.rails.cooldown
        if len(recent) >= limit.count or cooling:
            await record_outcome(turn, name, Outcome.LIMITED, {"recent": len(recent)})
            turn.say("action.limited" if not cooling else "action.cooldown")
            return start_escalation(turn, article_id=turn.data.get("article"))
    turn.data["action"] = {"name": name, "for": target}
    if SPECS[name].own_account and target is None and not turn.person.email:
        from handlers.identity import ask_email  # identity continues into prepare()

        return ask_email(turn)
    return await prepare(turn)


async def prepare(turn: Turn) -> State:
    """Ask for what the action still needs, then show what it will do."""
    action = turn.data["action"]
    name = action["name"]
    if name == "ip_unblock" and not action.get("ip"):
        known = (turn.data.get("facts") or {}).get("ip_address")
        if known is None:
            turn.ask(turn.t("action.ip_unblock.ask"), [turn.option(CANCEL, "choice.cancel")])
            return State.ACTION_INPUT
        action["ip"] = known
    if name == "subscription_update":
        if not action.get("field"):
            options = [turn.option(f, f"action.field.{f}") for f in CONTACT_FIELDS]
            turn.ask(
                turn.t("action.subscription.which"),
                [*options, turn.option(CANCEL, "choice.cancel")],
            )
            return State.ACTION_INPUT
        if not action.get("value"):
            turn.ask(
                turn.t(f"action.subscription.ask.{action['field']}"),
                [turn.option(CANCEL, "choice.cancel")],
            )
            return State.ACTION_INPUT
    return await _confirm(turn)


@routes.state(State.ACTION_INPUT)
async def action_input(turn: Turn) -> State | None:
    """The address to unblock, or the contact field and its new value."""
    action = turn.data["action"]
    chosen = turn.chosen()
    if chosen == CANCEL:
        return await cancelled(turn)
    if action["name"] == "ip_unblock":
        address, why = unblockable(turn.text, turn.rails.protected)
        if address is None:
            await record_outcome(turn, "ip_unblock", Outcome.REFUSED, {"why": why})
            turn.say(f"action.ip_unblock.{why}")
            turn.ask(turn.data["pending"]["text"], turn.pending_options())
            return None
        action["ip"] = address
    elif not action.get("field"):
        if chosen not in CONTACT_FIELDS:
            turn.reprompt()
            return None
        action["field"] = chosen
    else:
        kind = "email" if action["field"].endswith("email") else "phone_number"
        value = check_fact(kind, turn.text)
        if value is None:
            turn.say(f"fact.{kind}.invalid")
            turn.ask(turn.data["pending"]["text"], turn.pending_options())
            return None
        action["value"] = value
    turn.clear_pending()
    return await prepare(turn)


async def _confirm(turn: Turn) -> State:
    """Say exactly what will happen, and ask."""
    action = turn.data["action"]
    name = action["name"]
    if name == "ip_unblock":
        address, why = unblockable(action["ip"], turn.rails.protected)
        if address is None:
            await record_outcome(turn, name, Outcome.REFUSED, {"why": why})
            turn.say(f"action.ip_unblock.{why}")
            await outcomes.finish(turn, RequestOutcome.DROPPED)
            return turn.reset()
        what = turn.t("action.ip_unblock.confirm", address=address)
    elif name == "subscription_update":
        field = turn.t(f"action.field.{action['field']}")
        what = turn.t("action.subscription.confirm", field=field, value=action["value"])
    else:
        what = turn.t(f"action.{name}.confirm", email=_subject(turn))
    turn.ask(what, [turn.option(YES, "choice.yes"), turn.option(NO, "choice.no")])
    return State.ACTION_CONFIRM


@routes.state(State.ACTION_CONFIRM)
async def confirm_action(turn: Turn) -> State | None:
    """Yes runs the action; no changes nothing."""
    chosen = turn.chosen()
    if chosen is None:
        turn.reprompt()
        return None
    turn.clear_pending()
    if chosen != YES:
        return await cancelled(turn)
    return await _run(turn)


async def _run(turn: Turn) -> State:
    name = turn.data["action"]["name"]
    backend = getattr(turn.backends, SPECS[name].backend)
    try:
        async with asyncio.timeout(turn.rails.timeout):
            outcome, detail = await RUNNERS[name](turn)
    except (BackendError, TimeoutError) as error:
        summary = str(error) if isinstance(error, BackendError) else "no answer in time"
        await record_outcome(turn, name, Outcome.FAILED, {"error": summary}, backend=backend.name)
        turn.say("action.failed")
        return await _ticket_for_failure(turn, name, summary)
    await record_outcome(turn, name, outcome, detail, backend=backend.name)
    if outcome is Outcome.NOT_FOUND:
        turn.say("action.not_found", email=_subject(turn))
        return start_escalation(turn, article_id=turn.data.get("article"))
    fixed = outcome is Outcome.DONE  # else NOTHING: not locked, not banned; nothing changed
    await outcomes.finish(turn, RequestOutcome.FIXED if fixed else RequestOutcome.DROPPED)
    return turn.reset()


def _subject(turn: Turn) -> str:
    """Whose account: the agent's target, else the requester's verified email."""
    return str(turn.data["action"].get("for") or turn.person.email or "")


async def _account(turn: Turn) -> Account | None:
    directory = turn.backends.directory
    assert directory is not None
    return await directory.find_by_email(_subject(turn))


async def _username_reminder(turn: Turn) -> tuple[Outcome, dict[str, object]]:
    account = await _account(turn)
    if account is None:
        return Outcome.NOT_FOUND, {}
    turn.say_private("action.username_reminder.done", username=account.username)
    return Outcome.DONE, {"account": account.username}


async def _password_reset(turn: Turn) -> tuple[Outcome, dict[str, object]]:
    directory = turn.backends.directory
    account = await _account(turn)
    if directory is None or account is None:
        return Outcome.NOT_FOUND, {}
    temporary = new_password()
    await directory.reset_password(account, temporary)
    minutes = int(turn.rails.secret_lifetime.total_seconds() // 60)
    turn.say_private(
        "action.password_reset.done",
        password=temporary,
        minutes=minutes,
        expires=turn.rails.secret_lifetime.total_seconds(),
    )
    return Outcome.DONE, {"account": account.username, "must_change": True}


async def _account_unlock(turn: Turn) -> tuple[Outcome, dict[str, object]]:
    directory = turn.backends.directory
    account = await _account(turn)
    if directory is None or account is None:
        return Outcome.NOT_FOUND, {}
    if not await directory.unlock(account):
        turn.say("action.account_unlock.not_locked")
        return Outcome.NOTHING, {"account": account.username}
    turn.say("action.account_unlock.done", username=account.username)
    return Outcome.DONE, {"account": account.username}


async def _ip_unblock(turn: Turn) -> tuple[Outcome, dict[str, object]]:
    firewall = turn.backends.firewall
    assert firewall is not None
    address = turn.data["action"]["ip"]
    jails = await firewall.banned_in(address)
    if not jails:
        turn.say("action.ip_unblock.not_banned", address=address)
        return Outcome.NOTHING, {"address": address}
    await firewall.unban(address, jails)
    turn.say("action.ip_unblock.done", address=address)
    return Outcome.DONE, {"address": address, "jails": jails}


async def _subscription_update(turn: Turn) -> tuple[Outcome, dict[str, object]]:
    store = turn.backends.subscriptions
    assert store is not None
    owner = _subject(turn)
    subscription = await store.find_for(owner)
    if subscription is None or subscription.owner_email.casefold() != owner.casefold():
        return Outcome.NOT_FOUND, {}
    action = turn.data["action"]
    await store.update_contact(subscription, action["field"], action["value"])
    field = turn.t(f"action.field.{action['field']}")
    turn.say("action.subscription.done", field=field, value=action["value"])
    return Outcome.DONE, {"subscription": subscription.ref, "field": action["field"]}


RUNNERS = {
    "username_reminder": _username_reminder,
    "password_reset": _password_reset,
    "account_unlock": _account_unlock,
    "ip_unblock": _ip_unblock,
    "subscription_update": _subscription_update,
}


def new_password() -> str:
    """A strong temporary password: letters, digits and a symbol, no look-alikes."""
    letters = "".join(ch for ch in string.ascii_letters if ch not in "lIO")
    digits = "23456789"
    symbols = "!#%+-=?@"
    chosen = [secrets.choice(letters.lower()), secrets.choice(letters.upper())]
    chosen += [secrets.choice(digits), secrets.choice(symbols)]
    everything = letters + digits + symbols
    chosen += [secrets.choice(everything) for _ in range(PASSWORD_LENGTH - len(chosen))]
    secrets.SystemRandom().shuffle(chosen)
    return "".join(chosen)


async def cancelled(turn: Turn) -> State:
    """The user said no or cancel: record it; nothing changed."""
    name = turn.data["action"]["name"]
    await record_outcome(turn, name, Outcome.CANCELLED, {})
    turn.say("action.cancelled")
    await outcomes.finish(turn, RequestOutcome.DROPPED)
    return turn.reset()


async def record_outcome(
    turn: Turn, name: str, outcome: Outcome, detail: dict[str, object], *, backend: str = ""
) -> None:
    """Write the attempt to the audit log (``detail`` holds no secret) and count it."""
    action = turn.data.get("action") or {}
    subject = action.get("ip") or action.get("for") or turn.person.email or ""
    await record_attempt(
        turn.session,
        actor=turn.message.user_key,
        subject=str(subject),
        action=name,
        outcome=outcome.value,
        backend=backend,
        detail=detail,
    )
    turn.note("action", f"{name}:{outcome.value}")
    turn.data.setdefault("attempts", []).append({"action": name, "outcome": outcome.value})


async def _ticket_for_failure(turn: Turn, name: str, summary: str) -> State:
    """A backend failed: Level 2 gets a ticket with the attempt; the user is told its number."""
    facts = dict(turn.data.get("facts") or {})
    facts["self_service"] = f"{name}: {summary}"
    turn.data["facts"] = facts
    turn.data.setdefault("problem", []).append(turn.t(f"action.{name}.title"))
    await open_ticket(turn, impact="low", urgency="high")
    return turn.reset()


@routes.command("act", hidden=True)
async def act_for(turn: Turn) -> State | None:
    """/act ACTION EMAIL|ADDRESS — (Level 2 and 3 agents) run a self-service fix for someone."""
    if turn.desk.tier_of(turn.message.user_key) < 2:
        raise UserFacingError("act.not_allowed")
    name, _, target = turn.args.strip().partition(" ")
    target = target.strip()
    if name not in SPECS or not target:
        raise UserFacingError("act.usage", actions=", ".join(SPECS))
    turn.data = {}
    if name == "ip_unblock":
        turn.data["facts"] = {"ip_address": target}
        return await begin(turn, name)
    email = check_fact("email", target)
    if email is None:
        raise UserFacingError("act.usage", actions=", ".join(SPECS))
    return await begin(turn, name, target=email)
