"""The server-drawn bar chart: well-formed SVG whatever the series (zero, negative, empty), every figure
present in the picture and in the table beside it, and months without figures drawn as zero."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from core.web.charts import BarChart, ChartBar, bar_chart, month_bars

SVG = "{http://www.w3.org/2000/svg}"
TEMPLATES = Path(__file__).parents[2] / "core" / "web" / "templates"


def bars(*values: str) -> list[ChartBar]:
    return [ChartBar(f"M{index}", Decimal(value), value) for index, value in enumerate(values)]


def drawn(chart: BarChart) -> ET.Element:
    root = ET.fromstring(str(chart.svg))  # noqa: S314 - our own output; raises unless well-formed
    assert root.tag == f"{SVG}svg" and root.get("role") == "img"
    return root


def rects(root: ET.Element) -> list[dict[str, float]]:
    return [
        {key: float(rect.get(key, "nan")) for key in ("x", "y", "width", "height")}
        for rect in root.iter(f"{SVG}rect")
    ]


def test_each_bar_is_drawn_with_its_figure_and_the_tallest_fills_the_plot() -> None:
    chart = bar_chart("Revenue", bars("100.00", "50.00", "0.00"))
    root = drawn(chart)
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert titles == ["Revenue", "M0: 100.00", "M1: 50.00", "M2: 0.00"]
    tall, half, flat = rects(root)
    assert tall["height"] == 2 * half["height"] > 0 and flat["height"] == 0
    assert tall["y"] + tall["height"] == half["y"] + half["height"]  # one baseline


def test_negative_values_hang_below_the_zero_line() -> None:
    root = drawn(bar_chart("Net", bars("30.00", "-10.00")))
    up, down = rects(root)
    (zero,) = root.iter(f"{SVG}line")
    baseline = float(zero.get("y1", "nan"))
    assert up["y"] + up["height"] == baseline == down["y"]
    assert up["height"] == 3 * down["height"]
    assert len(list(root.iter(f"{SVG}rect"))) == 2


def test_an_all_zero_series_draws_flat_bars_and_an_empty_one_says_so() -> None:
    flat = rects(drawn(bar_chart("Nothing yet", bars("0", "0"))))
    assert [r["height"] for r in flat] == [0, 0]
    empty = drawn(bar_chart("Nothing at all", []))
    assert rects(empty) == [] and "No figures yet" in "".join(empty.itertext())


def test_labels_are_escaped_in_the_picture() -> None:
    chart = bar_chart("Sales <& returns>", [ChartBar("<b>Jan</b>", Decimal(1), "1.00")])
    root = drawn(chart)
    assert "<b>Jan</b>: 1.00" in [t.text for t in root.iter(f"{SVG}title")]


def test_month_bars_cover_the_last_months_oldest_first_with_zero_where_nothing_was() -> None:
    values = {
        date(2026, 1, 1): Decimal("120.5"),
        date(2025, 11, 1): Decimal("-3"),
        date(2024, 1, 1): Decimal(9),
    }
    found = month_bars(values, last=date(2026, 1, 31), months=3)
    assert [(b.label, b.value, b.text) for b in found] == [
        ("Nov 2025", Decimal(-3), "-3.00"),
        ("Dec 2025", Decimal(0), "0.00"),
        ("Jan 2026", Decimal("120.5"), "120.50"),
    ]
    assert len(month_bars({}, last=date(2026, 3, 1))) == 12


def test_the_macro_puts_every_figure_in_a_table_beside_the_chart() -> None:
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape())
    macro = environment.get_template("core/charts.html").module.bar_chart  # type: ignore[attr-defined]
    html = str(macro(bar_chart("Revenue by month", bars("100.00", "-5.00"))))
    assert html.count("<svg") == 1 and "&lt;svg" not in html
    assert "<caption>Revenue by month</caption>" in html
    for label, text in (("M0", "100.00"), ("M1", "-5.00")):
        assert f'<tr><th scope="row">{label}</th><td>{text}</td></tr>' in html
    assert "No figures yet." in str(macro(bar_chart("Empty", [])))
