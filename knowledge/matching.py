"""Match a user's description against the knowledge base and decide what to do with it.

Five signals, each explainable, are combined per article:

* **coverage**: how much of the query (each word weighted by rarity, IDF) the article's words
  explain, across all its phrases; stop words count a little, unknown words count against;
* **phrase**: its best single phrase (title, a symptom, the keywords): how much of the query it
  explains and how much of itself the query covers, so a short exact symptom wins;
* **BM25** over all its phrases as one text, and **concentration**: how many of its phrases
  carry the query's words (a word in every symptom is the article's signature);
* **fuzzy**: rapidfuzz token-set and token-sort similarity with its best phrase, which rescues
  word order and partial overlaps.

Candidates come from :mod:`knowledge.candidates`; the cheap signals pick a few leading
articles and only those get the phrase and fuzzy signals.
"""

from __future__ import annotations

import enum
import gc
import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from knowledge.articles import ArticleDoc
from knowledge.candidates import Candidates, PhraseHits, Query
from knowledge.index import Index
from knowledge.lexicon import Lexicon
from knowledge.normalise import MAX_WORDS, Normaliser, stopwords
from knowledge.smalltalk import small_talk
from knowledge.text import words

# Weights of the signals (they add up to 1) and of stop words inside each; chosen by a sweep
# over the few-shot evaluation sets (several seeds) and the bundled KB's regression file.
COVERAGE_WEIGHT = 0.10
PHRASE_WEIGHT = 0.30
FUZZY_WEIGHT = 0.30
BM25_WEIGHT = 0.10
CONCENTRATION_WEIGHT = 0.20
BM25_K1 = 1.2  # term-frequency saturation
BM25_B = 0.5  # length normalisation (articles differ in how many symptoms they list)
STOP_FACTOR = 0.10  # a stop word weighs this share of a content word of the same rarity
QUERY_SIDE = 0.65  # in the phrase signal: covering the query vs covering the phrase
TYPO_SURENESS = 0.8  # a word matched through one typo counts this much

# Decisions.
ANSWER_AT = 0.50  # best score at or above this, clear of the runner-up: show the article
MARGIN = 0.07  # how far ahead of the next article a confident answer must be
CLARIFY_AT = 0.30  # best score at or above this: offer the top few as "did you mean"
MIN_CONTENT_COVERAGE = 0.5  # share of the query's meaningful words an answer must explain

# Cost bounds.
PRESELECT = 6  # articles, by the cheap signals, whose phrases are scored one by one
FUZZY_CANDIDATES = 6  # articles whose phrases get the (slower) fuzzy comparison
SMALL_KB = 40  # articles: up to this many, every article is scored in full (it is cheap)


class Decision(enum.StrEnum):
    """What Level I should do with a query."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    ESCALATE = "escalate"


@dataclass(frozen=True)
class Match:
    """One article's score (0-1) for a query, and why."""

    article: str
    score: float
    matched: str  # the article's wording that matched best
    words: tuple[str, ...] = ()  # query words it explained ("pasword~password" for a typo)
    coverage: float = 0.0  # share of the query's meaningful words it explained


@dataclass(frozen=True)
class MatchResult:
    """The ranked matches for a query and the decision they lead to."""

    decision: Decision
    matches: tuple[Match, ...]
    small_talk: str | None = None  # greeting, thanks, goodbye or off_topic: not a problem

    @property
    def best(self) -> Match | None:
        """The top match, if any."""
        return self.matches[0] if self.matches else None


