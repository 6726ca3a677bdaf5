"""Recognise messages that are greetings, thanks, goodbyes or off-topic, not IT problems."""

from __future__ import annotations

from collections.abc import Collection

from knowledge.text import word_lists

WHOLE_MESSAGE_KINDS = ("greeting", "thanks", "goodbye", "help")
HELP_MARKERS = frozenset({"help", "do", "bantu", "dibantu", "membantu", "lakukan", "capabilities"})


def small_talk(words: list[str], *, it_words: Collection[str] = ()) -> str | None:
    """The kind of small talk a message is, from its folded words, or None.

    ``it_words`` are words known to mean something in IT (the knowledge base's and the
    lexicon's); a message using any of them is never off-topic.
    """
    tokens = set(words)
    if not tokens:
        return None
    kinds = word_lists("smalltalk")
    for kind in WHOLE_MESSAGE_KINDS:
        if tokens <= kinds[kind] and (kind != "help" or tokens & HELP_MARKERS):
            return kind
    if tokens & kinds["off_topic"] and not tokens & set(it_words):
        return "off_topic"
    return None
