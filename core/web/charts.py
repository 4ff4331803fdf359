"""Bar charts drawn on the server as SVG: a dashboard card shows revenue by month without any
JavaScript. Each chart carries its figures too, so the macro ``bar_chart`` of ``core/charts.html`` puts
a table beside the picture for screen readers, printing and copying.

Geometry is computed in ``Decimal`` like the amounts it draws, so no float ever touches a value.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from babel.dates import format_date
from markupsafe import Markup, escape

from core.money import amount_text

__all__ = ["BarChart", "ChartBar", "bar_chart", "month_bars"]

WIDTH = 640
HEIGHT = 240
_LABELS = 28  # room under the plot for the month labels
_TOP = 8
_GAP = Decimal("0.2")  # share of each slot left empty between bars
_TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class ChartBar:
    """One bar: its label (a month), its value and that value as shown."""

    label: str
    value: Decimal
    text: str


@dataclass(frozen=True, slots=True)
class BarChart:
    title: str
    bars: tuple[ChartBar, ...]
    svg: Markup
    value_heading: str = "Amount"
    label_heading: str = "Month"


def month_bars(
    values: Mapping[date, Decimal], *, last: date, months: int = 12, places: int = 2, locale: str = "en"
) -> list[ChartBar]:
    """One bar per calendar month, the ``months`` up to ``last``'s month, oldest first; ``values`` are
    keyed by any day of their month (the first, say), and a month without one counts as zero."""
    by_month: dict[tuple[int, int], Decimal] = {}
    for day, value in values.items():
        key = (day.year, day.month)
        by_month[key] = by_month.get(key, Decimal(0)) + value
    bars = []
    for back in range(months - 1, -1, -1):
        year, month = divmod(last.year * 12 + last.month - 1 - back, 12)
        first = date(year, month + 1, 1)
        value = by_month.get((first.year, first.month), Decimal(0))
        bars.append(
            ChartBar(format_date(first, "MMM yyyy", locale=locale), value, amount_text(value, places))
        )
    return bars


def _coordinate(value: Decimal) -> str:
    return format(value.quantize(_TENTH, rounding=ROUND_HALF_UP) + 0, "f")


def bar_chart(
    title: str,
    bars: Sequence[ChartBar],
    *,
    value_heading: str = "Amount",
    label_heading: str = "Month",
    width: int = WIDTH,
    height: int = HEIGHT,
) -> BarChart:
    """``bars`` drawn as an SVG bar chart titled ``title``. Bars of negative values hang below the zero
    line; an all-zero series draws flat bars; an empty one says so."""
    labelled = f"chart-{uuid.uuid4().hex[:8]}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart-svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{labelled}">',
        f'<title id="{labelled}">{escape(title)}</title>',
    ]
    if not bars:
        parts.append(f'<text x="{width // 2}" y="{height // 2}" text-anchor="middle">No figures yet</text>')
    else:
        top = max(Decimal(0), *(bar.value for bar in bars))
        bottom = min(Decimal(0), *(bar.value for bar in bars))
        span = (top - bottom) or Decimal(1)
        plot = Decimal(height - _LABELS - _TOP)
        scale = plot / span
        zero = _TOP + top * scale
        slot = Decimal(width) / len(bars)
        bar_width = slot * (1 - _GAP)
        for index, bar in enumerate(bars):
            x = slot * index + (slot - bar_width) / 2
            y = zero - max(bar.value, Decimal(0)) * scale
            size = abs(bar.value) * scale
            kind = "chart-bar chart-bar-negative" if bar.value < 0 else "chart-bar"
            parts.append(
                f'<rect class="{kind}" x="{_coordinate(x)}" y="{_coordinate(y)}" '
                f'width="{_coordinate(bar_width)}" height="{_coordinate(size)}">'
                f"<title>{escape(bar.label)}: {escape(bar.text)}</title></rect>"
            )
            parts.append(
                f'<text class="chart-label" x="{_coordinate(slot * index + slot / 2)}" '
                f'y="{height - _LABELS // 3}" text-anchor="middle">{escape(bar.label)}</text>'
            )
        level = _coordinate(zero)
        parts.append(f'<line class="chart-zero" x1="0" x2="{width}" y1="{level}" y2="{level}"/>')
    parts.append("</svg>")
    return BarChart(title, tuple(bars), Markup("".join(parts)), value_heading, label_heading)  # noqa: S704 - every text in it is escaped
