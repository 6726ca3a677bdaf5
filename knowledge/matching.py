"""Match a user's description against the knowledge base and decide what to do with it.

Three signals, each explainable, are combined per article:

* **coverage** — how much of the query (each word weighted by rarity, IDF) the article's
  words explain, across all its phrases; stop words count a little, unknown words count
  against;
* **phrase** — the best single phrase (title, a symptom, the keywords): how much of the query
  it explains and how much of itself the query covers, so a short exact symptom wins;
* **fuzzy** — rapidfuzz's token-set similarity between the normalised query and the best
  phrase, computed only for the leading candidates, which rescues word-order and partial
  overlaps.

Candidates come from the inverted index (:mod:`knowledge.index`), so the cost grows with the
postings of the query's words, not with the size of the knowledge base. Very common words only
re-score candidates found by rarer ones.
"""

from __future__ import annotations

import enum
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz

from knowledge.articles import ArticleDoc
from knowledge.index import MAX_POSITION, POSITION_BITS, Index
from knowledge.lexicon import Lexicon
from knowledge.normalise import MAX_WORDS, Normaliser, Word
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
FUZZY_CANDIDATES = 20  # articles whose phrases get the (slower) fuzzy comparison
COMMON_POSTINGS = 2000  # a word posted this often only re-scores candidates found by others
FALLBACK_PHRASES = 3000  # below this many phrases, every article is ranked even with no overlap


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


@dataclass
class _Query:
    words: list[Word]
    weights: list[float]
    content: list[bool]
    terms: list[list[tuple[int, float]]]  # per word: (term id, sureness)
    text: str  # normalised, for the fuzzy signal


