"""The conversation as a ticket carries it: what the requester and Garda said, secrets left out.

Kept on the conversation while Level I works on a request, copied onto the ticket when one
opens, and dropped when the conversation ends. Codes, passwords and private replies (which
carry secrets) never enter it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from handlers.messages import Reply
from handlers.rails import looks_like_password
from handlers.states import State
from handlers.text import shorten

KEY = "transcript"
MAX_LINES = 60  # the newest lines are kept
MAX_CHARS = 500  # per line
REDACTED = "[…]"


def resume(
    data: dict[str, Any], state: State, now: datetime
) -> tuple[list[dict[str, str]], datetime]:
    """The transcript so far and when it began; a conversation at rest starts a new one."""
    saved = data.get(KEY) if state is not State.IDLE else None
    if not saved:
        return [], now
    return list(saved.get("lines") or []), datetime.fromisoformat(saved["since"])


def heard(lines: list[dict[str, str]], *, text: str, name: str, state: State) -> None:
    """Add what the requester said (a code they were asked for is never kept)."""
    if state is State.VERIFY_CODE:
        text = REDACTED
    lines.append({"who": "requester", "name": name, "text": redact(text)})


def said(lines: list[dict[str, str]], replies: list[Reply]) -> None:
    """Add what Garda answered the requester (not private replies, nor other chats')."""
    for reply in replies:
        if reply.to is None and not reply.private and reply.text:
            lines.append({"who": "garda", "text": shorten(reply.text, MAX_CHARS)})


def keep(data: dict[str, Any], lines: list[dict[str, str]], since: datetime, state: State) -> None:
    """Save the transcript with the conversation while it goes on; drop it once it ends."""
    if state is State.IDLE or not lines:
        data.pop(KEY, None)
    else:
        data[KEY] = {"since": since.isoformat(), "lines": lines[-MAX_LINES:]}


def redact(text: str) -> str:
    """``text`` on one line, short, with every password-like word replaced."""
    words = [REDACTED if looks_like_password(word) else word for word in text.split()]
    return shorten(" ".join(words), MAX_CHARS)
