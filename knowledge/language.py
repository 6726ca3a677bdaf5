"""Guess whether a message is English or Bahasa Indonesia from its common words."""

from __future__ import annotations

from knowledge.text import word_lists, words


def detect_language(text: str, *, min_words: int = 1) -> str | None:
    """``"en"`` or ``"id"`` when at least ``min_words`` marker words say so, else None."""
    counts = {lang: 0 for lang in word_lists("language")}
    for word in words(text):
        for lang, markers in word_lists("language").items():
            if word in markers:
                counts[lang] += 1
    best = max(counts, key=lambda lang: counts[lang])
    tied = sum(1 for count in counts.values() if count == counts[best]) > 1
    return None if tied or counts[best] < max(1, min_words) else best
