"""``/link``: one person on several platforms, with one ticket history.

On one account ``/link`` gives a one-time code (in the private chat only); sending
``/link CODE`` from the other account joins the two. Codes expire, work once, and guesses are
limited.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from handlers.errors import UserFacingError
from handlers.router import Routes
from handlers.states import State
from handlers.turn import Turn
from models.queries import merge_people, redeem_link_code, save_link_code
from models.tables import Person, utcnow

routes = Routes()

CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I/L to misread
CODE_LENGTH = 8
CODE_LIFETIME = timedelta(minutes=10)
MAX_FAILURES = 5  # wrong codes allowed per account within FAILURE_WINDOW
FAILURE_WINDOW = timedelta(hours=1)


def new_code() -> str:
    """A random code, shown as two groups of four: ``K7QM-3XPA``."""
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:4]}-{raw[4:]}"


def code_hash(code: str) -> str:
    """How a code is stored: hashed, after forgiving case, spaces and dashes."""
    normal = "".join(ch for ch in code.upper() if ch.isalnum())
    return hashlib.sha256(normal.encode()).hexdigest()


@routes.command("link")
async def link(turn: Turn) -> State | None:
    """/link — use Garda from Slack and Telegram as one person, with one ticket history."""
    assert turn.person.id is not None
    if not turn.args.strip():
        code = new_code()
        expires = utcnow() + CODE_LIFETIME
        await save_link_code(
            turn.session, person_id=turn.person.id, code_hash=code_hash(code), expires_at=expires
        )
        turn.say_private("link.code", code=code, minutes=int(CODE_LIFETIME.total_seconds() // 60))
        return None
    now = utcnow()
    failures = _recent_failures(turn, now)
    if len(failures) >= MAX_FAILURES:
        raise UserFacingError("link.too_many")
    owner_id = await redeem_link_code(turn.session, code_hash=code_hash(turn.args), now=now)
    if owner_id is None:
        turn.data["link_failures"] = [*failures, now.isoformat()]  # kept: not an error raised
        turn.say("link.invalid")
        return None
    if owner_id == turn.person.id:
        raise UserFacingError("link.same")
    owner = await turn.session.get(Person, owner_id)
    assert owner is not None
    await merge_people(turn.session, source=turn.person, target=owner)
    turn.person = owner
    turn.data.pop("link_failures", None)
    turn.say("link.done", name=owner.display_name)
    return None


def _recent_failures(turn: Turn, now: datetime) -> list[str]:
    since = now - FAILURE_WINDOW
    return [
        stamp
        for stamp in turn.data.get("link_failures") or []
        if datetime.fromisoformat(stamp) > since
    ]
