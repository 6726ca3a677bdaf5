"""Grouping knowledge gaps: the same question in other words, languages or typos counts once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count

from knowledge.gaps import (
    ESCALATE,
    NOT_SOLVED,
    WEAK,
    GapItem,
    group_gaps,
    similarity_key,
    weak_reason,
)
from knowledge.matching import Decision, Match, MatchResult

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
_ids = count(1)


def gap(query: str, *, user: str = "console:ana", reason: str = ESCALATE, hours: float = 0,
        article: str | None = None) -> GapItem:  # fmt: skip
    return GapItem(
        id=next(_ids),
        query=query,
        reason=reason,
        created_at=START + timedelta(hours=hours),
        user_key=user,
        article=article,
    )


def test_the_same_question_in_english_indonesian_and_with_typos_is_one_group() -> None:
    groups = group_gaps(
        [
            gap("the Teams camera is black", user="console:ana"),
            gap("kamera teams hitam", user="console:budi", hours=1),
            gap("my teams camra shows black", user="console:citra", hours=2, reason=WEAK),
            gap("the coffee machine on floor 3 is leaking", user="console:dewi", hours=3),
            gap("coffee machine leaks", user="console:eko", hours=4),
            gap("how do I book a meeting room", user="console:ana", hours=5),
        ]
    )
    assert [group.count for group in groups] == [3, 2, 1]
    camera, coffee, room = groups
    assert set(camera.wordings) == {
        "the Teams camera is black",
        "kamera teams hitam",
        "my teams camra shows black",
    }
    assert camera.people == 3
    assert dict(camera.reasons) == {ESCALATE: 2, WEAK: 1}
    assert camera.first_seen == START and camera.last_seen == START + timedelta(hours=2)
    assert len(camera.gap_ids) == 3
    assert "coffee machine leaks" in coffee.wordings
    assert room.label == "how do I book a meeting room"


def test_the_same_wording_counts_once_as_a_wording_and_the_most_asked_labels_the_group() -> None:
    groups = group_gaps(
        [
            gap(
                "jira login fails", user="console:ana", reason=NOT_SOLVED, article="password-reset"
            ),
            gap("I can't log in to Jira", user="console:budi", hours=1, article="password-reset"),
            gap("i can't log in to jira!", user="console:budi", hours=2),
            gap("I can't log in to jira", user="console:ana", hours=3, article="mfa-new-phone"),
        ]
    )
    assert len(groups) == 1
    (jira,) = groups
    assert jira.count == 4 and jira.people == 2
    assert jira.label.casefold().startswith("i can't log in to jira")
    assert len(jira.wordings) == 2  # punctuation and case do not make another wording
    assert jira.article == "password-reset"  # the article most often (weakly) matched
    assert dict(jira.reasons) == {NOT_SOLVED: 1, ESCALATE: 3}


def test_groups_are_ordered_by_count_then_by_recency() -> None:
    groups = group_gaps(
        [
            gap("printer on floor 2 prints blank pages", hours=0),
            gap("printer on floor 2 prints blank pages", user="console:budi", hours=1),
            gap("parking badge does not open the gate", hours=2),
            gap("projector in room B won't turn on", hours=5),
        ]
    )
    assert [group.label for group in groups] == [
        "printer on floor 2 prints blank pages",
        "projector in room B won't turn on",  # one each: the more recent first
        "parking badge does not open the gate",
    ]


def test_no_gaps_no_groups() -> None:
    assert group_gaps([]) == []


def test_similarity_key_speaks_one_language() -> None:
    assert similarity_key("saya lupa kata sandi") == similarity_key("I forgot my password")


def test_escalations_clarifications_and_near_threshold_answers_are_gaps() -> None:
    def result(decision: Decision, score: float) -> MatchResult:
        return MatchResult(decision, (Match("vpn-drops", score, "vpn drops", coverage=1.0),))

    assert weak_reason(MatchResult(Decision.ESCALATE, ())) == ESCALATE
    assert weak_reason(result(Decision.CLARIFY, 0.45)) == WEAK
    assert weak_reason(result(Decision.ANSWER, 0.52)) == WEAK
    assert weak_reason(result(Decision.ANSWER, 0.80)) is None
    assert weak_reason(MatchResult(Decision.ESCALATE, (), small_talk="thanks")) is None


def test_grouping_thousands_stays_quick() -> None:
    topics = ["vpn drops at home", "printer jam floor {n}", "teams camera black", "wifi slow"]
    items = [
        gap(topics[n % 4].format(n=n % 7) + f" case {n % 13}", user=f"console:u{n}", hours=n / 60)
        for n in range(3000)
    ]
    groups = group_gaps(items)
    assert sum(group.count for group in groups) == 3000
    assert len(groups) < 60
