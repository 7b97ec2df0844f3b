"""Geometry of the server-rendered SVG charts (templates ``reporting/_bars.svg.html`` and
``reporting/_columns.svg.html``). No JavaScript and no inline styles (strict CSP): sizes are SVG attributes,
colours come from classes in ``static/reporting-dashboard.css``; the ``viewBox`` lets a chart shrink to a
phone's width."""

from __future__ import annotations

from typing import Any

WIDTH = 640
LABEL_W = 230
BAR_H = 22
GAP = 8


def _n(x: float) -> str:
    """A coordinate as text: templates would localise a float (``15,4``), which SVG cannot read."""
    return f"{x:.1f}"


def _fmt(value: float | None, kind: str) -> str:
    if value is None:
        return "—"
    if kind == "count":
        return f"{value:,.0f}".replace(",", ".")
    text = f"{value:.1f}".replace(".", ",")
    return f"{text} %" if kind == "percent" else text


def bars(rows: list[tuple[str, float | None]], kind: str, *, maximum: float | None = None) -> dict[str, Any]:
    """Horizontal bars (a ranking): ``rows`` = (label, value)."""
    top = maximum if maximum is not None else max([v for _l, v in rows if v is not None] or [0])
    top = top or 1
    span = WIDTH - LABEL_W - 70
    out = []
    for i, (label, value) in enumerate(rows):
        y = i * (BAR_H + GAP)
        w = 0 if value is None else max(1, round(span * value / top))
        out.append(
            {
                "label": label if len(label) <= 34 else label[:33] + "…",
                "full_label": label,
                "y": _n(y),
                "text_y": _n(y + BAR_H * 0.7),
                "x": _n(LABEL_W),
                "w": _n(w),
                "value_x": _n(LABEL_W + w + 6),
                "value": _fmt(value, kind),
            }
        )
    return {
        "width": str(WIDTH),
        "height": str(max(1, len(rows) * (BAR_H + GAP))),
        "bar_h": str(BAR_H),
        "label_x": str(LABEL_W - 8),
        "rows": out,
    }


def columns(
    points: list[tuple[str, float | None]], kind: str, *, maximum: float | None = None
) -> dict[str, Any]:
    """Vertical columns over time (a trend): ``points`` = (label, value)."""
    height, base, left = 220, 190, 8
    top = maximum if maximum is not None else max([v for _l, v in points if v is not None] or [0])
    top = top or 1
    n = max(1, len(points))
    slot = (WIDTH - left) / n
    out = []
    for i, (label, value) in enumerate(points):
        h = 0 if value is None else round((base - 24) * value / top)
        x = left + i * slot
        out.append(
            {
                "label": label,
                "x": _n(x + slot * 0.15),
                "w": _n(slot * 0.7),
                "y": _n(base - h),
                "h": _n(h),
                "mid": _n(x + slot / 2),
                "value": _fmt(value, kind),
                "value_y": _n(base - h - 5),
            }
        )
    return {
        "width": str(WIDTH),
        "height": str(height),
        "base": str(base),
        "label_y": str(base + 18),
        "points": out,
    }
