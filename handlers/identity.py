"""Proving who someone is before an action touches an account.

Slack gives Garda the profile's verified email. Telegram and console users prove theirs with
a one-time code mailed to that address: it expires, works once, and allows a few tries.
The reply never says whether an address is in the directory.
"""

from __future__ import annotations

import hashlib
import secrets

from handlers.actions import CANCEL, Outcome, cancelled, prepare, record_outcome
from handlers.backends import BackendError
from handlers.facts import check_fact, start_escalation
from handlers.router import Routes
from handlers.states import State
from handlers.turn import Turn
from models.tables import EmailCode, utcnow

routes = Routes()

CODE_DIGITS = 6


def ask_email(turn: Turn) -> State:
    """Ask for the work email to send a code to."""
    turn.ask(turn.t("verify.ask_email"), [turn.option(CANCEL, "choice.cancel")])
    return State.VERIFY_EMAIL


def _hash(person_id: int, code: str) -> str:
    return hashlib.sha256(f"{person_id}:{code}".encode()).hexdigest()


@routes.state(State.VERIFY_EMAIL)
async def receive_email(turn: Turn) -> State | None:
    """Mail a code to the address, if the directory knows it (the reply is the same if not)."""
    if turn.chosen() == CANCEL:
        return await cancelled(turn)
    email = check_fact("email", turn.text)
    if email is None:
        turn.say("fact.email.invalid")
        turn.ask(turn.data["pending"]["text"], turn.pending_options())
        return None
    turn.clear_pending()
    mailer = turn.backends.mailer
    if mailer is None:
        turn.say("verify.no_mail")
        return start_escalation(turn, article_id=turn.data.get("article"))
    assert turn.person.id is not None
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    existing = await turn.session.get(EmailCode, turn.person.id)
    if existing is not None:
        await turn.session.delete(existing)
        await turn.session.flush()
    turn.session.add(
        EmailCode(
            person_id=turn.person.id,
            email=email,
            code_hash=_hash(turn.person.id, code),
            expires_at=utcnow() + turn.rails.code_lifetime,
        )
    )
    minutes = int(turn.rails.code_lifetime.total_seconds() // 60)
    try:
        if await _known(turn, email):
            await mailer.send(
                to=email,
                subject=turn.t("verify.mail.subject"),
                body=turn.t("verify.mail.body", code=code, minutes=minutes),
            )
    except BackendError as error:
        await record_outcome(turn, "verify_email", Outcome.FAILED, {"error": str(error)})
        turn.say("verify.mail_failed")
        return start_escalation(turn, article_id=turn.data.get("article"))
    turn.ask(
        turn.t("verify.sent", email=email, minutes=minutes), [turn.option(CANCEL, "choice.cancel")]
    )
    return State.VERIFY_CODE


async def _known(turn: Turn, email: str) -> bool:
    """Whether the backend the action uses has this address."""
    backends = turn.backends
    if turn.data["action"]["name"] == "subscription_update" and backends.subscriptions:
        return await backends.subscriptions.find_for(email) is not None
    if backends.directory is not None:
        return await backends.directory.find_by_email(email) is not None
    return False


@routes.state(State.VERIFY_CODE)
async def receive_code(turn: Turn) -> State | None:
    """Check the code; right: the email is now this person's, and the action goes on."""
    if turn.chosen() == CANCEL:
        return await cancelled(turn)
    assert turn.person.id is not None
    pending = await turn.session.get(EmailCode, turn.person.id)
    if pending is None:  # used already, or never sent
        turn.say("verify.no_code")
        return ask_email(turn)
    if pending.expires_at < utcnow():
        await turn.session.delete(pending)
        turn.say("verify.expired")
        return ask_email(turn)
    typed = "".join(ch for ch in turn.text if ch.isdigit())
    if not secrets.compare_digest(_hash(turn.person.id, typed), pending.code_hash):
        pending.attempts += 1
        left = turn.rails.code_attempts - pending.attempts
        if left <= 0:
            await turn.session.delete(pending)
            await record_outcome(turn, "verify_email", Outcome.REFUSED, {"why": "too_many_codes"})
            turn.say("verify.too_many")
            return start_escalation(turn, article_id=turn.data.get("article"))
        turn.session.add(pending)
        turn.say("verify.wrong", left=left)
        return None
    turn.person.email = pending.email
    turn.session.add(turn.person)
    await turn.session.delete(pending)
    await record_outcome(turn, "verify_email", Outcome.DONE, {})
    turn.clear_pending()
    turn.say("verify.done", email=pending.email)
    return await prepare(turn)
