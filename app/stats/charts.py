"""Charts drawn on the server as SVG: readable without JavaScript and in print (black on white, the
values written beside the marks). Each chart is an image with a title; the table beside it holds
the same figures for screen readers."""

from __future__ import annotations

from decimal import Decimal

from markupsafe import Markup, escape

from app.domain.figures import percent

WIDTH = 640
LABEL_WIDTH = 150
VALUE_WIDTH = 60
BAR_HEIGHT = 18
BAR_GAP = 8
PLOT_HEIGHT = 160
MARGIN = 24


def _svg(title: str, height: int, body: list[str]) -> Markup:
    return Markup(
        f'<svg class="chart" viewBox="0 0 {WIDTH} {height}" width="100%" role="img" '
        f'xmlns="http://www.w3.org/2000/svg" font-size="12"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def rate_bars(bars: list[tuple[str, Decimal | None]], title: str) -> Markup:
    """One horizontal bar per row: its on-time rate, 0–100 %, the value written at the bar's end."""
    span = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    body = []
    for index, (label, rate) in enumerate(bars):
        y = MARGIN + index * (BAR_HEIGHT + BAR_GAP)
        length = round(span * float(rate or 0))
        body.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 5}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{span}" height="{BAR_HEIGHT}" fill="none" stroke="#999"/>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" fill="#2f4f7f"/>'
            f'<text x="{LABEL_WIDTH + span + 6}" y="{y + BAR_HEIGHT - 5}">{percent(rate)}</text>'
        )
    height = MARGIN * 2 + max(len(bars), 1) * (BAR_HEIGHT + BAR_GAP)
    return _svg(title, height, body)


def _line(path: list[str]) -> str:
    if len(path) < 2:
        return ""
    return f'<polyline points="{" ".join(path)}" fill="none" stroke="#2f4f7f" stroke-width="2"/>'


def rate_trend(points: list[tuple[str, Decimal | None]], title: str) -> Markup:
    """The on-time rate month by month, 0–100 %; a month that closed nothing has no point."""
    left, right, top = 40, WIDTH - 20, MARGIN
    bottom = top + PLOT_HEIGHT
    step = (right - left) / max(len(points) - 1, 1)
    body = [
        f'<line x1="{left}" y1="{y}" x2="{right}" y2="{y}" stroke="#ccc"/>'
        f'<text x="{left - 4}" y="{y + 4}" text-anchor="end">{share}%</text>'
        for share, y in ((100, top), (50, top + PLOT_HEIGHT // 2), (0, bottom))
    ]
    path: list[str] = []
    for index, (label, rate) in enumerate(points):
        x = round(left + index * step, 1)
        body.append(f'<text x="{x}" y="{bottom + 16}" text-anchor="middle">{escape(label[-2:])}</text>')
        if rate is None:  # the line breaks where a month has no rate
            body.append(_line(path))
            path = []
            continue
        y = round(bottom - PLOT_HEIGHT * float(rate), 1)
        path.append(f"{x},{y}")
        body.append(
            f'<circle cx="{x}" cy="{y}" r="3" fill="#2f4f7f"/>'
            f'<text x="{x}" y="{y - 6}" text-anchor="middle">{percent(rate)}</text>'
        )
    body.append(_line(path))
    return _svg(title, bottom + 28, body)
