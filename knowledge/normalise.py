"""From raw text to the terms the matcher indexes.

Steps: fold (case, accents, punctuation) and split into words; replace lexicon variants
("pwd", "kata sandi" -> ``password``; "gak" -> ``tidak``); then reduce other words to stems.
Because a message's language is not always clear (and loanwords are everywhere), a word gets
both its English and its Indonesian stem as alternative forms; numbers and concepts are kept
as they are. Stop words stay, flagged, so that they can count a little instead of nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources

import snowballstemmer
import yaml

from knowledge.lexicon import Lexicon
from knowledge.text import words

MIN_STEM_LENGTH = 4  # shorter words are kept whole ("vpn", "dns", "pc")
MAX_WORDS = 200  # words read from one text: matching time stays bounded for huge messages
WORD_CACHE = 500_000  # distinct tokens whose normal form is remembered


@dataclass(frozen=True)
class Word:
    """One word of a text: how it was written and the index terms it may match."""

    text: str
    forms: tuple[str, ...]
    stop: bool


@cache
def stopwords() -> frozenset[str]:
    """Function words of every supported language (weighted low, not dropped)."""
    raw = yaml.safe_load(resources.files("knowledge").joinpath("data/stopwords.yaml").read_text())
    return frozenset(str(word) for vocabulary in raw.values() for word in vocabulary)


class Normaliser:
    """Turns text into :class:`Word` lists; one instance is shared by index and queries."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._stop = stopwords()
        self._words: dict[tuple[str, bool], Word] = {}  # shared, immutable: one per token

    def words(self, text: str) -> list[Word]:
        """The words of ``text`` (at most :data:`MAX_WORDS`), mapped and stemmed."""
        known = self._words
        result = []
        for key in self.lexicon.apply(words(text)[:MAX_WORDS]):
            word = known.get(key)
            if word is None:
                token, is_concept = key
                forms = (token,) if is_concept else word_forms(token)
                word = Word(token, forms, token in self._stop)
                if len(known) < WORD_CACHE:
                    known[key] = word
            result.append(word)
        return result


@cache
def _stemmers() -> tuple[snowballstemmer.stemmer, snowballstemmer.stemmer]:
    return snowballstemmer.stemmer("english"), snowballstemmer.stemmer("indonesian")


@lru_cache(maxsize=500_000)
def word_forms(word: str) -> tuple[str, ...]:
    """A word's English and Indonesian stems (one form when they agree or it is short)."""
    if len(word) < MIN_STEM_LENGTH or word.isdigit():
        return (word,)
    english, indonesian = _stemmers()
    return tuple(dict.fromkeys((english.stemWord(word), indonesian.stemWord(word))))
