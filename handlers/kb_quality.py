"""``/kb test|gaps|draft``: how well the knowledge base answers, from chat.

``/kb test`` shows how a query matches, and why, and saves it as a regression case that
``garda kb test`` checks from then on. ``/kb gaps`` lists the questions Level I answered
badly, grouped by similarity; ``/kb draft N`` (or the listing's button) makes a draft article
from group N. The listing and the tested queries are kept in ``turn.data`` so that the
buttons, pressed later, know what they refer to.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from handlers.errors import UserFacingError
from handlers.gaps import draft_from_group, gap_groups, group_of
from handlers.kb_commands import KbCommands
from handlers.messages import Choice, Reply
from handlers.outcomes import scrub
from handlers.router import Routes
from handlers.states import State
from handlers.text import shorten
from handlers.turn import Turn
from knowledge.gaps import GapGroup
from knowledge.matching import MatchResult
from knowledge.regression import ESCALATE, KB_TEST, save_case

commands = KbCommands()
routes = Routes()

CASE_CHOICE = "kbcase:"  # + test number + ":top" or ":escalate"
DRAFT_CHOICE = "kbgap:"  # + group number of the last listing
LISTING, TESTS = "kb_gaps", "kb_tests"  # turn.data keys
DEFAULT_DAYS, MAX_DAYS = 30, 3650
SHOWN = 10  # groups listed
BUTTONS = 5  # of which get a "make a draft" button
WORDINGS = 3  # example wordings per group
KEPT_TESTS = 5  # tested queries whose save buttons still work
QUOTES = "\"'\u201c\u201d\u2018\u2019\u00ab\u00bb"  # straight, curly and angle quotes


# /kb test


@commands.command("test", edits=False)
async def test_query(turn: Turn) -> State | None:
    """/kb test "QUERY" — how a query matches, and why; save it as a regression case"""
    query = scrub(turn.args.strip().strip(QUOTES).strip())
    if not query:
        raise UserFacingError("quality.test.usage")
    result = turn.kb.match(query)
    turn.say_text(_explain(turn, query, result))
    tests: list[dict[str, Any]] = turn.data.get(TESTS) or []
    top = result.best.article if result.best else None
    tests = [*tests, {"query": query, "top": top}][-KEPT_TESTS:]
    turn.data[TESTS] = tests
    number = len(tests) - 1
    choices = []
    if top is not None:
        label = turn.t("quality.test.save_top", article=top)
        choices.append(Choice(f"{CASE_CHOICE}{number}:top", label))
    choices.append(Choice(f"{CASE_CHOICE}{number}:escalate", turn.t("quality.test.save_escalate")))
    turn.replies.append(Reply(turn.t("quality.test.ask_save"), tuple(choices)))
    return None


def _explain(turn: Turn, query: str, result: MatchResult) -> str:
    """The decision and the ranking, with what matched and how much of the query it covers."""
    lines = [turn.t("quality.test.head", query=query, decision=_decision(turn, result))]
    for rank, match in enumerate(result.matches, start=1):
        doc = turn.kb.article(match.article, turn.lang)
        lines.append(
            turn.t(
                "quality.test.match",
                rank=rank,
                article=match.article,
                title=doc.title if doc else "—",
                score=f"{match.score:.3f}",
                matched=match.matched,
                words=", ".join(match.words) or turn.t("quality.test.no_words"),
                coverage=f"{match.coverage:.0%}",
            )
        )
    if not result.matches:
        lines.append(turn.t("quality.test.nothing"))
    return "\n".join(lines)


def _decision(turn: Turn, result: MatchResult) -> str:
    if result.small_talk is not None:
        return turn.t("quality.test.small_talk", kind=result.small_talk)
    return turn.t(f"quality.decision.{result.decision.value}")


@routes.choice(CASE_CHOICE)
async def save_tested(turn: Turn) -> State | None:
    """A "Save: expect ..." button: store the tested query as a case (editors only)."""
    if not turn.desk.can_edit_kb(turn.message.user_key):  # checked when pressed
        raise UserFacingError("kb.edit_not_allowed")
    number, _, which = (turn.message.choice or "").removeprefix(CASE_CHOICE).partition(":")
    tests: list[dict[str, Any]] = turn.data.get(TESTS) or []
    if not number.isdigit() or int(number) >= len(tests):
        raise UserFacingError("quality.expired")
    test = tests[int(number)]
    expected = test["top"] if which == "top" and test["top"] else ESCALATE
    saved = await save_case(
        turn.session,
        query=test["query"],
        expected=expected,
        source=KB_TEST,
        author=turn.message.user_key,
    )
    turn.say(f"quality.case.{saved.value}", query=test["query"], expected=expected)
    return None


# /kb gaps and /kb draft


@commands.command("gaps", edits=False)
async def show_gaps(turn: Turn) -> State | None:
    """/kb gaps [DAYS] — the questions answered badly, grouped, most asked first"""
    text = turn.args.strip() or str(DEFAULT_DAYS)
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise UserFacingError("quality.gaps.usage", most=MAX_DAYS)
    days = int(text)
    groups = await gap_groups(turn.session, since=turn.now - timedelta(days=days), limit=SHOWN)
    turn.data[LISTING] = [list(group.gap_ids) for group in groups]
    if not groups:
        turn.say("quality.gaps.none", days=days)
        return None
    lines = [turn.t("quality.gaps.head", days=days)]
    lines += [_describe(turn, number, group) for number, group in enumerate(groups, start=1)]
    choices: tuple[Choice, ...] = ()
    if turn.desk.can_edit_kb(turn.message.user_key):
        lines.append(turn.t("quality.gaps.hint"))
        choices = tuple(
            Choice(f"{DRAFT_CHOICE}{n}", turn.t("quality.gaps.draft", number=n))
            for n in range(1, min(len(groups), BUTTONS) + 1)
        )
    turn.replies.append(Reply("\n\n".join(lines), choices))
    return None


def _describe(turn: Turn, number: int, group: GapGroup) -> str:
    """One group: its label, how many asked, why, other wordings and the closest article."""
    reasons = ", ".join(
        f"{turn.t(f'quality.reason.{reason}')} {count}"
        for reason, count in sorted(group.reasons.items(), key=lambda item: -item[1])
    )
    lines = [
        turn.t(
            "quality.gaps.group",
            number=number,
            label=shorten(group.label, 120),
            count=group.count,
            people=group.people,
            reasons=reasons,
        )
    ]
    others = [f"“{shorten(w, 80)}”" for w in group.wordings[1 : WORDINGS + 1]]
    if others:
        lines.append(turn.t("quality.gaps.also", wordings=", ".join(others)))
    if group.article:
        lines.append(turn.t("quality.gaps.article", article=group.article))
    else:
        lines.append(turn.t("quality.gaps.no_article"))
    return "\n".join(lines)


@commands.command("draft", edits=True)
async def draft(turn: Turn) -> State | None:
    """/kb draft N — make a draft article from group N of the last /kb gaps"""
    number = turn.args.strip().lstrip("#")
    if not number.isdigit() or len(number) > 4:
        raise UserFacingError("quality.draft.usage")
    await _draft(turn, int(number))
    return None


@routes.choice(DRAFT_CHOICE)
async def draft_pressed(turn: Turn) -> State | None:
    """A "Make a draft from #N" button (editors only, checked when pressed)."""
    if not turn.desk.can_edit_kb(turn.message.user_key):
        raise UserFacingError("kb.edit_not_allowed")
    number = (turn.message.choice or "").removeprefix(DRAFT_CHOICE)
    if not number.isdigit():
        raise UserFacingError("quality.expired")
    await _draft(turn, int(number))
    return None


async def _draft(turn: Turn, number: int) -> None:
    """Draft group ``number`` of the last listing, and say what was made."""
    listing: list[list[int]] = turn.data.get(LISTING) or []
    if not 1 <= number <= len(listing):
        raise UserFacingError("quality.draft.unknown", number=number)
    group = await group_of(turn.session, listing[number - 1])
    if group is None:
        raise UserFacingError("quality.draft.already", number=number)
    slug = await draft_from_group(turn.session, group, author=turn.message.user_key)
    turn.say("quality.draft.done", slug=slug, number=number, count=len(group.wordings))
