"""``garda report --html``: the support report as one self-contained HTML page.

Inline CSS and inline SVG charts, no script and no external reference, so the file opens
offline and can be mailed. Every text that came from users or the knowledge base (topics,
gap wordings, article ids, actions) goes through :func:`html.escape`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from handlers.report_text import (
    Report,
    Table,
    heading,
    percent,
    plural,
    report_tables,
    share,
)
from handlers.text import shorten
from models.analytics import FORMULAS, TrendPoint

WIDTH = 680  # every chart's width in SVG units; the page scales it down on a phone
BAR_LABEL = 210  # room for the labels left of horizontal bars
ROW = 24  # height of one horizontal bar's row
LABEL_CHARS = 30  # characters of a label drawn in a chart (the full text is its tooltip)
TOP_BARS = 10

STYLE = """
:root { color-scheme: light dark; --ink: #1d2430; --muted: #5b6472; --line: #d5dae1;
  --bar: #2f6fb3; --bar2: #9bbce0; --good: #2e8b57; --bg: #fff; --card: #f4f6f9; }
@media (prefers-color-scheme: dark) { :root { --ink: #e6e9ee; --muted: #a3acb9;
  --line: #3a4250; --bar: #5b9be0; --bar2: #345a85; --good: #5cc48a; --bg: #14181f;
  --card: #1d232d; } }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
main { max-width: 980px; margin: 0 auto; padding: 24px 16px 64px; }
h1 { margin: 0 0 4px; font-size: 26px; } h2 { margin: 36px 0 8px; font-size: 19px; }
h3 { margin: 24px 0 6px; font-size: 15px; } .muted { color: var(--muted); }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr));
  gap: 12px; margin-top: 20px; }
