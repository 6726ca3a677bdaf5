"""Recognise messages that are greetings or thanks rather than a support request."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from knowledge.text import words


@cache
def _kinds() -> dict[str, frozenset[str]]:
    raw = yaml.safe_load(resources.files("knowledge").joinpath("data/smalltalk.yaml").read_text())
    return {kind: frozenset(str(word) for word in vocabulary) for kind, vocabulary in raw.items()}


def small_talk(text: str) -> str | None:
    """``"greeting"`` or ``"thanks"`` if the whole message is that, else None."""
    tokens = set(words(text))
    if not tokens:
        return None
    for kind, vocabulary in _kinds().items():
        if tokens <= vocabulary:
            return kind
    return None
