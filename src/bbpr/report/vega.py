"""Charts drawn as SVG: each `charts.Chart` becomes a Vega-Lite specification, which
vl-convert (the `bbpr[report]` extra: Vega-Lite and its renderer, bundled, offline) turns
into an SVG with no script in it, so that the page shows its charts in a mail client too.

Durations are drawn in hours, or in days where the longest is two days or more.
"""

from __future__ import annotations

from typing import Any

from ..errors import InputError
from .charts import Chart

MISSING = ("The HTML page draws its charts with the report extra, which is not installed: "
           "run `pip install 'bbpr[report]'` (or pipx inject bbpr vl-convert-python), then "
           "the report again.")
VEGA_LITE = "5.21"
"""The Vega-Lite version of the specifications (vl-convert 1.x bundles several)."""
WIDTH = 420
HEIGHT = 200


def renderer() -> Any:
    """The vl_convert module, or an `InputError` (exit 2) saying how to install it."""
    try:
        import vl_convert
    except ImportError:
        raise InputError(MISSING) from None
    return vl_convert


def svg(chart: Chart, vl_convert: Any) -> str:
    """The chart as an SVG document (the caller puts it in the page as it is: every text in
    it is escaped by Vega's SVG renderer; see tests/report/test_page.py)."""
    return str(vl_convert.vegalite_to_svg(specification(chart), vl_version=VEGA_LITE,
                                        allowed_base_urls=[]))


def specification(chart: Chart) -> dict[str, Any]:
    scale, unit = _scale(chart)
    rows = [{"category": category, "series": series.name,
             "value": None if value is None else round(value / scale, 2)}
            for series in chart.series
            for category, value in zip(chart.categories, series.values, strict=True)]
    value_title = unit if chart.unit == "seconds" else "pull requests"
    categories = list(dict.fromkeys(chart.categories))
    # Every category on the axis, in order, also those without a value (a week with no merge).
    category = {"field": "category", "type": "ordinal", "title": chart.category_title,
                "sort": categories, "scale": {"domain": categories},
                "axis": {"labelAngle": -40 if chart.kind != "horizontal" else 0}}
    value = {"field": "value", "type": "quantitative", "title": value_title,
             "axis": _count_axis(chart) if chart.unit == "count" else {}}
    colour = {"field": "series", "type": "nominal", "title": None,
              "sort": [series.name for series in chart.series]}
    encoding: dict[str, Any]
    if chart.kind == "lines":
        mark: dict[str, Any] = {"type": "line", "point": True}
        encoding = {"x": category, "y": value, "color": colour}
    elif chart.kind == "stacked":
        mark = {"type": "bar"}
        encoding = {"x": category, "y": {**value, "stack": "zero"}, "color": colour}
    elif chart.kind == "horizontal":
        mark = {"type": "bar"}
        encoding = {"y": {**category, "title": None}, "x": value, "color": colour,
                    "yOffset": {"field": "series", "sort": colour["sort"]}}
    else:
        mark = {"type": "bar"}
        encoding = {"x": category, "y": value, "color": colour,
                    "xOffset": {"field": "series", "sort": colour["sort"]}}
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": WIDTH, "height": HEIGHT if chart.kind != "horizontal" else {"step": 14},
        "data": {"values": rows},
        "transform": [{"filter": "datum.value != null"}],
        "mark": mark, "encoding": encoding,
        "config": {"font": "sans-serif", "legend": {"orient": "top"}},
    }


def _count_axis(chart: Chart) -> dict[str, Any]:
    """Whole numbers only: no tick at half a pull request."""
    largest = max((value or 0 for series in chart.series for value in series.values),
                  default=0)
    return {"format": "d", "tickCount": max(1, min(int(largest), 5))}


def _scale(chart: Chart) -> tuple[float, str]:
    """Seconds per unit, and the unit's name, for the chart's values."""
    if chart.unit == "count":
        return 1.0, "count"
    longest = max((value or 0 for series in chart.series for value in series.values),
                  default=0)
    return (86400.0, "days") if longest >= 2 * 86400 else (3600.0, "hours")
