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

import snowballstemmer

from knowledge.lexicon import Lexicon
from knowledge.text import word_lists, words

MIN_STEM_LENGTH = 4  # shorter words are kept whole ("vpn", "dns", "pc")
MAX_WORDS = 200  # words read from one text: matching time stays bounded for huge messages
WORD_CACHE = 500_000  # distinct tokens whose normal form is remembered
UNCACHED = 1 << 62  # the id of a word not cached (larger than any list: lookups miss)


@dataclass(frozen=True)
class Word:
    """One word of a text: how it was written and the index terms it may match."""

    text: str
    forms: tuple[str, ...]
    stop: bool
    id: int = UNCACHED  # a small number unique to this word while it is cached


@cache
def stopwords() -> frozenset[str]:
    """Function words of every supported language (weighted low, not dropped)."""
    return frozenset().union(*word_lists("stopwords").values())


class Normaliser:
    """Turns text into :class:`Word` lists; one instance is shared by index and queries."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        self._stop = stopwords()
        self._words: dict[tuple[str, bool], Word] = {}  # shared, immutable: one per token
        self._plain: dict[str, Word] = {}  # a token read alone -> its word (the common case)

    def words(self, text: str) -> list[Word]:
        """The words of ``text`` (at most :data:`MAX_WORDS`), mapped and stemmed."""
        tokens = words(text)[:MAX_WORDS]
        plain = self._plain
        result = [plain.get(token) or self._plain_word(token) for token in tokens]
        for start, size, concept in reversed(self.lexicon.spans(tokens)):
            result[start : start + size] = [self._word(concept, True)]  # "kata sandi": one word
        return result

    def _plain_word(self, token: str) -> Word:
        concept = self.lexicon.variants.get((token,))
        word = self._word(concept, True) if concept else self._word(token, False)
        if word.id != UNCACHED:
            self._plain[token] = word
        return word

    def _word(self, token: str, is_concept: bool) -> Word:
        known = self._words
        word = known.get((token, is_concept))
        if word is None:
            forms = (token,) if is_concept else word_forms(token)
            cached = len(known) < WORD_CACHE
            word = Word(token, forms, token in self._stop, len(known) if cached else UNCACHED)
            if cached:
                known[(token, is_concept)] = word
        return word


@cache
def _stemmers() -> tuple[snowballstemmer.stemmer, snowballstemmer.stemmer]:
    return snowballstemmer.stemmer("english"), snowballstemmer.stemmer("indonesian")


@lru_cache(maxsize=500_000)
def word_forms(word: str) -> tuple[str, ...]:
    """A word's English and Indonesian stems (one form when they agree or it is short)."""
    if len(word) < MIN_STEM_LENGTH or not word.isalpha():  # numbers and codes stay whole
        return (word,)
    english, indonesian = _stemmers()
    return tuple(dict.fromkeys((english.stemWord(word), indonesian.stemWord(word))))
