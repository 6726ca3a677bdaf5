"""``garda report [--days N] [--html FILE]`` and ``garda report gaps``: support analytics."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.app import open_database
from bot.cli_common import run_or_exit, settings_or_exit
from bot.report import render_page
from handlers.gaps import gap_groups
from handlers.report_text import gaps_text, gather_report, report_text
from models.analytics import period
from models.tables import utcnow

report_app = typer.Typer(
    help="Support analytics: deflection, self-service, response times, SLA, topics, gaps.",
    invoke_without_command=True,
)
T = TypeVar("T")
Days = Annotated[int, typer.Option(min=1, max=3660, help="The period: this many days to now.")]


def _read(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run ``work`` in one session on the configured database."""
    settings = settings_or_exit()

    async def go() -> T:
        async with open_database(settings.database_url) as sessions, sessions() as session:
            return await work(session)

    return run_or_exit(go())


@report_app.callback()
def report(
    ctx: typer.Context,
    days: Days = 30,
    html: Annotated[
        Path | None, typer.Option(help="Write one self-contained HTML page here instead.")
    ] = None,
) -> None:
    """Print the support figures of the last N days as tables (or write them as HTML)."""
    if ctx.invoked_subcommand is not None:
        return
    start, end = period(days=days, now=utcnow())
    found = _read(lambda session: gather_report(session, start=start, end=end))
    if html is None:
        typer.echo(report_text(found))
        return
    html.write_text(render_page(found), encoding="utf-8")
    typer.echo(f"wrote the report of {days} days to {html}")


@report_app.command("gaps")
def gaps(
    days: Days = 30,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Groups to show.")] = 20,
) -> None:
    """Print the questions the knowledge base answered badly, similar ones grouped."""
    start, _ = period(days=days, now=utcnow())
    groups = _read(lambda session: gap_groups(session, since=start, limit=limit))
    typer.echo(gaps_text(groups, since=start))
