"""Saved query -> expected answer pairs, and checking a knowledge base against them.

Cases come from two places: the bundled file (``regression.yaml``, what CI checks the
bundled articles against) and the database (``RegressionCase``: saved from ``/kb test`` by
an editor, or from a conversation the requester said an article solved).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from knowledge.base import KnowledgeBase
from knowledge.matching import Decision, MatchResult
from knowledge.text import fold, load_yaml
from models.tables import RegressionCase, utcnow

BUNDLED_CASES = Path(__file__).parent / "regression.yaml"
NONE = "none"
ESCALATE = "escalate"  # a stored case's expectation that no article is given as the answer
KB_TEST, SOLVED = "kb_test", "solved"  # where a stored case came from
MAX_QUERY = 500


class Saved(enum.StrEnum):
    """What saving a case did."""

    CREATED = "created"
    UPDATED = "updated"  # an editor changed what the query must get
    KEPT = "kept"  # the query was a case already; left as it was


@dataclass(frozen=True)
class Case:
    """One saved query and what the knowledge base must do with it."""

    query: str
    expect: tuple[str, ...]  # acceptable top articles, or ("none",)
    decision: str | None = None
    small_talk: str | None = None


@dataclass(frozen=True)
class Outcome:
    """A case and what actually happened."""

    case: Case
    result: MatchResult
    problem: str | None  # None when the case passed


def load_cases(path: Path = BUNDLED_CASES) -> list[Case]:
    """Read a regression file (a YAML list of cases)."""
    raw = load_yaml(path.read_text(encoding="utf-8")) or []
    if not isinstance(raw, list):
        raise ValueError(f"{path}: expected a list of cases")
    cases = []
    for number, item in enumerate(raw, start=1):
        if not isinstance(item, dict) or "query" not in item or "expect" not in item:
            raise ValueError(f"{path}: case {number} needs a query and an expect")
        expect = item["expect"]
        expected = tuple(str(e) for e in expect) if isinstance(expect, list) else (str(expect),)
        cases.append(
            Case(str(item["query"]), expected, item.get("decision"), item.get("small_talk"))
        )
    return cases


def check(kb: KnowledgeBase, cases: list[Case]) -> list[Outcome]:
    """Run every case; each outcome says what went wrong, if anything."""
    return [_check(case, kb.match(case.query)) for case in cases]


def _check(case: Case, result: MatchResult) -> Outcome:
    top = result.best.article if result.best else None
    problem = None
    if case.expect == (NONE,):
        if result.decision.value == "answer":
            problem = f"answered with {top}, expected no article"
    elif top not in case.expect:
        problem = f"ranked {top or 'nothing'} first, expected {' or '.join(case.expect)}"
    elif result.decision.value == "escalate":
        problem = f"found {top} but escalated"
    if problem is None and case.decision and result.decision.value != case.decision:
        problem = f"decided {result.decision.value}, expected {case.decision}"
    if problem is None and case.small_talk and result.small_talk != case.small_talk:
        problem = f"small talk {result.small_talk}, expected {case.small_talk}"
    return Outcome(case, result, problem)


async def save_case(
    session: AsyncSession, *, query: str, expected: str, source: str, author: str = ""
) -> Saved:
    """Store ``query`` -> ``expected`` (an article id or ``escalate``), once per folded query.

    Saving again from ``/kb test`` changes the expectation (an editor decided); a solved
    conversation never overrides a case that exists.
    """
    query = query.strip()[:MAX_QUERY]
    folded = fold(query)
    rows = await session.exec(select(RegressionCase))
    existing = next((row for row in rows if fold(row.query) == folded), None)
    if existing is None:
        session.add(
            RegressionCase(
                query=query, expected=expected, source=source, author=author, created_at=utcnow()
            )
        )
        await session.flush()
        return Saved.CREATED
    if source != KB_TEST or existing.expected == expected:
        return Saved.KEPT
    existing.expected, existing.source, existing.author = expected, source, author
    session.add(existing)
    await session.flush()
    return Saved.UPDATED


async def stored_cases(session: AsyncSession) -> list[Case]:
    """The database's cases, oldest first; ``escalate`` means no article may be the answer."""
    rows = await session.exec(select(RegressionCase).order_by(col(RegressionCase.id)))
    return [
        Case(row.query, (NONE,) if row.expected == ESCALATE else (row.expected,)) for row in rows
    ]


def merge_cases(*sources: Sequence[Case]) -> list[Case]:
    """Every case once per folded query; a later source's case replaces an earlier one."""
    merged: dict[str, Case] = {}
    for cases in sources:
        for case in cases:
            merged[fold(case.query)] = case
    return list(merged.values())


def change_line(outcome: Outcome) -> str:
    """``CHANGED 'query': expected X, now Y (decision)`` for a case that no longer passes."""
    result = outcome.result
    expected = " or ".join(ESCALATE if e == NONE else e for e in outcome.case.expect)
    best = result.best
    now = (
        best.article if best is not None and result.decision is not Decision.ESCALATE else ESCALATE
    )
    return f"CHANGED {outcome.case.query!r}: expected {expected}, now {now} ({result.decision})"