.card { background: var(--card); border-radius: 8px; padding: 12px 14px; }
.card b { display: block; font-size: 24px; } .card span { color: var(--muted); font-size: 13px; }
figure { margin: 8px 0 0; } svg { max-width: 100%; height: auto; display: block; }
svg text { fill: var(--ink); font-size: 12px; } svg .muted { fill: var(--muted); }
svg .bar { fill: var(--bar); } svg .bar2 { fill: var(--bar2); } svg .track { fill: var(--card); }
svg .grid { stroke: var(--line); }
svg .line { fill: none; stroke: var(--good); stroke-width: 2.5; } svg .dot { fill: var(--good); }
table { border-collapse: collapse; margin: 4px 0 8px; font-size: 14px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--line); text-align: left; }
td.r, th.r { text-align: right; font-variant-numeric: tabular-nums; }
dt { font-weight: 600; margin-top: 10px; } dd { margin: 2px 0 0 0; }
"""


@dataclass(frozen=True)
class Bar:
    """One row of a horizontal bar chart: its values (one per series) and the text after it."""

    label: str
    values: tuple[float, ...]
    caption: str


def render_page(report: Report) -> str:
    """The whole report as one HTML document."""
    f = report.figures
    title = heading(f)
    sections = [
        f"<h1>Garda support report</h1><p class='muted'>{escape(title)}</p>",
        _cards(report),
        "<h2>Deflection and volume</h2>",
        trend_chart(f.trend, unit=f.trend_unit),
        "<h2>SLA compliance per tier</h2>",
        bar_chart(
            "SLA compliance per tier",
            [Bar(f"Level {s.tier}", (100 * (s.met.value or 0),), share(s.met)) for s in f.sla],
            scale=100,
            track=True,
        ),
        "<h2>Top topics</h2>",
        bar_chart(
            "Support conversations and tickets per topic",
            [
                Bar(t.topic, (t.conversations, t.tickets), f"{t.conversations} / {t.tickets}")
                for t in f.topics[:TOP_BARS]
            ],
            legend=("conversations", "tickets"),
        ),
        "<h2>Top knowledge gaps</h2>",
        bar_chart(
            "Questions per knowledge gap",
            [
                Bar(g.label, (g.count,), f"{g.count} ({plural(g.people, 'person', 'people')})")
                for g in report.gaps
            ],
        ),
        "<h2>Tables</h2>",
        *(html_table(table) for table in report_tables(report)),
        "<h2>How each figure is counted</h2>",
        "<dl>"
        + "".join(f"<dt>{escape(name)}</dt><dd>{escape(text)}</dd>" for name, text in FORMULAS)
        + "</dl>",
    ]
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        + "\n".join(sections)
        + "\n</main>\n</body>\n</html>\n"
    )


def _cards(report: Report) -> str:
    f = report.figures
    cards = [
        (percent(f.deflection.rate), f"deflection ({share(f.deflection.rate)})"),
        (str(f.conversations), "support conversations"),
        (str(f.tickets), "tickets opened"),
        (str(sum(a.count("done") for a in f.self_service)), "self-service fixes"),
        (str(sum(g.count for g in report.gaps)), "questions in the top gaps"),
    ]
    return (
        "<div class='cards'>"
        + "".join(
            f"<div class='card'><b>{escape(big)}</b><span>{escape(small)}</span></div>"
            for big, small in cards
        )
        + "</div>"
    )


def html_table(table: Table) -> str:
    """A :class:`Table` as an HTML table under its title, every cell escaped."""
    if not table.rows:
        return f"<h3>{escape(table.title)}</h3><p class='muted'>no data</p>"

    def cells(tag: str, line: Sequence[str]) -> str:
        return "".join(
            f"<{tag}{' class=r' if side == 'r' else ''}>{escape(cell)}</{tag}>"
            for cell, side in zip(line, table.align, strict=True)
        )

    body = "".join(f"<tr>{cells('td', row)}</tr>" for row in table.rows)
    return (
        f"<h3>{escape(table.title)}</h3><table><thead><tr>{cells('th', table.headers)}</tr>"
        f"</thead><tbody>{body}</tbody></table>"
    )


def _svg(title: str, height: float, body: list[str]) -> str:
    # No xmlns: inline SVG in HTML needs none, and the page must hold no URL at all.
    return (
        f"<figure><svg viewBox='0 0 {WIDTH} {height:.0f}' role='img' "
        f"aria-label='{escape(title)}'><title>{escape(title)}</title>"
        + "".join(body)
        + "</svg></figure>"
    )


def bar_chart(
    title: str,
    bars: Sequence[Bar],
    *,
    scale: float | None = None,
    legend: Sequence[str] = (),
    track: bool = False,
) -> str:
    """Horizontal bars, one row per :class:`Bar` (a bar per series, the first darker);
    ``track``: draw the whole scale faintly behind each bar (for shares of 100%)."""
    if not bars:
        return "<p class='muted'>no data</p>"
    top = scale or max(max(bar.values) for bar in bars) or 1
    room = WIDTH - BAR_LABEL - 110  # what is left after the labels and the captions
    series = len(bars[0].values)
    thick = (ROW - 6) / series
    body: list[str] = []
    y = 4.0
    if legend:
        body += _legend(legend, y)
        y += ROW
    for bar in bars:
        body.append(
            f"<text x='{BAR_LABEL - 8}' y='{y + ROW / 2 + 4:.1f}' text-anchor='end'>"
            f"<title>{escape(bar.label)}</title>{escape(shorten(bar.label, LABEL_CHARS))}</text>"
        )
        if track:
            body.append(
                f"<rect class='track' x='{BAR_LABEL}' y='{y + 3:.1f}' width='{room}' "
                f"height='{ROW - 7}'/>"
            )
        for index, value in enumerate(bar.values):
            length = max(room * value / top, 1 if value else 0)
            body.append(
                f"<rect class='{'bar' if index == 0 else 'bar2'}' x='{BAR_LABEL}' "
                f"y='{y + 3 + index * thick:.1f}' width='{length:.1f}' height='{thick - 1:.1f}'/>"
            )
        longest = max(room * value / top for value in bar.values)
        body.append(
            f"<text class='muted' x='{BAR_LABEL + longest + 6:.1f}' y='{y + ROW / 2 + 4:.1f}'>"
            f"{escape(bar.caption)}</text>"
        )
        y += ROW
    return _svg(title, y + 4, body)


def _legend(names: Sequence[str], y: float) -> list[str]:
    parts: list[str] = []
    x = float(BAR_LABEL)
    for index, name in enumerate(names):
        parts.append(
            f"<rect class='{'bar' if index == 0 else 'bar2'}' x='{x:.0f}' y='{y + 6:.1f}' "
            f"width='12' height='12'/><text x='{x + 16:.0f}' y='{y + 16:.1f}'>{escape(name)}</text>"
        )
        x += 24 + 8 * len(name)
    return parts


def trend_chart(points: Sequence[TrendPoint], *, unit: str) -> str:
    """Conversations per day or week as bars (left axis), deflection rate as a line (right
    axis, 0-100%); a period without conversations breaks the line."""
    if not any(point.deflection.conversations for point in points):
        return "<p class='muted'>no data</p>"
    left, right, top, bottom, height = 44, 52, 30, 46, 280
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    most = max(point.deflection.conversations for point in points)
    band = plot_w / len(points)
    every = math.ceil(len(points) / 12)  # label at most a dozen days or weeks
    body = [
        f"<rect class='bar' x='{left}' y='6' width='12' height='12'/>"
        f"<text x='{left + 16}' y='16'>conversations per {escape(unit)}</text>"
        f"<circle class='dot' cx='{left + 230}' cy='12' r='5'/>"
        f"<text x='{left + 240}' y='16'>deflection rate</text>"
    ]
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        body.append(
            f"<line class='grid' x1='{left}' x2='{WIDTH - right}' y1='{y:.1f}' y2='{y:.1f}'/>"
            f"<text class='muted' x='{left - 6}' y='{y + 4:.1f}' text-anchor='end'>"
            f"{most * fraction:.3g}</text>"
            f"<text class='muted' x='{WIDTH - right + 6}' y='{y + 4:.1f}'>{fraction:.0%}</text>"
        )
    line: list[str] = []
    runs: list[list[str]] = [line]
    for index, point in enumerate(points):
        x = left + band * index
        count = point.deflection.conversations
        bar_h = plot_h * count / most
        body.append(
            f"<rect class='bar' x='{x + band * 0.2:.1f}' y='{top + plot_h - bar_h:.1f}' "
            f"width='{band * 0.6:.1f}' height='{bar_h:.1f}'>"
            f"<title>{escape(point.label)}: {count} conversations, "
            f"{escape(percent(point.deflection.rate))} deflected</title></rect>"
        )
        if index % every == 0:
            body.append(
                f"<text class='muted' x='{x + band / 2:.1f}' y='{height - bottom + 16}' "
                f"text-anchor='middle'>{escape(point.label[5:])}</text>"
            )
        rate = point.deflection.rate.value
        if rate is None:
            line = []
            runs.append(line)
            continue
        cx, cy = x + band / 2, top + plot_h * (1 - rate)
        line.append(f"{cx:.1f},{cy:.1f}")
        body.append(f"<circle class='dot' cx='{cx:.1f}' cy='{cy:.1f}' r='3.5'/>")
    body += [f"<polyline class='line' points='{' '.join(run)}'/>" for run in runs if len(run) > 1]
    body.append(
        f"<text class='muted' x='{left}' y='{height - 8}'>"
        f"{escape(points[0].label)} to {escape(points[-1].label)}</text>"
    )
    return _svg("Deflection rate and conversations over time", height, body)
