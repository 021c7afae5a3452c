"""Small charts as inline SVG, drawn on the server: no script, no external file.

A chart is one series over the years: a bar per year with a value (printed or derived solid,
reconstructed from another year's report as a dashed outline), a vertical range for a year
known only as an interval, nothing for a year without a figure. Each mark carries a <title>,
which browsers show on hover without any script.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT = 300, 120
_TOP, _BOTTOM, _LEFT, _RIGHT = 16, 20, 6, 6


@dataclass(frozen=True)
class Point:
    year: int
    value: float | None  # None: no figure (or only an interval)
    status: str = "printed"  # printed, derived, prose, reconstructed
    low: float | None = None
    high: float | None = None
    text: str = ""  # the value as shown in the table


def bar_chart(title: str, points: list[Point], years: list[int]) -> str:
    """An SVG bar chart of `points` over `years` (every year gets a slot, so gaps show)."""
    tops = [p.value for p in points if p.value is not None] + \
        [p.high for p in points if p.value is None and p.high is not None]
    top = max(tops, default=0.0) or 1.0
    slot = (WIDTH - _LEFT - _RIGHT) / max(len(years), 1)
    floor = HEIGHT - _BOTTOM
    scale = (floor - _TOP) / top
    by_year = {p.year: p for p in points}
    marks = [(f"<svg xmlns='http://www.w3.org/2000/svg' class='chart' viewBox='0 0 {WIDTH} "
              f"{HEIGHT}' width='{WIDTH}' height='{HEIGHT}' role='img' "
              f"aria-label='{escape(title)}'><title>{escape(title)}</title>"),
             (f"<line x1='{_LEFT}' y1='{floor}' x2='{WIDTH - _RIGHT}' y2='{floor}' "
              "class='axis'/>"),
             f"<text x='{_LEFT}' y='11' class='tick'>{_short(top)}</text>"]
    for index, year in enumerate(years):
        x = _LEFT + index * slot
        centre = x + slot / 2
        if index == 0 or index == len(years) - 1 or len(years) <= 8:
            marks.append(f"<text x='{centre:.1f}' y='{HEIGHT - 6}' class='tick' "
                         f"text-anchor='middle'>{year}</text>")
        point = by_year.get(year)
        if point is None:
            continue
        label = escape(f"{year}: {point.text or _short(point.value)} ({point.status})")
        if point.value is not None:
            height = max(point.value * scale, 1.0 if point.value else 0.0)
            kind = "rebuilt" if point.status == "reconstructed" else "bar"
            marks.append(f"<rect class='{kind}' x='{x + slot * 0.15:.1f}' "
                         f"y='{floor - height:.1f}' width='{slot * 0.7:.1f}' "
                         f"height='{height:.1f}'><title>{label}</title></rect>")
        elif point.low is not None and point.high is not None:
            marks.append(f"<line class='interval' x1='{centre:.1f}' "
                         f"y1='{floor - point.low * scale:.1f}' x2='{centre:.1f}' "
                         f"y2='{floor - point.high * scale:.1f}'><title>{label}</title></line>")
    marks.append("</svg>")
    return "".join(marks)


def _short(value: float | None) -> str:
    """A number short enough for an axis label."""
    if value is None:
        return ""
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:g}"
