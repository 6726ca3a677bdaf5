"""Decision boundaries: answer, clarify, escalate."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.articles import read_folder
from knowledge.matching import (
    ANSWER_AT,
    CLARIFY_AT,
    MARGIN,
    MIN_CONTENT_COVERAGE,
    Decision,
    Match,
    Matcher,
    _decide,
)
from knowledge.store import BUNDLED


def ranked(*scores: float, coverage: float = 1.0) -> tuple[Match, ...]:
    return tuple(Match(f"a{i}", s, "", ("w",), coverage) for i, s in enumerate(scores))


@pytest.mark.parametrize(
    ("matches", "decision"),
    [
        (ranked(), Decision.ESCALATE),
        (ranked(CLARIFY_AT - 0.01), Decision.ESCALATE),  # too weak
        (ranked(CLARIFY_AT), Decision.CLARIFY),
        (ranked(ANSWER_AT, ANSWER_AT - MARGIN + 0.01), Decision.CLARIFY),  # a near tie
        (ranked(ANSWER_AT, ANSWER_AT - MARGIN - 0.01), Decision.ANSWER),
        (ranked(0.95), Decision.ANSWER),
        (ranked(0.95, coverage=MIN_CONTENT_COVERAGE - 0.01), Decision.CLARIFY),  # half-explained
        (ranked(0.95, coverage=0.0), Decision.ESCALATE),  # nothing meaningful in common
    ],
)
def test_decision_boundaries(matches: tuple[Match, ...], decision: Decision) -> None:
    assert _decide(matches) is decision


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(read_folder(BUNDLED))


@pytest.mark.parametrize(
    "text",
    [
        "",
        " " * 1000,
        "?!?!..;;",
        "🙂" * 500,
        "x" * 100_000,
        "printer " * 20_000,  # 160 KB of one word
        "\x00\x01\x02\ud800\uffff",
        "<!channel> @here DROP TABLE article; --",
        "汉字 العربية кириллица",
    ],
)
def test_any_input_gets_a_decision(matcher: Matcher, text: str) -> None:
    result = matcher.match(text)
    assert result.decision in set(Decision)
    assert len(result.matches) <= 3


SMALL = Matcher(read_folder(BUNDLED)[:6])


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_no_text_makes_the_matcher_fail(text: str) -> None:
    result = SMALL.match(text)
    assert result.decision in set(Decision)
    assert all(0.0 <= match.score <= 1.5 for match in result.matches)
