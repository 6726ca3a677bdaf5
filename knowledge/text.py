"""Text normalisation shared by matching, language detection and small-talk recognition."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^0-9a-z]+")


def fold(text: str) -> str:
    """Lowercase, strip accents, and turn everything that is not a letter or digit into spaces."""
    lowered = text.casefold()
    if not lowered.isascii():  # most text is ASCII: skip the slow path for it
        decomposed = unicodedata.normalize("NFKD", lowered)
        lowered = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", lowered).strip()


def words(text: str) -> list[str]:
    """The folded words of ``text``."""
    return fold(text).split()
