"""``/kb gaps``, ``/kb draft`` and ``/kb test`` in chat, and ``garda kb test`` on the database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select
from typer.testing import CliRunner

from bot.cli import app
from handlers.desk import Desk
from handlers.gaps import gap_groups
from knowledge.store import BUNDLED
from models.db import make_engine, make_sessions
from models.tables import Article, KnowledgeGap, RegressionCase
from tests.desk.office import AGENTS, L2, L3, Office, migrate, office

EDITOR = "ines"  # an admin: edits the knowledge base
SCANNER = (
    "the barcode scanner in the warehouse beeps but types nothing",
    "barcode scanner types nothing",
    "the warehouse barcode scanner does not type anything",
)  # no article answers it


@pytest.fixture
async def desk(either_url: str) -> AsyncIterator[Office]:
    await migrate(either_url)
    roles = Desk({2: L2, 3: L3}, agents=AGENTS, admins=frozenset({f"console:{EDITOR}"}))
    async with office(either_url, desk=roles) as ready:
        yield ready


async def rows(desk: Office, table: Any) -> list[Any]:
    async with desk.garda.sessions() as session:
        return list((await session.exec(select(table))).all())


async def asked(desk: Office, person: str, problem: str) -> None:
    """``person`` describes a problem no article answers, then gives up."""
    someone = desk.person(person)
    await someone.say(problem)
    await someone.say("/cancel")


# /kb gaps and drafts


async def test_gaps_are_listed_grouped_and_an_editor_drafts_one_with_the_button(
    desk: Office,
) -> None:
    for person, problem in zip(("dewi", "eko", "fitri"), SCANNER, strict=True):
        await asked(desk, person, problem)
    await asked(desk, "gita", "the projector in room B won't turn on")

    ines = desk.person(EDITOR)
    listing = await ines.say("/kb gaps")
    label, *others = SCANNER
    assert f"#1 “{label}” — questions: 3, people: 3 (no article 3)" in listing
    assert f"also: “{others[0]}”, “{others[1]}”" in listing
    assert "#2 “the projector in room B won't turn on” — questions: 1, people: 1" in listing
    assert "weak match 1" in listing and "closest article: laptop-wont-start" in listing
    assert ines.choices == ["Make a draft from #1", "Make a draft from #2"]

    answer = await ines.press("kbgap:1")
    assert "Draft gap-barcode-scanner-warehouse-beeps-types saved from group #1" in answer
    (draft,) = [a for a in await rows(desk, Article) if a.slug.startswith("gap-")]
    assert (draft.draft, draft.enabled, draft.topic, draft.lang) == (True, False, "other", "en")
    assert draft.title == "The barcode scanner in the warehouse beeps but types nothing"
    assert sorted(draft.symptoms) == sorted(SCANNER)
    assert "DRAFT" in draft.body
    scanner = [gap for gap in await rows(desk, KnowledgeGap) if "scanner" in gap.query]
    assert {gap.drafted_as for gap in scanner} == {draft.slug}

    # Drafted groups leave the list (unless asked for); pressing again drafts nothing more.
    listing = await ines.say("/kb gaps 7")
    assert "scanner" not in listing and "#1 “the projector" in listing
    assert "saved from group #1" in await ines.press("kbgap:1")  # now the projector's
    async with desk.garda.sessions() as session:
        everything = await gap_groups(session, include_drafted=True)
    assert [group.count for group in everything] == [3, 1]


async def test_draft_by_number_and_who_may_do_what(desk: Office) -> None:
    await asked(desk, "dewi", SCANNER[0])
    await asked(desk, "eko", SCANNER[1])

    dewi = desk.person("dewi")  # an employee: /kb is not for her
    assert "Only support staff" in await dewi.say("/kb gaps")

    budi = desk.person("budi")  # Level 2: may look, not change
    assert "questions: 2, people: 2" in await budi.say("/kb gaps")
    assert budi.choices == []  # no draft buttons for someone who may not use them
    assert "Only knowledge-base editors" in await budi.press("kbgap:1")
    assert "Only knowledge-base editors" in await budi.say("/kb draft 1")

    ines = desk.person(EDITOR)
    assert "Run /kb gaps first" in await ines.say("/kb draft 1")
    await ines.say("/kb gaps")
    assert "no group #5" in await ines.say("/kb draft 5")
    assert "saved from group #1" in await ines.say("/kb draft 1")
    assert "drafted already" in await ines.say("/kb draft 1")
    assert "No knowledge gaps in the last 30 days" in await ines.say("/kb gaps")


async def test_a_second_draft_of_the_same_wording_gets_its_own_id(desk: Office) -> None:
    ines = desk.person(EDITOR)
    for _ in range(2):
        await asked(desk, "dewi", SCANNER[0])
        await ines.say("/kb gaps")
        await ines.say("/kb draft 1")
    slugs = sorted(a.slug for a in await rows(desk, Article) if a.slug.startswith("gap-"))
    assert slugs == [
        "gap-barcode-scanner-warehouse-beeps-types",
        "gap-barcode-scanner-warehouse-beeps-types-2",
    ]


# /kb test


async def test_kb_test_explains_the_ranking_and_an_editor_saves_a_case(desk: Office) -> None:
    ines = desk.person(EDITOR)
    answer = await ines.say('/kb test "I forgot my password"')
    assert "Decision: answer" in answer
    assert "1. password-reset — Reset a forgotten password · score 0.918" in answer
    assert "matched: “I forgot my password”" in answer
    assert "words: i, forgot, my, password (covers 100% of the query)" in answer
    assert "2. hosting-panel-login" in answer
    assert ines.choices == ["Save: expect password-reset", "Save: expect escalate"]

    assert "Saved: “I forgot my password” must get password-reset" in await ines.press(
        ines.choice_ids[0]
    )
    assert "already a case" in await ines.press("kbcase:0:top")
    assert "must now get escalate" in await ines.press("kbcase:0:escalate")
    (case,) = await rows(desk, RegressionCase)
    assert (case.query, case.expected, case.source, case.author) == (
        "I forgot my password", "escalate", "kb_test", "console:ines",
    )  # fmt: skip


async def test_kb_test_for_staff_who_may_not_save(desk: Office) -> None:
    budi = desk.person("budi")
    answer = await budi.say("/kb test barcode scanner types nothing")
    assert "Decision: escalate" in answer
    assert budi.choices[-1] == "Save: expect escalate"
    assert "Only knowledge-base editors" in await budi.press("kbcase:0:escalate")
    assert "Write the query" in await budi.say("/kb test")
    assert await rows(desk, RegressionCase) == []


async def test_a_solved_conversation_becomes_a_case(desk: Office) -> None:
    ana = desk.person("ana")
    await ana.say("my account is locked")
    await ana.press("solved")
    (case,) = await rows(desk, RegressionCase)
    assert (case.query, case.expected, case.source) == (
        "my account is locked", "account-locked", "solved",
    )  # fmt: skip


# garda kb test


def garda(*args: str | Path) -> Any:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def on_database(either_url: str, change: Any) -> None:
    """Run ``change(session)`` in a transaction on the database at ``url``."""

    async def run() -> None:
        engine = make_engine(either_url)
        try:
            async with make_sessions(engine)() as session, session.begin():
                await change(session)
        finally:
            await engine.dispose()

    asyncio.run(run())


def test_garda_kb_test_reports_every_change_after_the_kb_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("GARDA_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)
    first = garda("kb", "test")  # the first run loads the bundled KB into the database
    assert first.exit_code == 0, first.output
    assert "0 changed (0 case(s) from the database)" in first.stdout

    async def save_cases(session: Any) -> None:
        for query, expected, source in (
            ("printer jammed paper", "printer-not-printing", "solved"),
            ("the coffee machine is leaking", "escalate", "kb_test"),
        ):
            session.add(RegressionCase(query=query, expected=expected, source=source))

    on_database(url, save_cases)
    assert garda("kb", "test").exit_code == 0

    async def disable_printer_article(session: Any) -> None:
        for row in await session.exec(
            select(Article).where(Article.slug == "printer-not-printing")
        ):
            row.enabled = False
            session.add(row)

    on_database(url, disable_printer_article)
    result = garda("kb", "test")
    assert result.exit_code == 1
    changed = [line for line in result.stdout.splitlines() if line.startswith("CHANGED")]
    assert any(
        line.startswith("CHANGED 'printer jammed paper': expected printer-not-printing, now ")
        for line in changed
    )
    assert any(line.startswith("CHANGED 'printer not printing': expected") for line in changed)
    assert all(line.endswith(("(answer)", "(clarify)", "(escalate)")) for line in changed)
    assert "coffee" not in result.stdout  # still no article for it

    # What CI runs: the bundled files against the file's cases only, unchanged.
    bundled = garda("kb", "test", "--kb", BUNDLED)
    assert bundled.exit_code == 0, bundled.output
    assert "0 failed" in bundled.stdout
