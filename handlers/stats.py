"""``/stats [days]``: a short support summary in chat, for admins only.

The same figures as ``garda report`` (see :mod:`models.analytics`), cut to what fits a
message: deflection, volume, SLA per tier, the top topics and knowledge gaps.
"""

from __future__ import annotations

from handlers.errors import UserFacingError
from handlers.report_text import Report, gather_report, percent
from handlers.router import Routes
from handlers.states import State
from handlers.text import shorten
from handlers.turn import Turn
from models.analytics import period

routes = Routes()
DEFAULT_DAYS = 30
MAX_DAYS = 366
TOP = 3  # topics and gaps in the summary
GAP_LABEL = 50  # characters of a gap's wording


@routes.command("stats", hidden=True)
async def stats(turn: Turn) -> State | None:
    """/stats [days] — support figures of the last 30 (or N) days: admins only."""
    if turn.message.user_key not in turn.desk.admins:
        raise UserFacingError("stats.not_allowed")
    days = parse_days(turn.args)
    start, end = period(days=days, now=turn.now)
    report = await gather_report(turn.session, start=start, end=end, gaps=TOP)
    turn.say_text(summary(turn, report, days=days))
    return None


def parse_days(args: str) -> int:
    """The period asked for: nothing for the default, else a whole number of days."""
    text = args.strip()
    if not text:
        return DEFAULT_DAYS
    if not text.isdigit() or not 1 <= int(text) <= MAX_DAYS:
        raise UserFacingError("stats.usage", max=MAX_DAYS)
    return int(text)


def summary(turn: Turn, report: Report, *, days: int) -> str:
    """The summary message in the user's language."""
    f = report.figures
    none, no_data = turn.t("stats.none"), turn.t("stats.no_data")
    rate = f.deflection.rate
    tiers = [
        turn.t(
            "stats.sla_tier",
            tier=s.tier,
            rate=percent(s.met, none=no_data),
            part=s.met.part,
            whole=s.met.whole,
        )
        for s in f.sla
    ]
    topics = [f"{t.topic} {t.conversations}/{t.tickets}" for t in f.topics[:TOP]]
    gaps = [f"“{shorten(g.label, GAP_LABEL)}” {g.count}" for g in report.gaps[:TOP]]
    lines = [
        turn.t("stats.heading", days=days, end=f"{f.end:%Y-%m-%d %H:%M}"),
        turn.t(
            "stats.deflection",
            rate=percent(rate, none=no_data),
            part=rate.part,
            whole=rate.whole,
        ),
        turn.t("stats.volume", conversations=f.conversations, tickets=f.tickets),
        turn.t("stats.sla", tiers=" · ".join(tiers) or none),
        turn.t("stats.topics", topics=" · ".join(topics) or none),
        turn.t("stats.gaps", gaps=" · ".join(gaps) or none),
        turn.t("stats.more"),
    ]
    return "\n".join(lines)