class Matcher:
    """Scores queries against articles (all languages together); updated in place."""

    def __init__(self, docs: Iterable[ArticleDoc] = (), *, lexicon: Lexicon | None = None) -> None:
        self.normaliser = Normaliser(lexicon or Lexicon.load())
        self.index = Index(self.normaliser)
        self._cached_version = -1
        self._idf: dict[int, float] = {}
        self._own: dict[int, float] = {}
        self._candidates = Candidates(self.index)
        # words that make a message about IT ("hari ini" is in the lexicon, but not IT)
        self._it_words = self.normaliser.lexicon.it_words - stopwords()
        collecting = gc.isenabled()
        gc.disable()  # a bulk load makes objects that never form cycles: skip the GC passes
        try:
            for doc in docs:
                self.index.add(doc)
        finally:
            if collecting:
                gc.enable()

    def idf(self, word: str) -> float:
        """How rare (so how telling) a word is in this knowledge base."""
        forms = [form for w in self.normaliser.words(word) for form in w.forms]
        terms = [term for form in forms if (term := self.index.term_id(form)) is not None]
        return self.index.idf(terms[0] if terms else None)

    def add(self, doc: ArticleDoc) -> None:
        """Index a new or changed article (one language)."""
        self.index.add(doc)

    def remove(self, article: str, lang: str) -> None:
        """Stop matching an article in one language."""
        self.index.remove(article, lang)

    def match(self, text: str, *, top: int = 3) -> MatchResult:
        """Rank articles for ``text`` and decide: answer, clarify or escalate."""
        if self._cached_version != self.index.version:  # the KB changed: weights did too
            self._idf.clear()
            self._own.clear()
            self._cached_version = self.index.version
        kind = small_talk(words(text)[:MAX_WORDS], it_words=self._it_words)
        query = self._query(text)
        if not any(query.content) or self.index.article_count == 0:
            return MatchResult(Decision.ESCALATE, (), kind)
        small = self.index.article_count <= SMALL_KB
        phrase_query, phrase_own = self._candidates.collect(query, everything=small)
        ranked = tuple(self._rank(query, phrase_query, phrase_own, top))
        if kind is not None:
            return MatchResult(Decision.ESCALATE, ranked, kind)
        return MatchResult(_decide(ranked), ranked)

    def _term_idf(self, term: int | None) -> float:
        if term is None:
            return self.index.idf(None)
        found = self._idf.get(term)
        if found is None:
            found = self._idf[term] = self.index.idf(term)
        return found

    def _query(self, text: str) -> Query:
        index = self.index
        words = list({word.text: word for word in self.normaliser.words(text)}.values())
        weights, content, terms = [], [], []
        for word in words:
            exact = [term for form in word.forms if (term := index.term_id(form)) is not None]
            found = [(term, 1.0) for term in dict.fromkeys(exact)]
            if not found and not word.stop:
                found = [(term, TYPO_SURENESS) for term in index.near(word.forms[0])]
            weight = self._term_idf(found[0][0] if found else None)
            weights.append(weight * (STOP_FACTOR if word.stop else 1.0))
            content.append(not word.stop)
            terms.append(found)
        normalised = " ".join(word.forms[0] for word in words)
        return Query(words, weights, content, terms, normalised)

    def _rank(
        self,
        query: Query,
        phrase_query: PhraseHits,
        phrase_own: PhraseHits,
        top: int,
    ) -> list[Match]:
        """Score articles cheaply first; only the leaders get phrase and fuzzy scores."""
        index = self.index
        total = sum(query.weights) or 1.0
        hits_of: dict[str, dict[int, float]] = defaultdict(dict)
        counts_of: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        phrases_of_article: dict[str, list[int]] = defaultdict(list)
        coverage: dict[str, float] = defaultdict(float)  # query weight each article explains
        weights = query.weights
        for phrase, hits in phrase_query.items():
            article = index.article_of(phrase)
            phrases_of_article[article].append(phrase)
            covered, counted = hits_of[article], counts_of[article]
            for i, sure in hits.items():
                before = covered.get(i, 0.0)
                if sure > before:
                    covered[i] = sure
                    coverage[article] += weights[i] * (sure - before)
                counted[i] += sure
        small = index.article_count <= SMALL_KB
        preselect = len(phrases_of_article) if small else PRESELECT
        cheap = {
            article: COVERAGE_WEIGHT * coverage[article] / total
            + BM25_WEIGHT * self._bm25(query, article, counts_of.get(article, {}), total)
            + CONCENTRATION_WEIGHT
            * self._concentration(query, article, counts_of.get(article, {}), total)
            for article in heapq.nlargest(
                preselect * 3, phrases_of_article, key=coverage.__getitem__
            )
        }
        lexical: dict[str, float] = {}
        leading: dict[str, list[int]] = {}  # each article's best phrases, for the fuzzy signal
        for article in heapq.nlargest(preselect, cheap, key=cheap.__getitem__):
            scored = sorted(
                (
                    (self._phrase_score(query, p, phrase_query, phrase_own, total), p)
                    for p in phrases_of_article[article]
                ),
                reverse=True,
            )
            lexical[article] = cheap[article] + PHRASE_WEIGHT * scored[0][0]
            leading[article] = [p for _, p in scored] if small else [p for _, p in scored[:2]]
        fuzzy_count = len(lexical) if small else FUZZY_CANDIDATES
        final: dict[str, tuple[float, str]] = {}
        for article in heapq.nlargest(fuzzy_count, lexical, key=lexical.__getitem__):
            fuzzy, wording = self._fuzzy(query.text, leading[article])
            final[article] = (round(lexical[article] + FUZZY_WEIGHT * fuzzy, 3), wording)
        ranked = sorted(final, key=lambda a: (-final[a][0], a))[:top]
        return [self._explained_match(query, a, *final[a], hits_of.get(a, {})) for a in ranked]

    def _explained_match(
        self, query: Query, article: str, score: float, wording: str, hits: dict[int, float]
    ) -> Match:
        """A ranked article with the words it explained and how much of the query that is."""
        content_total = sum(w for w, c in zip(query.weights, query.content, strict=True) if c)
        content_hit = sum(query.weights[i] * s for i, s in hits.items() if query.content[i])
        return Match(
            article=article,
            score=score,
            matched=wording,
            words=self._explain(query, hits),
            coverage=round(content_hit / (content_total or 1.0), 3),
        )

    def _phrase_score(
        self,
        query: Query,
        phrase: int,
        phrase_query: PhraseHits,
        phrase_own: PhraseHits,
        total: float,
    ) -> float:
        """How much of the query this phrase explains, and how much of itself is matched."""
        hits = phrase_query.get(phrase)
        if not hits:
            return 0.0
        words = self.index.phrases[phrase] or ()
        own_total = self._own.get(phrase)
        if own_total is None:
            own_total = self._own[phrase] = sum(self._own_weight(w[0]) for w in words) or 1.0
        own = sum(self._own_weight(words[p][0]) * s for p, s in phrase_own[phrase].items())
        explained = sum(query.weights[i] * s for i, s in hits.items()) / total
        return QUERY_SIDE * explained + (1 - QUERY_SIDE) * own / own_total

    def _bm25(self, query: Query, article: str, counts: dict[int, float], total: float) -> float:
        """BM25 of the article (all its phrases as one text), as a share of the best possible."""
        length = self.index.lengths.get(article, 0) / (self.index.average_length or 1.0)
        norm = BM25_K1 * (1 - BM25_B + BM25_B * length)
        score = sum(query.weights[i] * tf * (BM25_K1 + 1) / (tf + norm) for i, tf in counts.items())
        return score / (total * (BM25_K1 + 1))

    def _concentration(
        self, query: Query, article: str, counts: dict[int, float], total: float
    ) -> float:
        """How much the query's words are the article's signature: in most of its phrases."""
        phrases = self.index.phrase_counts.get(article, 0) or 1
        return sum(query.weights[i] * min(1.0, tf / phrases) for i, tf in counts.items()) / total

    def _own_weight(self, term: int) -> float:
        factor = STOP_FACTOR if term in self.index.stop_terms else 1.0
        return self._term_idf(term) * factor

    def _fuzzy(self, text: str, phrases: list[int]) -> tuple[float, str]:
        """Best token-set similarity between the query and one of these phrases."""
        index = self.index
        best, best_phrase = -1.0, phrases[0]
        for phrase in phrases:
            candidate = index.phrase_text(phrase)
            # token_set forgives extra words, token_sort does not: together they prefer
            # the phrase that says what the query says, no more and no less.
            score = (
                fuzz.token_set_ratio(text, candidate) + fuzz.token_sort_ratio(text, candidate)
            ) / 200
            if score > best:
                best, best_phrase = score, phrase
        return max(best, 0.0), index.wording(best_phrase)

    def _explain(self, query: Query, hits: dict[int, float]) -> tuple[str, ...]:
        names = self.index.term_names
        explained = []
        for i in sorted(hits):
            word, (term, sure) = query.words[i], query.terms[i][0]
            explained.append(f"{word.text}~{names[term]}" if sure < 1.0 else word.text)
        return tuple(explained)


def _decide(ranked: tuple[Match, ...]) -> Decision:
    if not ranked or ranked[0].score < CLARIFY_AT or ranked[0].coverage == 0:
        return Decision.ESCALATE
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    confident = ranked[0].score >= ANSWER_AT and ranked[0].score - runner_up >= MARGIN
    if confident and ranked[0].coverage >= MIN_CONTENT_COVERAGE:
        return Decision.ANSWER
    return Decision.CLARIFY
