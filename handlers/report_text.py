"""The support report as tables: gathered once, printed as aligned text (terminal, chat) or
rendered as HTML by ``bot.report``. Every figure is in :mod:`models.analytics`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.gaps import gap_groups
from handlers.text import shorten
from knowledge.gaps import GapGroup
from models.analytics import Figures, Rate, Timings, support_figures
from models.analytics.figures import RETURN_WINDOW

NO_DATA = "no data"
TOP_GAPS = 10  # gap groups in the report
CELL = 60  # characters of a question or a topic in a text table


@dataclass(frozen=True)
class Report:
    """The figures of one period and its largest knowledge gaps."""

    figures: Figures
    gaps: tuple[GapGroup, ...]


async def gather_report(
    session: AsyncSession, *, start: datetime, end: datetime, gaps: int = TOP_GAPS
) -> Report:
    """Every figure of [start, end) and the ``gaps`` largest gap groups since ``start``."""
    figures = await support_figures(session, start=start, end=end)
    groups = await gap_groups(session, since=figures.start, limit=gaps)
    return Report(figures, tuple(g for g in groups if g.first_seen < figures.end))


@dataclass(frozen=True)
class Table:
    """A titled table of text cells; ``align`` has an ``l`` or ``r`` per column."""

    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    align: str

    def text(self) -> str:
        """The table as plain aligned columns under its title ("no data" when empty)."""
        if not self.rows:
            return f"{self.title}\n  {NO_DATA}"
        lines = [self.headers, *self.rows]
        widths = [max(len(line[i]) for line in lines) for i in range(len(self.headers))]
        out = [self.title]
        for line in lines:
            cells = [
                cell.rjust(width) if side == "r" else cell.ljust(width)
                for cell, width, side in zip(line, widths, self.align, strict=True)
            ]
            out.append("  " + "  ".join(cells).rstrip())
        return "\n".join(out)


def percent(rate: Rate, *, none: str = NO_DATA) -> str:
    """``36.4%``, or ``none`` without data."""
    value = rate.value
    return none if value is None else f"{value:.1%}"


def share(rate: Rate, *, none: str = NO_DATA) -> str:
    """``4/11 = 36.4%``: the share with its numerator and denominator."""
    return f"{rate.part}/{rate.whole} = {percent(rate)}" if rate.whole else none


def duration(span: timedelta | None) -> str:
    """``2d 3h``, ``2h 15m``, ``40m``, ``30s``; ``-`` for none."""
    if span is None:
        return "-"
    seconds = round(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    mins, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {mins}m" if mins else f"{hours}h"
    return f"{mins}m" if mins else f"{secs}s"


def heading(figures: Figures) -> str:
    """What the report covers: ``Support report, 30 days: 2026-10-31 12:00 to … UTC``."""
    return (
        f"Support report, {figures.days} days: {figures.start:%Y-%m-%d %H:%M} to "
        f"{figures.end:%Y-%m-%d %H:%M} UTC"
    )


def report_tables(report: Report) -> list[Table]:
    """Every table of the report, in reading order."""
    f = report.figures
    return [
        summary_table(f),
        Table(
            f"Trend per {f.trend_unit}",
            (f.trend_unit, "conversations", "deflected", "deflection"),
            tuple(
                (
                    p.label,
                    str(p.deflection.conversations),
                    str(p.deflection.rate.part),
                    percent(p.deflection.rate),
                )
                for p in f.trend
            ),
            "lrrr",
        ),
        Table(
            "Self-service per action (success = done / ran; ran = done+nothing+not_found+failed)",
            ("action", "attempts", "done", "ran", "success", "refused", "limited", "cancelled"),
            tuple(
                (
                    a.action,
                    str(a.attempts),
                    str(a.count("done")),
                    str(a.success.whole),
                    percent(a.success),
                    str(a.count("refused")),
                    str(a.count("limited")),
                    str(a.count("cancelled")),
                )
                for a in f.self_service
            ),
            "lrrrrrrr",
        ),
        timings_table(
            "Time to first response per tier and priority",
            f.first_response,
            ("answered", "waiting"),
        ),
        timings_table(
            "Time to resolution per tier and priority", f.resolution, ("resolved", "unresolved")
        ),
        Table(
            "SLA compliance per tier (no ack or resolve breach at that tier)",
            ("tier", "reached", "ack breached", "resolve breached", "met"),
            tuple(
                (
                    f"L{s.tier}",
                    str(s.reached),
                    str(s.ack_breached),
                    str(s.resolve_breached),
                    share(s.met),
                )
                for s in f.sla
            ),
            "lrrrr",
        ),
        Table(
            "Top topics",
            ("topic", "conversations", "tickets"),
            tuple((shorten(t.topic, CELL), str(t.conversations), str(t.tickets)) for t in f.topics),
            "lrr",
        ),
        Table(
            'Article helpfulness (answers to "did it help?")',
            ("article", "helped", "did not", "helpful"),
            tuple(
                (shorten(a.article, CELL), str(a.helpful), str(a.unhelpful), percent(a.share))
                for a in f.articles
            ),
            "lrrr",
        ),
        gap_table(report.gaps),
    ]


def summary_table(f: Figures) -> Table:
    """Conversations by outcome, deflection with its numerator and denominator, tickets."""
    d = f.deflection
    days = RETURN_WINDOW.days
    rows = [("Support conversations", str(f.conversations))]
    rows += [(f"  {outcome}", str(count)) for outcome, count in f.outcomes.items()]
    rows += [
        ("Solved or fixed", str(d.resolved)),
        (f"  of which came back within {days} days", str(d.returned)),
        ("Deflection rate (deflected / conversations)", share(d.rate)),
        ("Tickets opened", str(f.tickets)),
    ]
    return Table("Summary", ("figure", "value"), tuple(rows), "lr")


def timings_table(title: str, timings: Sequence[Timings], counted: tuple[str, str]) -> Table:
    """Per tier and priority: how many were measured, median, p90, and how many still wait."""
    return Table(
        title,
        ("tier", "priority", counted[0], "median", "p90", counted[1]),
        tuple(
            (
                f"L{t.tier}",
                t.priority,
                str(t.count),
                duration(t.median),
                duration(t.p90),
                str(t.pending),
            )
            for t in timings
        ),
        "llrrrr",
    )


def gap_table(groups: Sequence[GapGroup]) -> Table:
    """The largest knowledge gaps: questions, people, the most asked wording, why."""
    return Table(
        "Top knowledge gaps",
        ("questions", "people", "most asked wording", "reasons", "article"),
        tuple(
            (str(g.count), str(g.people), shorten(g.label, CELL), reasons(g), g.article or "-")
            for g in groups
        ),
        "rrlll",
    )


def reasons(group: GapGroup) -> str:
    """``escalate 3, weak 1``: why its questions are gaps, most common first."""
    ordered = sorted(group.reasons.items(), key=lambda item: (-item[1], item[0]))
    return ", ".join(f"{reason} {count}" for reason, count in ordered)


def plural(count: int, one: str, many: str | None = None) -> str:
    """``1 question``, ``3 questions``."""
    return f"{count} {one if count == 1 else many or one + 's'}"


def report_text(report: Report) -> str:
    """The whole report as text: a heading, then every table."""
    blocks = [heading(report.figures), *(table.text() for table in report_tables(report))]
    return "\n\n".join(blocks)


def gaps_text(groups: Sequence[GapGroup], *, since: datetime, wordings: int = 5) -> str:
    """Each gap group with its count, people, reasons, article and most asked wordings."""
    if not groups:
        return f"Knowledge gaps since {since:%Y-%m-%d %H:%M} UTC\n  {NO_DATA}"
    lines = [f"Knowledge gaps since {since:%Y-%m-%d %H:%M} UTC: {len(groups)} groups"]
    for rank, group in enumerate(groups, start=1):
        asked = f"{plural(group.count, 'question')} from {plural(group.people, 'person', 'people')}"
        lines.append(
            f"{rank:>3}. {asked}  "
            f"[{reasons(group)}]  article: {group.article or '-'}  "
            f"({group.first_seen:%Y-%m-%d} to {group.last_seen:%Y-%m-%d})"
        )
        lines += [f"       - {shorten(text, CELL * 2)}" for text in group.wordings[:wordings]]
        if len(group.wordings) > wordings:
            lines.append(f"       … and {len(group.wordings) - wordings} more wordings")
    return "\n".join(lines)
