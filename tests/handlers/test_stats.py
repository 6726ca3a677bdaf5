"""``/stats``: the support summary in chat, for admins only.

The history is the hand-worked one of tests/models/test_analytics.py (see its comments for
every number), with two knowledge gaps; the office's clock stands at that history's NOW.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest

from handlers.desk import Desk
from handlers.report_text import Table, duration
from models.tables import KnowledgeGap
from tests.desk.office import AGENTS, L2, L3, Office, office
from tests.models.test_analytics import NOW, at, minutes, seed

ADMIN = "sari"


@pytest.fixture
async def desk(seeded_template: Path, tmp_path: Path) -> AsyncIterator[Office]:
    path = tmp_path / "garda.db"
    shutil.copyfile(seeded_template, path)
    admins = frozenset({f"console:{ADMIN}"})
    setup = Desk({2: L2, 3: L3}, agents=AGENTS, admins=admins)
    async with office(f"sqlite+aiosqlite:///{path}", desk=setup) as ready:
        await seed(ready.garda.sessions)
        async with ready.garda.sessions() as session, session.begin():
            for user, query, day in (
                ("console:ana", "vpn keeps dropping", 10),
                ("console:eka", "vpn keeps dropping", 26),
                ("console:cici", "teams camera is black", 16),
            ):
                session.add(
                    KnowledgeGap(query=query, reason="escalate", user_key=user,
                                 created_at=at(day, 10))
                )  # fmt: skip
        ready.clock.now = NOW
        yield ready


async def test_an_admin_gets_the_summary(desk: Office) -> None:
    answer = await desk.person(ADMIN).say("/stats")
    # 11 conversations, 4 deflected; L2 3 of 5 met, L3 3 of 4; vpn 3 conversations/3 tickets
    assert answer.splitlines() == [
        "📊 Support in the last 30 days (to 2026-11-30 12:00 UTC)",
        "Deflection: 36.4% (4 of 11 conversations solved or fixed, with no return on the same "
        "topic within 7 days)",
        "Conversations: 11 · Tickets opened: 6",
        "SLA met: L2 60.0% (3/5) · L3 75.0% (3/4)",
        "Top topics (conversations/tickets): vpn 3/3 · email 2/1 · password_reset 2/0",
        "Top knowledge gaps: “vpn keeps dropping” 2 · “teams camera is black” 1",
        "Every table and chart: garda report, or garda report --html report.html",
    ]


async def test_a_shorter_period(desk: Office) -> None:
    # Nov 23 12:00 to Nov 30 12:00: #8 and #10 tickets, #9 fixed -> 1 of 3; tickets #2-#6
    answer = await desk.person(ADMIN).say("/stats 7")
    assert "last 7 days" in answer and "Deflection: 33.3% (1 of 3 conversations" in answer
    assert "Tickets opened: 5" in answer and "“vpn keeps dropping” 1" in answer


async def test_an_empty_period_reads_no_data(desk: Office) -> None:
    desk.clock.now = at(1, 0, month=6)
    answer = await desk.person(ADMIN).say("/stats")
    assert "Deflection: no data (0 of 0 conversations" in answer
    assert "SLA met: none" in answer and "Top knowledge gaps: none" in answer


async def test_in_indonesian(desk: Office) -> None:
    sari = desk.person(ADMIN)
    await sari.say("/lang id")
    answer = await sari.say("/stats")
    assert "Defleksi: 36.4% (4 dari 11 percakapan" in answer
    assert "SLA terpenuhi: L2 60.0% (3/5)" in answer


@pytest.mark.parametrize("args", ["abc", "0", "9999", "-3"])
async def test_a_bad_period_is_explained(desk: Office, args: str) -> None:
    answer = await desk.person(ADMIN).say(f"/stats {args}")
    assert "/stats N for the last N days (1 to 366)" in answer


@pytest.mark.parametrize("who", ["ana", "budi"])  # an employee, and a Level 2 agent
async def test_others_are_refused(desk: Office, who: str) -> None:
    answer = await desk.person(who).say("/stats")
    assert answer == (
        "Only admins can see the support figures. To ask about a problem, just describe it to me."
    )


async def test_stats_is_not_in_an_employees_help(desk: Office) -> None:
    assert "/stats" not in await desk.person("ana").say("/help")


def test_text_tables_align_and_say_no_data() -> None:
    table = Table("Things", ("name", "count"), (("a", "1"), ("longer", "22")), "lr")
    assert table.text() == "Things\n  name    count\n  a           1\n  longer     22"
    assert Table("Empty", ("name",), (), "l").text() == "Empty\n  no data"


@pytest.mark.parametrize(
    ("span", "text"),
    [(minutes(0.5), "30s"), (minutes(40), "40m"), (minutes(90), "1h 30m"), (minutes(120), "2h"),
     (minutes(1440), "1d"), (minutes(1500), "1d 1h"), (None, "-")],
)  # fmt: skip
def test_durations_read_short(span: timedelta | None, text: str) -> None:
    assert duration(span) == text
