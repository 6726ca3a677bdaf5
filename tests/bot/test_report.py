"""``garda report``, ``garda report --html`` and ``garda report gaps``, run as a user would.

The history is the hand-worked one of tests/models/test_analytics.py, seen at its NOW, plus
a few knowledge gaps, one of them (and one topic) written to break a careless HTML page.
Plain (sync) tests: the commands call ``asyncio.run`` themselves.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from bot.app import prepare_database
from bot.cli import app
from models.tables import KnowledgeGap, Person, SupportRequest
from tests.models.test_analytics import NOW, at, seed

EVIL = "<script>alert(1)</script>"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh SQLite file the CLI uses, and a clock stopped at the history's NOW."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("GARDA_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no stray .env or ./garda.db from the checkout
    monkeypatch.setattr("bot.cli_report.utcnow", lambda: NOW)
    return url


@pytest.fixture
def history(database: str) -> str:
    """The database with the hand-worked history, the gaps and the evil topic."""

    async def fill() -> None:
        engine, sessions = await prepare_database(database)
        try:
            await seed(sessions)
            async with sessions() as session, session.begin():
                evil = Person(display_name="Mallory")
                session.add(evil)
                await session.flush()
                assert evil.id is not None
                session.add(
                    SupportRequest(
                        user_key="console:mallory", person_id=evil.id, started_at=at(21, 9),
                        ended_at=at(21, 9, 5), outcome="dropped", topic=EVIL, article=EVIL,
                        feedback="not_solved",
                    )
                )  # fmt: skip
                for user, query, reason, when in GAPS:
                    session.add(
                        KnowledgeGap(query=query, reason=reason, user_key=user,
                                     article="vpn-setup" if "vpn" in query else None,
                                     created_at=when)
                    )  # fmt: skip
        finally:
            await engine.dispose()

    asyncio.run(fill())
    return database


GAPS = [  # (who, question, why, when)
    ("console:ana", "vpn keeps dropping every hour", "escalate", at(10, 10)),
    ("console:budi", "vpn keeps dropping every hour", "not_solved", at(12, 10)),
    ("console:eka", "the vpn keeps dropping every hour", "escalate", at(26, 10)),
    ("console:mallory", EVIL, "weak", at(21, 10)),
    ("console:cici", "teams camera is black", "escalate", at(16, 10)),
    ("console:dedi", "printer on floor 3 is offline", "escalate", at(20, 10, month=10)),  # before
]


def garda(*args: str | Path) -> Result:
    return CliRunner().invoke(app, [str(arg) for arg in args])


def test_report_prints_every_table(history: str) -> None:
    result = garda("report")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Support report, 30 days: 2026-10-31 12:00 to 2026-11-30 12:00 UTC" in out
    # 12 conversations now (Mallory's dropped one joins the 11): 4 deflected
    assert re.search(r"Deflection rate \(deflected / conversations\)\s+4/12 = 33\.3%", out)
    assert re.search(r"2026-W46\s+4\s+2\s+50\.0%", out)
    assert re.search(r"password_reset\s+6\s+3\s+4\s+75\.0%\s+1\s+0\s+1", out)
    assert re.search(r"L2\s+P2\s+4\s+40m\s+1h 30m\s+0", out)  # first response
    assert re.search(r"L3\s+P3\s+1\s+1d\s+1d\s+0", out)  # resolution: 24h
    assert re.search(r"L2\s+5\s+1\s+1\s+3/5 = 60\.0%", out)  # SLA
    assert re.search(r"vpn\s+3\s+3", out)
    assert re.search(r"vpn-setup\s+1\s+2\s+33\.3%", out)
    assert re.search(r"3\s+3\s+vpn keeps dropping every hour\s+escalate 2, not_solved 1\s+vpn", out)


def test_a_short_period_has_a_trend_per_day(history: str) -> None:
    out = garda("report", "--days", "7").output
    assert "Trend per day" in out and re.search(r"2026-11-27\s+1\s+1\s+100\.0%", out)
    assert re.search(r"2026-11-24\s+0\s+0\s+no data", out)


def test_an_empty_database_reports_no_data(database: str) -> None:
    result = garda("report")
    assert result.exit_code == 0, result.output
    assert "Deflection rate (deflected / conversations)  no data" in result.output
    assert result.output.count("no data") >= 8  # the trend, and every empty table
    html = Path("empty.html")
    assert garda("report", "--html", html).exit_code == 0
    assert "<svg" not in html.read_text(encoding="utf-8")


def test_html_report_is_one_offline_page_with_its_charts(history: str, tmp_path: Path) -> None:
    page_file = tmp_path / "report.html"
    result = garda("report", "--html", page_file)
    assert result.exit_code == 0, result.output
    page = page_file.read_text(encoding="utf-8")
    assert page.startswith("<!doctype html>") and "<style>" in page
    svgs = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    titles = [re.search(r"<title>(.*?)</title>", svg).group(1) for svg in svgs]  # type: ignore[union-attr]
    assert titles == [
        "Deflection rate and conversations over time",
        "SLA compliance per tier",
        "Support conversations and tickets per topic",
        "Questions per knowledge gap",
    ]
    trend, sla, topics, gaps = svgs
    assert trend.count("<rect class='bar'") == 6 + 1  # a bar per ISO week, and the legend's
    assert "polyline" in trend and "W46" in trend
    assert ">Level 2<" in sla and ">3/5 = 60.0%<" in sla and ">Level 3<" in sla
    assert ">vpn<" in topics and ">wifi<" in topics and ">3 / 3<" in topics
    assert ">vpn keeps dropping every hour<" in gaps and ">3 (3 people)<" in gaps
    assert "4/12 = 33.3%" in page and "How each figure is counted" in page


def test_html_report_has_no_external_reference_and_escapes_user_text(
    history: str, tmp_path: Path
) -> None:
    page_file = tmp_path / "report.html"
    assert garda("report", "--html", page_file).exit_code == 0
    page = page_file.read_text(encoding="utf-8")
    for forbidden in ("http://", "https://", "<script", "src=", "@import", "url("):
        assert forbidden not in page.casefold(), forbidden
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert page.count(escaped) >= 4  # the topic (chart, table), the article, the gap


def test_report_gaps_lists_the_groups(history: str) -> None:
    result = garda("report", "gaps", "--days", "30")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Knowledge gaps since 2026-10-31 12:00 UTC" in out
    assert (
        "1. 3 questions from 3 people  [escalate 2, not_solved 1]  article: vpn-setup  "
        "(2026-11-10 to 2026-11-26)" in out
    )
    assert "- vpn keeps dropping every hour" in out and "- the vpn keeps dropping" in out
    assert EVIL in out  # a terminal shows it as text: nothing to escape there
    assert "teams camera is black" in out
    assert "printer on floor 3" not in out  # asked before the period


def test_report_gaps_of_a_shorter_period(history: str) -> None:
    out = garda("report", "gaps", "--days", "5").output  # from Nov 25 12:00: eka's only
    assert "1. 1 question from 1 person  [escalate 1]" in out
    assert "the vpn keeps dropping" in out and "teams camera" not in out
