"""An inverted index over article phrases, updated in place when an article changes.

Memory is kept compact for large knowledge bases: a phrase is a tuple of term ids, postings
are ``array('q')`` of ``phrase << 8 | position``. Removing an article leaves tombstones that
are compacted away once they make up a third of the phrases.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass

from rapidfuzz.distance import OSA

from knowledge.articles import ArticleDoc
from knowledge.normalise import Normaliser, Word

POSITION_BITS = 8  # positions of a word inside a phrase fit in 8 bits (phrases are short)
MAX_POSITION = (1 << POSITION_BITS) - 1
TYPO_MIN_LENGTH = 5  # shorter words must be spelt right ("vpn" is not "vpa", "cant" not "want")
COMPACT_AT = 1 / 3  # share of dead phrases that triggers a compaction
TEXT_CACHE = 50_000  # normalised phrase texts kept for the fuzzy signal


@dataclass(frozen=True)
class PhraseRef:
    """Where an indexed phrase comes from."""

    article: str
    lang: str
    wording: str


class Index:
    """Terms -> phrases -> articles, with article-level document frequencies."""

    def __init__(self, normaliser: Normaliser) -> None:
        self.normaliser = normaliser
        self.terms: dict[str, int] = {}  # term -> id
        self.term_names: list[str] = []
        self.stop_terms: set[int] = set()
        self.postings: dict[int, array[int]] = defaultdict(lambda: array("q"))
        self.phrases: list[tuple[int, ...] | None] = []  # primary term id of each word
        self.refs: list[PhraseRef | None] = []
        self.df: Counter[int] = Counter()  # term id -> number of articles using it
        self._article_terms: dict[str, Counter[int]] = {}  # article -> term id -> phrases
        self._doc_phrases: dict[tuple[str, str], list[int]] = {}
        self._langs: dict[str, set[str]] = defaultdict(set)  # article -> languages indexed
        self.lengths: Counter[str] = Counter()  # article -> words in all its live phrases
        self.phrase_counts: Counter[str] = Counter()  # article -> live phrases
        self._deletes: dict[str, set[int]] = defaultdict(set)  # typo neighbourhood
        self._dead = 0
        self._texts: dict[int, str] = {}

    @property
    def article_count(self) -> int:
        """Articles (ids, all languages together) currently indexed."""
        return len(self._article_terms)

    @property
    def average_length(self) -> float:
        """Mean words per article (for BM25's length normalisation)."""
        return sum(self.lengths.values()) / max(1, len(self.lengths))

    @property
    def live_phrases(self) -> int:
        """Indexed phrases not removed."""
        return len(self.phrases) - self._dead

    def idf(self, term: int | None) -> float:
        """Rarity of a term across articles; unknown terms count as the rarest."""
        total = max(1, self.article_count)
        count = self.df.get(term, 0) if term is not None else 0
        return math.log(1 + total / count) if count else math.log(1 + total) + 1.0

    def add(self, doc: ArticleDoc) -> None:
        """Index one article in one language (replacing what was indexed for it before)."""
        self.remove(doc.id, doc.lang)
        phrases = []
        for wording in (doc.title, *doc.symptoms, " ".join(doc.keywords)):
            words = self.normaliser.words(wording)[:MAX_POSITION]
            if words:
                phrases.append(self._add_phrase(PhraseRef(doc.id, doc.lang, wording), words))
        self._doc_phrases[doc.key] = phrases
        self._langs[doc.id].add(doc.lang)

    def phrase_text(self, phrase: int) -> str:
        """A phrase as its normalised terms, space-separated (cached: it is asked often)."""
        text = self._texts.get(phrase)
        if text is None:
            terms = self.phrases[phrase] or ()
            text = " ".join(self.term_names[term] for term in terms)
            if len(self._texts) >= TEXT_CACHE:
                self._texts.clear()
            self._texts[phrase] = text
        return text

    def article_phrases(self, article: str) -> list[int]:
        """The phrases of an article in every language."""
        return [
            phrase
            for lang in self._langs.get(article, ())
            for phrase in self._doc_phrases.get((article, lang), ())
        ]

    def remove(self, article: str, lang: str) -> None:
        """Forget one article in one language, if indexed."""
        self._langs.get(article, set()).discard(lang)
        for index in self._doc_phrases.pop((article, lang), []):
            terms = self.phrases[index]
            assert terms is not None
            counts = self._article_terms[article]
            for term in self._phrase_terms(index):
                counts[term] -= 1
                if counts[term] == 0:
                    del counts[term]
                    self.df[term] -= 1
            self.lengths[article] -= len(terms)
            self.phrase_counts[article] -= 1
            self.phrases[index] = None
            self.refs[index] = None
            self._dead += 1
        if article in self._article_terms and not self._article_terms[article]:
            del self._article_terms[article]
            self.lengths.pop(article, None)
            self.phrase_counts.pop(article, None)
        if self.phrases and self._dead / len(self.phrases) > COMPACT_AT:
            self._compact()

    def term_id(self, term: str) -> int | None:
        """The id of an indexed term, if it is used by any article."""
        found = self.terms.get(term)
        return found if found is not None and self.df.get(found, 0) > 0 else None

    def near(self, word: str) -> Iterator[tuple[int, int]]:
        """Indexed terms one typo away from ``word`` (edit, insert, delete, swap): (id, 1)."""
        if len(word) < TYPO_MIN_LENGTH:
            return
        seen: set[int] = set()
        for key in (word, *_deletes(word)):
            for term in self._deletes.get(key, ()):
                if term in seen or not self.df.get(term, 0):
                    continue
                seen.add(term)
                if OSA.distance(word, self.term_names[term], score_cutoff=1) <= 1:
                    yield term, 1

    def _add_phrase(self, ref: PhraseRef, words: list[Word]) -> int:
        index = len(self.phrases)
        counts = self._article_terms.setdefault(ref.article, Counter())
        primary = []
        seen: set[int] = set()
        for position, word in enumerate(words):
            ids = [self._intern(form, word.stop) for form in word.forms]
            primary.append(ids[0])
            for term in dict.fromkeys(ids):
                self.postings[term].append(index << POSITION_BITS | position)
                if term not in seen:
                    seen.add(term)
                    if counts[term] == 0:
                        self.df[term] += 1
                    counts[term] += 1
        self.phrases.append(tuple(primary))
        self.refs.append(ref)
        self.lengths[ref.article] += len(primary)
        self.phrase_counts[ref.article] += 1
        return index

    def _phrase_terms(self, index: int) -> set[int]:
        """Every term id (all forms) posted for a phrase (read back from the postings)."""
        ref = self.refs[index]
        assert ref is not None
        found: set[int] = set()
        for word in self.normaliser.words(ref.wording)[:MAX_POSITION]:
            found.update(self.terms[form] for form in word.forms if form in self.terms)
        return found

    def _intern(self, term: str, stop: bool) -> int:
        found = self.terms.get(term)
        if found is None:
            found = self.terms[term] = len(self.term_names)
            self.term_names.append(term)
            if len(term) >= TYPO_MIN_LENGTH and not term.isdigit():
                for key in (term, *_deletes(term)):
                    self._deletes[key].add(found)
        if stop:
            self.stop_terms.add(found)
        return found

    def _compact(self) -> None:
        """Renumber live phrases and rebuild postings without the dead ones."""
        live = [i for i, terms in enumerate(self.phrases) if terms is not None]
        renumber = {old: new for new, old in enumerate(live)}
        for term, posting in list(self.postings.items()):
            kept = array(
                "q",
                (
                    renumber[entry >> POSITION_BITS] << POSITION_BITS | entry & MAX_POSITION
                    for entry in posting
                    if (entry >> POSITION_BITS) in renumber
                ),
            )
            if kept:
                self.postings[term] = kept
            else:
                del self.postings[term]
        self.phrases = [self.phrases[i] for i in live]
        self.refs = [self.refs[i] for i in live]
        self._doc_phrases = {
            key: [renumber[i] for i in indexes] for key, indexes in self._doc_phrases.items()
        }
        self._dead = 0
        self._texts.clear()


def _deletes(word: str) -> set[str]:
    """``word`` with one letter removed, every way (the SymSpell neighbourhood)."""
    return {word[:i] + word[i + 1 :] for i in range(len(word))}
