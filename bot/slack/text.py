"""Text to and from Slack: user text decoded to plain text, every outgoing text escaped.

Slack's message format gives ``&``, ``<`` and ``>`` a meaning (entities, mentions such as
``<!channel>``, links), so everything Garda posts goes through :func:`escape`; plain
``@channel``, ``@here`` and ``@everyone`` are defanged as well, so no text can ever notify a
whole channel. What users type arrives in that format and is decoded by :func:`plain`.
"""

from __future__ import annotations

import re

ELLIPSIS = "…"
WORD_JOINER = "\u2060"  # invisible; after an "@" it keeps a word from being a mention

_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
# "@here" as a word (not inside an address such as ana@here.com)
_BROADCAST = re.compile(r"(?<![\w.+-])@(?=(?:channel|here|everyone)\b)", re.IGNORECASE)
_MARKUP = re.compile(r"<([^<>]*)>")
_BOLD = re.compile(r"\*\*(?=\S)([^*\n]+?)(?<=\S)\*\*")


def escape(text: str) -> str:
    """``text`` as Slack shows it literally: entities escaped, broadcasts defanged."""
    escaped = "".join(_ENTITIES.get(ch, ch) for ch in text)
    return _BROADCAST.sub("@" + WORD_JOINER, escaped)


def mrkdwn(escaped: str) -> str:
    """Escaped text with Markdown's ``**bold**`` (used by articles) as Slack's ``*bold*``."""
    return _BOLD.sub(r"*\1*", escaped)


def unescape(text: str) -> str:
    """Slack's three entities back to characters (``&amp;`` last, so it is done once)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain(text: str) -> str:
    """A message as typed: ``<@U1|ana>`` → ``@ana``, ``<mailto:a@b.c|a@b.c>`` → ``a@b.c``."""
    parts: list[str] = []
    end = 0
    for match in _MARKUP.finditer(text):
        parts.append(unescape(text[end : match.start()]))
        parts.append(_markup(match.group(1)))
        end = match.end()
    parts.append(unescape(text[end:]))
    return "".join(parts)


def _markup(inner: str) -> str:
    target, _, label = inner.partition("|")
    label = unescape(label)
    if target.startswith("@"):  # a user: <@U123> or <@U123|ana>
        return "@" + (label.lstrip("@") or target[1:])
    if target.startswith("#"):  # a channel
        return "#" + (label.lstrip("#") or target[1:])
    if target.startswith("!"):  # <!here>, <!subteam^S1|@team>, <!date^…|fallback>
        return label or "@" + target[1:].split("^")[0]
    url = unescape(target)
    address = url.removeprefix("mailto:")
    if not label or label in url:  # a link Slack made of what was typed: keep the typing
        return label or address
    return f"{label} ({url})"


def fit(text: str, limit: int) -> str:
    """``text`` escaped and cut (with an ellipsis) so the result has at most ``limit`` chars."""
    escaped = escape(text)
    if len(escaped) <= limit:
        return escaped
    budget = limit - len(ELLIPSIS)
    size = end = 0
    while end < len(text):  # end: the first character that no longer fits
        size += len(_ENTITIES.get(text[end], text[end]))
        if size > budget:
            break
        end += 1
    kept = escape(text[:end].rstrip())
    while len(kept) > budget:  # a defanged "@here" near the cut grew by one character
        end -= 1
        kept = escape(text[:end].rstrip())
    return kept + ELLIPSIS


def split(escaped: str, limit: int) -> list[str]:
    """Already-escaped text in pieces of at most ``limit`` chars, cut between paragraphs,
    lines or words where possible and never inside an entity such as ``&amp;``."""
    pieces: list[str] = []
    rest = escaped.strip()
    while len(rest) > limit:
        cut = _cut_point(rest, limit)
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _cut_point(text: str, limit: int) -> int:
    for separator in ("\n\n", "\n", " "):
        at = text.rfind(separator, limit // 2, limit)
        if at > 0:
            return at
    amp = text.rfind("&", limit - len("&amp;") + 1, limit)
    return amp if amp > 0 and ";" not in text[amp:limit] else limit


def truncate(escaped: str, limit: int) -> str:
    """Already-escaped text cut to ``limit`` chars (with an ellipsis), never inside an entity."""
    if len(escaped) <= limit:
        return escaped
    return split(escaped, limit - len(ELLIPSIS))[0] + ELLIPSIS
