"""Guess whether a message is English or Bahasa Indonesia from its common words."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from knowledge.text import words


@cache
def _markers() -> dict[str, frozenset[str]]:
    raw = yaml.safe_load(resources.files("knowledge").joinpath("data/language.yaml").read_text())
    return {lang: frozenset(str(word) for word in vocabulary) for lang, vocabulary in raw.items()}


def detect_language(text: str, *, min_words: int = 1) -> str | None:
    """``"en"`` or ``"id"`` when at least ``min_words`` marker words say so, else None."""
    counts = {lang: 0 for lang in _markers()}
    for word in words(text):
        for lang, markers in _markers().items():
            if word in markers:
                counts[lang] += 1
    best = max(counts, key=lambda lang: counts[lang])
    tied = sum(1 for count in counts.values() if count == counts[best]) > 1
    return None if tied or counts[best] < max(1, min_words) else best
