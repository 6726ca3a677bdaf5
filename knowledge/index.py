"""An inverted index over article phrases, updated in place when an article changes.

Built for large knowledge bases in pure Python: a word's term ids are worked out once per
distinct word, a phrase is a tuple of term ids, postings are 32-bit ``array('i')`` of
``phrase << 8 | position``, and a phrase knows its document through an integer, not an object.
Removing an article leaves tombstones that are compacted away once they make up a third.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from itertools import chain

from rapidfuzz.distance import OSA

from knowledge.articles import ArticleDoc
from knowledge.normalise import UNCACHED, Normaliser, Word
from knowledge.text import words as text_words

POSITION_BITS = 8  # positions of a word inside a phrase fit in 8 bits (phrases are short)
MAX_POSITION = (1 << POSITION_BITS) - 1
MAX_PHRASES = 1 << (31 - POSITION_BITS)  # what 32-bit postings can number (~8 million)
TYPO_MIN_LENGTH = 5  # shorter words must be spelt right ("vpn" is not "vpa", "cant" not "want")
COMPACT_AT = 1 / 3  # share of dead phrases that triggers a compaction
TEXT_CACHE = 50_000  # normalised phrase texts kept for the fuzzy signal
TOKEN_CACHE = 500_000  # distinct tokens whose term ids are remembered


def phrases_of(doc: ArticleDoc) -> tuple[str, ...]:
    """The wordings of an article that are indexed: title, symptoms, keywords."""
    return (doc.title, *doc.symptoms, " ".join(doc.keywords))


class Index:
    """Terms -> phrases -> articles, with article-level document frequencies."""

    def __init__(self, normaliser: Normaliser) -> None:
        self.normaliser = normaliser
        self.terms: dict[str, int] = {}  # term -> id
        self.term_names: list[str] = []
        self.stop_terms: set[int] = set()
        self.postings: list[array[int]] = []  # term id -> phrase << 8 | position
        # each phrase: per word, its term ids (main form first); the inner tuples are shared
        self.phrases: list[tuple[tuple[int, ...], ...] | None] = []
        self.phrase_doc = array("i")  # phrase -> doc slot << 8 | phrase number in the doc
        self.df: Counter[int] = Counter()  # term id -> number of articles using it
        self.lengths: Counter[str] = Counter()  # article -> words in all its live phrases
        self.phrase_counts: Counter[str] = Counter()  # article -> live phrases
        self.version = 0  # changes whenever the index does (for caches built on it)
        self._docs: list[ArticleDoc | None] = []  # doc slot -> doc
        self._free_slots: list[int] = []
        self._slots: dict[tuple[str, str], int] = {}  # (article, lang) -> doc slot
        self._doc_phrases: dict[int, range] = {}  # doc slot -> its phrases (consecutive)
        self._langs: dict[str, tuple[str, ...]] = {}  # article -> languages indexed
        self._word_terms: list[tuple[int, ...] | None] = []  # word id -> its term ids
        self._token_terms: dict[str, tuple[int, ...]] = {}  # token read alone -> term ids
        self._deletes: dict[str, list[int]] | None = None  # typo neighbourhood, made on demand
        self._texts: dict[int, str] = {}
        self._dead = 0
        self._total_length = 0

    @property
    def article_count(self) -> int:
        """Articles (ids, all languages together) currently indexed."""
        return len(self.phrase_counts)

    @property
    def average_length(self) -> float:
        """Mean words per article (for BM25's length normalisation)."""
        return self._total_length / max(1, len(self.phrase_counts))

    def idf(self, term: int | None) -> float:
        """Rarity of a term across articles; unknown terms count as the rarest."""
        total = max(1, len(self.phrase_counts))
        count = self.df.get(term, 0) if term is not None else 0
        return math.log(1 + total / count) if count else math.log(1 + total) + 1.0

    def add(self, doc: ArticleDoc) -> None:
        """Index one article in one language (replacing what was indexed for it before)."""
        self.remove(doc.id, doc.lang)
        if len(self.phrases) + len(phrases_of(doc)) >= MAX_PHRASES:
            self._compact()
            if len(self.phrases) + len(phrases_of(doc)) >= MAX_PHRASES:
                raise ValueError(f"the index is full: {MAX_PHRASES} phrases at most")
        if self._free_slots:  # slots of removed documents are reused: numbers stay small
            slot = self._free_slots.pop()
            self._docs[slot] = doc
        else:
            slot = len(self._docs)
            self._docs.append(doc)
        self._slots[doc.key] = slot
        phrases: list[int] = []
        terms: set[int] = set()
        length = 0
        for number, wording in enumerate(phrases_of(doc)):
            phrase = self._phrase_terms(wording)
            if phrase:
                phrases.append(self._add_phrase(slot, number, phrase, terms))
                length += len(phrase)
        langs = self._langs.get(doc.id, ())
        others = [self._terms_of_doc(self._slots[(doc.id, lang)]) for lang in langs]
        self.df.update(terms.difference(*others))  # several languages count once per term
        self._doc_phrases[slot] = range(phrases[0], phrases[-1] + 1) if phrases else range(0)
        self._langs[doc.id] = (*langs, doc.lang)
        self.lengths[doc.id] += length
        self._total_length += length
        self.phrase_counts[doc.id] += len(phrases)
        self.version += 1

    def remove(self, article: str, lang: str) -> None:
        """Forget one article in one language, if indexed."""
        slot = self._slots.pop((article, lang), None)
        if slot is None:
            return
        langs = tuple(other for other in self._langs.pop(article, ()) if other != lang)
        if langs:
            self._langs[article] = langs
        others = [self._terms_of_doc(self._slots[(article, other)]) for other in langs]
        gone = self._terms_of_doc(slot).difference(*others)
        self.df.subtract(gone)
        for term in gone:
            if self.df[term] <= 0:
                del self.df[term]
        for phrase in self._doc_phrases.pop(slot):
            length = len(self.phrases[phrase] or ())
            self.lengths[article] -= length
            self._total_length -= length
            self.phrase_counts[article] -= 1
            self.phrases[phrase] = None
            self._dead += 1
        if not langs:
            self.lengths.pop(article, None)
            self.phrase_counts.pop(article, None)
        self._docs[slot] = None
        self._free_slots.append(slot)
        self.version += 1
        if self.phrases and self._dead / len(self.phrases) > COMPACT_AT:
            self._compact()

    def _terms_of_doc(self, slot: int) -> set[int]:
        """Every term id a document's phrases use (worked out again: removals are rare)."""
        return {
            term
            for phrase in self._doc_phrases[slot]
            for ids in self.phrases[phrase] or ()
            for term in ids
        }

    def article_of(self, phrase: int) -> str:
        """The article a phrase belongs to."""
        doc = self._docs[self.phrase_doc[phrase] >> POSITION_BITS]
        assert doc is not None
        return doc.id

    def wording(self, phrase: int) -> str:
        """A phrase as the article file writes it."""
        code = self.phrase_doc[phrase]
        doc = self._docs[code >> POSITION_BITS]
        assert doc is not None
        return phrases_of(doc)[code & MAX_POSITION]

    def phrase_text(self, phrase: int) -> str:
        """A phrase as its normalised terms, space-separated (cached: it is asked often)."""
        text = self._texts.get(phrase)
        if text is None:
            text = " ".join(self.term_names[ids[0]] for ids in self.phrases[phrase] or ())
            if len(self._texts) >= TEXT_CACHE:
                self._texts.clear()
            self._texts[phrase] = text
        return text

    def article_phrases(self, article: str) -> list[int]:
        """The phrases of an article in every language."""
        return [
            phrase
            for lang in self._langs.get(article, ())
            for phrase in self._doc_phrases[self._slots[(article, lang)]]
        ]

    def term_id(self, term: str) -> int | None:
        """The id of an indexed term, if it is used by any article."""
        found = self.terms.get(term)
        return found if found is not None and found in self.df else None

    def near(self, word: str) -> Iterator[int]:
        """Indexed terms one typo away from ``word`` (a change, insertion, deletion or swap)."""
        if len(word) < TYPO_MIN_LENGTH:
            return
        if self._deletes is None:  # built on the first typo, not at start-up
            self._deletes = defaultdict(list)
            for term, name in enumerate(self.term_names):
                self._add_deletes(term, name)
        seen: set[int] = set()
        for key in (word, *_deletes(word)):
            for term in self._deletes.get(key, ()):
                if term in seen or term not in self.df:
                    continue
                seen.add(term)
                if OSA.distance(word, self.term_names[term], score_cutoff=1) <= 1:
                    yield term

    def _phrase_terms(self, wording: str) -> list[tuple[int, ...]]:
        """Each word's term ids: tokens from a cache, then multi-word variants put in."""
        tokens = text_words(wording)[:MAX_POSITION]
        get = self._token_terms.get
        phrase = [get(token) or self._token_ids(token) for token in tokens]
        for start, size, concept in reversed(self.normaliser.lexicon.spans(tokens)):
            phrase[start : start + size] = [self._concept_ids(concept)]
        return phrase

    def _concept_ids(self, concept: str) -> tuple[int, ...]:
        (word,) = self.normaliser.words(concept)
        return self._word_ids(word)

    def _token_ids(self, token: str) -> tuple[int, ...]:
        (word,) = self.normaliser.words(token)
        ids = self._word_ids(word)
        if len(self._token_terms) < TOKEN_CACHE:
            self._token_terms[token] = ids
        return ids

    def _word_ids(self, word: Word) -> tuple[int, ...]:
        known = self._word_terms
        ids = known[word.id] if word.id < len(known) else None
        return ids or self._terms_of(word)

    def _add_phrase(
        self, slot: int, number: int, phrase: list[tuple[int, ...]], terms: set[int]
    ) -> int:
        index = len(self.phrases)
        base = index << POSITION_BITS
        postings = self.postings
        for position, ids in enumerate(phrase):
            for term in ids:
                postings[term].append(base | position)
        terms.update(chain.from_iterable(phrase))
        self.phrases.append(tuple(phrase))
        self.phrase_doc.append(slot << POSITION_BITS | number)
        return index

    def _terms_of(self, word: Word) -> tuple[int, ...]:
        ids = tuple(dict.fromkeys(self._intern(form, word.stop) for form in word.forms))
        if word.id < UNCACHED:
            known = self._word_terms
            if word.id >= len(known):
                known.extend([None] * (word.id + 1 - len(known)))
            known[word.id] = ids
        return ids

    def _intern(self, term: str, stop: bool) -> int:
        found = self.terms.get(term)
        if found is None:
            found = self.terms[term] = len(self.term_names)
            self.term_names.append(term)
            self.postings.append(array("i"))
            if self._deletes is not None:
                self._add_deletes(found, term)
        if stop:
            self.stop_terms.add(found)
        return found

    def _add_deletes(self, term: int, name: str) -> None:
        assert self._deletes is not None
        if len(name) >= TYPO_MIN_LENGTH and not name.isdigit():
            for key in (name, *_deletes(name)):
                self._deletes[key].append(term)

    def _compact(self) -> None:
        """Renumber live phrases and rebuild postings without the dead ones."""
        live = [i for i, terms in enumerate(self.phrases) if terms is not None]
        renumber = {old: new for new, old in enumerate(live)}
        for term, posting in enumerate(self.postings):
            self.postings[term] = array(
                "i",
                (
                    renumber[entry >> POSITION_BITS] << POSITION_BITS | entry & MAX_POSITION
                    for entry in posting
                    if (entry >> POSITION_BITS) in renumber
                ),
            )
        self.phrases = [self.phrases[i] for i in live]
        self.phrase_doc = array("i", (self.phrase_doc[i] for i in live))
        self._doc_phrases = {
            slot: range(renumber[span[0]], renumber[span[-1]] + 1) if span else span
            for slot, span in self._doc_phrases.items()
        }
        self._dead = 0
        self._texts.clear()


def _deletes(word: str) -> set[str]:
    """``word`` with one letter removed, every way (the SymSpell neighbourhood)."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}
