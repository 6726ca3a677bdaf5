"""Knowledge gaps grouped by similarity: the questions the knowledge base answers badly.

A gap is one question that was escalated for want of an article, answered by an article the
requester said did not help, or matched only weakly. Similar questions are grouped so that
the knowledge base's editors see "12 people asked about the Teams camera" rather than twelve
lines. ``GapGroup`` is the contract the reports rely on: keep its fields.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache

from rapidfuzz import fuzz, process

from knowledge.lexicon import Lexicon
from knowledge.matching import ANSWER_AT, Decision, MatchResult
from knowledge.normalise import Normaliser
from knowledge.text import fold

ESCALATE, NOT_SOLVED, WEAK = "escalate", "not_solved", "weak"  # why a question is a gap
WEAK_BAND = 0.05  # an answer scoring less than this above the answer threshold is weak
SIMILAR = 75  # token-set similarity (0-100) of normalised wordings that puts them together
REPRESENTATIVES = 3  # distinct wordings of a group a new question is compared with


@dataclass(frozen=True)
class GapGroup:
    """Similar questions the knowledge base did not answer well, counted together."""

    wordings: tuple[str, ...]  # distinct wordings, most asked first: the first is its label
    count: int  # questions in the group
    people: int  # distinct requesters who asked them
    reasons: Mapping[str, int]  # escalate / not_solved / weak -> how many
    gap_ids: tuple[int, ...]  # the KnowledgeGap rows in it
    first_seen: datetime
    last_seen: datetime
    article: str | None = None  # the article most often (weakly) matched, if any

    @property
    def label(self) -> str:
        """The group's most asked wording."""
        return self.wordings[0]


@dataclass(frozen=True)
class GapItem:
    """One recorded gap, as grouping reads it."""

    id: int
    query: str
    reason: str
    created_at: datetime
    user_key: str = ""
    article: str | None = None
    score: float = 0.0
    lang: str = "en"


def weak_reason(result: MatchResult) -> str | None:
    """Why a match is a gap (``escalate`` or ``weak``), or None when it answered clearly.

    Weak: "did you mean" (no article was sure enough), or an answer whose score is within
    :data:`WEAK_BAND` of the answer threshold (it nearly was not an answer).
    """
    if result.small_talk is not None:
        return None
    if result.decision is Decision.ESCALATE:
        return ESCALATE
    if result.decision is Decision.CLARIFY:
        return WEAK
    best = result.best
    return WEAK if best is not None and best.score < ANSWER_AT + WEAK_BAND else None


@cache
def _normaliser() -> Normaliser:
    """The matcher's normaliser (lexicon and stems), made once: the lexicon file is fixed."""
    return Normaliser(Lexicon.load())


def similarity_key(text: str) -> str:
    """``text`` as grouping compares it: lexicon concepts and stems, stop words left out.

    "saya lupa kata sandi" and "I forgot my password" both become "forgot password".
    """
    found = _normaliser().words(text)
    content = [word.forms[0] for word in found if not word.stop]
    return " ".join(content or [word.forms[0] for word in found]) or fold(text)


def group_gaps(items: Sequence[GapItem], *, threshold: float = SIMILAR) -> list[GapGroup]:
    """Group similar questions; the largest groups first, then the most recent.

    Each question joins the group whose wordings it resembles most (if at least
    ``threshold``), else starts one: a comparison with a few wordings per group, so the
    cost grows with questions times groups.
    """
    members: list[list[GapItem]] = []
    exact: dict[str, int] = {}  # a normalised wording -> its group, to skip the comparison
    keys: list[str] = []  # the representative wordings compared with, and their groups
    owners: list[int] = []
    shown: Counter[int] = Counter()  # how many representatives each group has
    for item in sorted(items, key=lambda gap: (gap.created_at, gap.id)):
        key = similarity_key(item.query)
        index = exact.get(key)
        if index is None and keys:
            best = process.extractOne(
                key, keys, scorer=fuzz.token_set_ratio, score_cutoff=threshold
            )
            index = owners[best[2]] if best is not None else None
        if index is None:
            index = len(members)
            members.append([])
        if key not in exact:
            exact[key] = index
            if shown[index] < REPRESENTATIVES:
                keys.append(key)
                owners.append(index)
                shown[index] += 1
        members[index].append(item)
    groups = [summarise(group) for group in members]
    return sorted(groups, key=lambda group: (-group.count, -group.last_seen.timestamp()))


def summarise(items: Sequence[GapItem]) -> GapGroup:
    """One group of questions (at least one) counted: wordings, people, reasons, article."""
    wordings: dict[str, tuple[int, datetime, str]] = {}  # folded -> (count, last, as written)
    for item in items:
        folded = fold(item.query)
        count, _, _ = wordings.get(folded, (0, item.created_at, item.query))
        wordings[folded] = (count + 1, item.created_at, item.query)
    ordered = sorted(wordings.values(), key=lambda entry: (-entry[0], -entry[1].timestamp()))
    # an escalated question's best article was too far off to count as matched at all
    articles = Counter(item.article for item in items if item.article and item.reason != ESCALATE)
    return GapGroup(
        wordings=tuple(text for _, _, text in ordered),
        count=len(items),
        people=len({item.user_key for item in items if item.user_key}),
        reasons=dict(Counter(item.reason for item in items)),
        gap_ids=tuple(item.id for item in items),
        first_seen=min(item.created_at for item in items),
        last_seen=max(item.created_at for item in items),
        article=articles.most_common(1)[0][0] if articles else None,
    )
