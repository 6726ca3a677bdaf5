"""Match a user's description against the knowledge base and decide what to do with it.

Each article is indexed by the words of its title, symptoms and keywords. A query's words
are looked up in an inverted index (exactly, or with one typo's tolerance via rapidfuzz), so
only phrases sharing a word with the query are scored. A phrase scores by how much of the
query it covers and how much of itself the query covers, both weighted by how rare each
word is (IDF): "password" says more than "computer". An article scores as its best phrase.
"""

from __future__ import annotations

import enum
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml
from rapidfuzz import fuzz, process

from knowledge.articles import ArticleDoc
from knowledge.text import words

ANSWER_AT = 0.62  # best score at or above this, clear of the runner-up: show the article
CLARIFY_AT = 0.40  # best score at or above this: offer the top few as "did you mean"
MIN_COVERAGE = 0.5  # share of the query's weight an article must explain to be offered at all
MARGIN = 0.08  # how far ahead of the next article a confident answer must be
QUERY_WEIGHT = 0.65  # share of the score from covering the query (the rest: the phrase)
TYPO_SIMILARITY = 80  # rapidfuzz ratio for two words to count as the same, misspelt
TYPO_MIN_LENGTH = 4  # shorter words must match exactly ("vpn" is not "vpa")


class Decision(enum.StrEnum):
    """What Level I should do with a query."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    ESCALATE = "escalate"


@dataclass(frozen=True)
class Match:
    """One article's score (0-1) for a query, with the wording that matched best."""

    article: str
    score: float
    matched: str
    coverage: float = 1.0  # share of the query's weight the matched wording explains


@dataclass(frozen=True)
class MatchResult:
    """The ranked matches for a query and the decision they lead to."""

    decision: Decision
    matches: tuple[Match, ...]

    @property
    def best(self) -> Match | None:
        """The top match, if any."""
        return self.matches[0] if self.matches else None


@cache
def _stopwords() -> frozenset[str]:
    raw = yaml.safe_load(resources.files("knowledge").joinpath("data/stopwords.yaml").read_text())
    return frozenset(str(word) for vocabulary in raw.values() for word in vocabulary)


def content_words(text: str) -> list[str]:
    """The meaningful words of ``text``, folded, each once, in order."""
    stop = _stopwords()
    return list(dict.fromkeys(word for word in words(text) if word not in stop))


@dataclass(frozen=True)
class _Phrase:
    article: str
    wording: str
    words: tuple[str, ...]


class Matcher:
    """Scores queries against a fixed set of articles (all languages together)."""

    def __init__(self, docs: Iterable[ArticleDoc]) -> None:
        self._phrases: list[_Phrase] = []
        self._postings: dict[str, list[int]] = defaultdict(list)
        articles_with: dict[str, set[str]] = defaultdict(set)
        for doc in docs:
            for wording in (doc.title, *doc.symptoms, " ".join(doc.keywords)):
                phrase_words = tuple(content_words(wording))
                if not phrase_words:
                    continue
                for word in phrase_words:
                    self._postings[word].append(len(self._phrases))
                    articles_with[word].add(doc.id)
                self._phrases.append(_Phrase(doc.id, wording, phrase_words))
        total = len({phrase.article for phrase in self._phrases}) or 1
        self._unknown_idf = math.log(1 + total)
        self._idf = {word: math.log(1 + total / len(ids)) for word, ids in articles_with.items()}
        self._vocabulary = list(self._postings)

    def idf(self, word: str) -> float:
        """How much a word tells apart articles; words never seen count as the rarest."""
        return self._idf.get(word, self._unknown_idf)

    def _variants(self, word: str) -> list[tuple[str, float]]:
        """Indexed words that stand for ``word``, with how sure we are (1.0 = exact)."""
        if word in self._postings:
            return [(word, 1.0)]
        if len(word) < TYPO_MIN_LENGTH:
            return []
        found = process.extract(
            word, self._vocabulary, scorer=fuzz.ratio, score_cutoff=TYPO_SIMILARITY, limit=3
        )
        return [(candidate, score / 100) for candidate, score, _ in found]

    def match(self, text: str, *, top: int = 3) -> MatchResult:
        """Rank articles for ``text`` and decide: answer, clarify or escalate."""
        query = content_words(text)
        if not query or not self._phrases:
            return MatchResult(Decision.ESCALATE, ())
        query_weight = sum(self.idf(word) for word in query)
        covered: dict[int, float] = defaultdict(float)  # query weight each phrase covers
        hit: dict[int, dict[str, float]] = defaultdict(dict)  # phrase words the query hit
        for word in query:
            for variant, sureness in self._variants(word):
                for index in self._postings[variant]:
                    if sureness > hit[index].get(variant, 0.0):
                        covered[index] += self.idf(word) * (sureness - hit[index].get(variant, 0))
                        hit[index][variant] = sureness
        best: dict[str, Match] = {}
        for index, weight in covered.items():
            phrase = self._phrases[index]
            own = sum(self.idf(word) for word in phrase.words)
            own_hit = sum(self.idf(word) * sure for word, sure in hit[index].items())
            coverage = min(1.0, weight / query_weight)
            score = QUERY_WEIGHT * coverage + (1 - QUERY_WEIGHT) * own_hit / own
            current = best.get(phrase.article)
            if current is None or score > current.score:
                best[phrase.article] = Match(
                    phrase.article, round(score, 3), phrase.wording, round(coverage, 3)
                )
        ranked = tuple(sorted(best.values(), key=lambda m: (-m.score, m.article))[:top])
        return MatchResult(_decide(ranked), ranked)


def _decide(ranked: tuple[Match, ...]) -> Decision:
    if not ranked or ranked[0].score < CLARIFY_AT or ranked[0].coverage < MIN_COVERAGE:
        return Decision.ESCALATE
    runner_up = ranked[1].score if len(ranked) > 1 else 0.0
    if ranked[0].score >= ANSWER_AT and ranked[0].score - runner_up >= MARGIN:
        return Decision.ANSWER
    return Decision.CLARIFY
