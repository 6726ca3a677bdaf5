"""Candidate phrases for a query: which phrases may explain it, and which words they share.

Every posting of the query's most telling words is read in bulk: postings become phrase
numbers with one vectorised shift, weights are added into a per-phrase array, and the leaders
are picked with a partial sort. Only those leaders are then compared word by word with every
query word, stop words included, so the work stays bounded however large the KB grows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from knowledge.index import POSITION_BITS, Index
from knowledge.normalise import Word

CANDIDATE_WORDS = 8  # the rarest content words of a long message are enough to find candidates
TOP_PHRASES = 24  # candidate phrases kept (those explaining the most of the query)
LEADING_ARTICLES = 8  # the articles of those phrases whose every phrase is then compared

PhraseHits = dict[int, dict[int, float]]  # phrase -> {query word or phrase position: sureness}


@dataclass
class Query:
    """A message as the matcher sees it."""

    words: list[Word]
    weights: list[float]  # rarity of each word (stop words scaled down)
    content: list[bool]  # False for stop words
    terms: list[list[tuple[int, float]]]  # per word: (term id, sureness), a typo below 1
    text: str  # normalised, for the fuzzy signal


class Candidates:
    """Finds and compares candidate phrases; keeps a reusable per-phrase scratch array."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._scores = np.zeros(0)

    def collect(self, query: Query, *, everything: bool) -> tuple[PhraseHits, PhraseHits]:
        """For each candidate phrase: the query words it explains, and its own words hit.

        ``everything`` compares every phrase (cheap, and best, for a small knowledge base).
        """
        phrases = self.index.phrases
        if everything:
            kept = [phrase for phrase, words in enumerate(phrases) if words is not None]
        else:
            kept = self._leaders(query)
        wanted: dict[int, list[tuple[int, float]]] = defaultdict(list)
        for i, terms in enumerate(query.terms):
            for term, sure in terms:
                wanted[term].append((i, sure))
        phrase_query: PhraseHits = {}
        phrase_own: PhraseHits = {}
        for phrase in kept:
            words = phrases[phrase]
            if words is None:
                continue
            hits: dict[int, float] = {}
            own: dict[int, float] = {}
            for position, ids in enumerate(words):
                for term in ids:
                    for i, sure in wanted.get(term, ()):
                        if sure > hits.get(i, 0.0):
                            hits[i] = sure
                        if sure > own.get(position, 0.0):
                            own[position] = sure
            phrase_query[phrase], phrase_own[phrase] = hits, own
        return phrase_query, phrase_own

    def _leaders(self, query: Query) -> list[int]:
        """The phrases explaining the most of the query's meaningful words."""
        index = self.index
        if self._scores.size < len(index.phrases):
            self._scores = np.zeros(len(index.phrases) + 4096)
        scores = self._scores
        touched = []
        telling = sorted(
            (i for i, terms in enumerate(query.terms) if terms and query.content[i]),
            key=lambda i: -query.weights[i],
        )[:CANDIDATE_WORDS]  # stop words never bring candidates, only add to them
        for i in telling:
            term, sure = query.terms[i][0]
            posting = index.postings[term]
            if not posting:
                continue
            phrases = np.frombuffer(posting, dtype=np.int32) >> POSITION_BITS
            scores[phrases] += query.weights[i] * sure  # a repeated phrase counts once per word
            touched.append(phrases)
        if not touched:
            return []
        every = np.concatenate(touched)
        pool = TOP_PHRASES * len(touched)  # a phrase is in `every` at most once per word
        if every.size > pool:
            every = every[np.argpartition(scores[every], -pool)[-pool:]]
        leaders = np.unique(every)
        if leaders.size > TOP_PHRASES:
            leaders = leaders[np.argpartition(scores[leaders], -TOP_PHRASES)[-TOP_PHRASES:]]
        ordered = leaders[np.argsort(-scores[leaders], kind="stable")].tolist()
        scores[np.concatenate(touched)] = 0.0  # ready for the next query
        # Whole articles, not stray phrases: their signals (BM25, concentration) need every
        # phrase of theirs, or a tie cut at TOP_PHRASES would favour one article at random.
        articles = list(dict.fromkeys(index.article_of(p) for p in ordered))[:LEADING_ARTICLES]
        return [phrase for article in articles for phrase in index.article_phrases(article)]
