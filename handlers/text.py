"""Make raw user text safe to process: no control characters, bounded length."""

from __future__ import annotations

import re
import unicodedata

MAX_TEXT = 4000  # characters kept from one message; longer text is cut, and the user is told

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")  # name@domain.tld: what a fact may be

_KEEP = {"\n", "\t"}
_TERMINAL_ESCAPE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")


def clean_text(text: str) -> tuple[str, bool]:
    """Strip control, surrogate and private-use characters and cut to :data:`MAX_TEXT`.

    Returns the cleaned text and whether it had to be cut.
    """
    kept = "".join(
        ch if ch in _KEEP or unicodedata.category(ch) not in {"Cc", "Cs", "Co", "Cn"} else " "
        for ch in _TERMINAL_ESCAPE.sub("", text)  # colour codes pasted from a terminal
    )
    lines = [" ".join(line.split()) for line in kept.replace("\t", " ").splitlines()]
    cleaned = "\n".join(line for line in lines if line).strip()
    if len(cleaned) > MAX_TEXT:
        return cleaned[:MAX_TEXT].rstrip(), True
    return cleaned, False


def has_words(text: str) -> bool:
    """Whether ``text`` contains at least one letter or digit (not only emoji or symbols)."""
    return any(ch.isalnum() for ch in text)


def shorten(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary to at most ``limit`` characters."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    return flat[: limit - 1].rsplit(" ", 1)[0].rstrip(",.;:") + "…"