class Matcher:
    """Scores queries against articles (all languages together); updated in place."""

    def __init__(self, docs: Iterable[ArticleDoc] = (), *, lexicon: Lexicon | None = None) -> None:
        self.normaliser = Normaliser(lexicon or Lexicon.load())
        self.index = Index(self.normaliser)
        for doc in docs:
            self.index.add(doc)

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
        kind = small_talk(words(text)[:MAX_WORDS], it_words=self.normaliser.lexicon.it_words)
        query = self._query(text)
        if not any(query.content) or self.index.article_count == 0:
            return MatchResult(Decision.ESCALATE, (), kind)
        phrase_query, phrase_own = self._collect(query)
        ranked = tuple(self._rank(query, phrase_query, phrase_own)[:top])
        if kind is not None:
            return MatchResult(Decision.ESCALATE, ranked, kind)
        return MatchResult(_decide(ranked), ranked)

    def _query(self, text: str) -> _Query:
        index = self.index
        words = list({word.text: word for word in self.normaliser.words(text)}.values())
        weights, content, terms = [], [], []
        for word in words:
            exact = [term for form in word.forms if (term := index.term_id(form)) is not None]
            found = [(term, 1.0) for term in dict.fromkeys(exact)]
            if not found and not word.stop:
                found = [(term, TYPO_SURENESS) for term, _ in index.near(word.forms[0])]
            weight = index.idf(found[0][0] if found else None)
            weights.append(weight * (STOP_FACTOR if word.stop else 1.0))
            content.append(not word.stop)
            terms.append(found)
        normalised = " ".join(word.forms[0] for word in words)
        return _Query(words, weights, content, terms, normalised)

    def _collect(
        self, query: _Query
    ) -> tuple[dict[int, dict[int, float]], dict[int, dict[int, float]]]:
        """For each phrase touched: query words it explains, and its own words hit."""
        index = self.index
        phrase_query: dict[int, dict[int, float]] = defaultdict(dict)
        phrase_own: dict[int, dict[int, float]] = defaultdict(dict)
        order = sorted(range(len(query.words)), key=lambda i: -query.weights[i])
        for i in order:
            for term, sure in query.terms[i]:
                posting = index.postings.get(term)
                if posting is None:
                    continue
                if len(posting) > COMMON_POSTINGS and phrase_query:
                    self._rescore(term, i, sure, phrase_query, phrase_own)
                    continue
                for entry in posting:
                    phrase, position = entry >> POSITION_BITS, entry & MAX_POSITION
                    if index.phrases[phrase] is None:
                        continue
                    if sure > phrase_query[phrase].get(i, 0.0):
                        phrase_query[phrase][i] = sure
                    if sure > phrase_own[phrase].get(position, 0.0):
                        phrase_own[phrase][position] = sure
        return phrase_query, phrase_own

    def _rescore(
        self,
        term: int,
        i: int,
        sure: float,
        phrase_query: dict[int, dict[int, float]],
        phrase_own: dict[int, dict[int, float]],
    ) -> None:
        """A very common word: credit it only to phrases already found by rarer words."""
        for phrase in list(phrase_query):
            terms = self.index.phrases[phrase]
            if terms is not None and term in terms:
                position = terms.index(term)
                phrase_query[phrase][i] = max(sure, phrase_query[phrase].get(i, 0.0))
                phrase_own[phrase][position] = max(sure, phrase_own[phrase].get(position, 0.0))

    def _rank(
        self,
        query: _Query,
        phrase_query: dict[int, dict[int, float]],
        phrase_own: dict[int, dict[int, float]],
    ) -> list[Match]:
        index = self.index
        total = sum(query.weights) or 1.0
        content_total = sum(w for w, c in zip(query.weights, query.content, strict=True) if c)
        article_hits: dict[str, dict[int, float]] = defaultdict(dict)
        frequency: dict[str, dict[int, float]] = defaultdict(lambda: defaultdict(float))
        best_phrase: dict[str, tuple[float, int]] = {}
        for phrase, hits in phrase_query.items():
            ref, terms = index.refs[phrase], index.phrases[phrase]
            assert ref is not None and terms is not None
            covered, counted = article_hits[ref.article], frequency[ref.article]
            for i, sure in hits.items():
                covered[i] = max(sure, covered.get(i, 0.0))
                counted[i] += sure
            own_weights = [self._own_weight(term) for term in terms]
            own = sum(own_weights[p] * s for p, s in phrase_own[phrase].items()) / (
                sum(own_weights) or 1.0
            )
            explained = sum(query.weights[i] * s for i, s in hits.items()) / total
            score = QUERY_SIDE * explained + (1 - QUERY_SIDE) * own
            if ref.article not in best_phrase or score > best_phrase[ref.article][0]:
                best_phrase[ref.article] = (score, phrase)
        if not best_phrase and index.live_phrases <= FALLBACK_PHRASES:
            best_phrase = self._everything()
        lexical = {
            article: COVERAGE_WEIGHT
            * sum(query.weights[i] * s for i, s in article_hits[article].items())
            / total
            + PHRASE_WEIGHT * phrase_score
            + BM25_WEIGHT * self._bm25(query, article, frequency.get(article, {}), total)
            + CONCENTRATION_WEIGHT
            * self._concentration(query, article, frequency.get(article, {}), total)
            for article, (phrase_score, _) in best_phrase.items()
        }
        leaders = sorted(lexical, key=lambda a: -lexical[a])[:FUZZY_CANDIDATES]
        matches = []
        for article in leaders:
            fuzzy, wording = self._fuzzy(query.text, article, best_phrase[article][1])
            hits = article_hits[article]
            content_hit = sum(query.weights[i] * s for i, s in hits.items() if query.content[i]) / (
                content_total or 1.0
            )
            matches.append(
                Match(
                    article=article,
                    score=round(lexical[article] + FUZZY_WEIGHT * fuzzy, 3),
                    matched=wording,
                    words=self._explain(query, hits),
                    coverage=round(content_hit, 3),
                )
            )
        matches.sort(key=lambda m: (-m.score, m.article))
        return matches

    def _bm25(self, query: _Query, article: str, counts: dict[int, float], total: float) -> float:
        """BM25 of the article (all its phrases as one text), as a share of the best possible."""
        length = self.index.lengths.get(article, 0) / (self.index.average_length or 1.0)
        norm = BM25_K1 * (1 - BM25_B + BM25_B * length)
        score = sum(query.weights[i] * tf * (BM25_K1 + 1) / (tf + norm) for i, tf in counts.items())
        return score / (total * (BM25_K1 + 1))

    def _concentration(
        self, query: _Query, article: str, counts: dict[int, float], total: float
    ) -> float:
        """How much the query's words are the article's signature: in most of its phrases."""
        phrases = self.index.phrase_counts.get(article, 0) or 1
        return sum(query.weights[i] * min(1.0, tf / phrases) for i, tf in counts.items()) / total

    def _own_weight(self, term: int) -> float:
        factor = STOP_FACTOR if term in self.index.stop_terms else 1.0
        return self.index.idf(term) * factor

    def _everything(self) -> dict[str, tuple[float, int]]:
        """Every article with its first phrase: a small KB is always ranked in full."""
        found: dict[str, tuple[float, int]] = {}
        for phrase, ref in enumerate(self.index.refs):
            if ref is not None and ref.article not in found:
                found[ref.article] = (0.0, phrase)
        return found

    def _fuzzy(self, text: str, article: str, fallback: int) -> tuple[float, str]:
        """Best token-set similarity between the query and one of the article's phrases."""
        index = self.index
        best, wording = -1.0, index.refs[fallback].wording  # type: ignore[union-attr]
        for phrase in index.article_phrases(article):
            if index.phrases[phrase] is None:
                continue
            candidate = index.phrase_text(phrase)
            # token_set forgives extra words, token_sort does not: together they prefer
            # the phrase that says what the query says, no more and no less.
            score = (
                fuzz.token_set_ratio(text, candidate) + fuzz.token_sort_ratio(text, candidate)
            ) / 200
            if score > best:
                best, wording = score, index.refs[phrase].wording  # type: ignore[union-attr]
        return max(best, 0.0), wording

    def _explain(self, query: _Query, hits: dict[int, float]) -> tuple[str, ...]:
        names = self.index.term_names
        explained = []
        for i in sorted(hits):
            word, term = query.words[i], query.terms[i][0][0]
            typo = query.terms[i][0][1] < 1.0
            explained.append(f"{word.text}~{names[term]}" if typo else word.text)
        return tuple(explained)


def _decide(ranked: tuple[Match, ...]) -> Decision:
    if not ranked or ranked[0].score < CLARIFY_AT or ranked[0].coverage == 0:
        return Decision.ESCALATE
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    confident = ranked[0].score >= ANSWER_AT and ranked[0].score - runner_up >= MARGIN
    if confident and ranked[0].coverage >= MIN_CONTENT_COVERAGE:
        return Decision.ANSWER
    return Decision.CLARIFY
