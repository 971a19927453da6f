"""Trend charts as inline SVG, drawn on the server so that a page shows them without script.

A disclosure page needs one small chart: a few rate series over 12 months on a 0-100 % axis. Written
by hand (see docs/disclosure.md for why not a charting library): fixed geometry scaled by the
viewBox, each series a polyline with a marker per month, a gap where a month has no published value,
and a `<title>`/`<desc>` for screen readers (the page's table holds the same numbers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

from markupsafe import Markup

WIDTH: Final = 640
HEIGHT: Final = 260
# Labels are drawn at 18 units: about 9 px where a phone shows the chart 326 px wide, 18 px at full size.
LABEL_SIZE: Final = 18
LEFT: Final = 56
RIGHT: Final = 28  # half the last month's label, which is centred on the last point
TOP: Final = 12
BOTTOM: Final = 40
GRID: Final = (0.0, 0.25, 0.5, 0.75, 1.0)
# Distinguishable in colour and in shape (dash), with a contrast of at least 3:1 on white.
STYLES: Final = (("#1a5fb4", ""), ("#c01c28", "6 4"), ("#26734d", "2 3"))


@dataclass(frozen=True)
class Series:
    label: str
    values: Sequence[float | None]  # fractions 0-1, one per label on the x axis; None: no value


def _x(index: int, count: int) -> float:
    span = WIDTH - LEFT - RIGHT
    return LEFT + (span * index / (count - 1) if count > 1 else span / 2)


def _y(value: float) -> float:
    return TOP + (HEIGHT - TOP - BOTTOM) * (1 - min(max(value, 0.0), 1.0))


def _runs(values: Sequence[float | None]) -> list[list[tuple[int, float]]]:
    """The unbroken stretches of values: a line never bridges a month without one."""
    runs: list[list[tuple[int, float]]] = [[]]
    for index, value in enumerate(values):
        if value is None:
            if runs[-1]:
                runs.append([])
        else:
            runs[-1].append((index, value))
    return [run for run in runs if run]


def line_chart(title: str, description: str, x_labels: Sequence[str], series: Sequence[Series]) -> Markup:
    """An SVG line chart of fractions (0-100 %) over `x_labels`, at most three series."""
    if len(series) > len(STYLES):
        raise ValueError(f"at most {len(STYLES)} series")
    count = len(x_labels)
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title><desc id="chart-desc">{escape(description)}</desc>',
    ]
    for fraction in GRID:
        y = _y(fraction)
        parts.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d0d0"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="{LABEL_SIZE}" fill="#333">'
            f"{fraction:.0%}</text>"
        )
    # Every other month labelled when there are many, so that the larger labels never overlap; the
    # newest month is always labelled.
    step = 2 if count > 6 else 1
    for index, label in enumerate(x_labels):
        if (count - 1 - index) % step:
            continue
        parts.append(
            f'<text x="{_x(index, count):.1f}" y="{HEIGHT - BOTTOM + 24}" text-anchor="middle" '
            f'font-size="{LABEL_SIZE}" fill="#333">{escape(label)}</text>'
        )
    for (colour, dash), line in zip(STYLES, series, strict=False):
        dashes = f' stroke-dasharray="{dash}"' if dash else ""
        for run in _runs(line.values):
            points = " ".join(f"{_x(i, count):.1f},{_y(v):.1f}" for i, v in run)
            parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2.5"{dashes}/>')
            parts.extend(f'<circle cx="{_x(i, count):.1f}" cy="{_y(v):.1f}" r="3.5" fill="{colour}"/>' for i, v in run)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it is escaped above


def legend_styles(count: int) -> list[tuple[str, str]]:
    """The colour and dash of each of `count` series, for the legend beside the chart."""
    return list(STYLES[:count])
