"""Saved query -> expected answer pairs, and checking a knowledge base against them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from knowledge.base import KnowledgeBase
from knowledge.matching import MatchResult
from knowledge.text import load_yaml

BUNDLED_CASES = Path(__file__).parent / "regression.yaml"
NONE = "none"


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
