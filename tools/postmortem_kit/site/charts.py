"""Charts as static SVG, drawn at build time: nothing to fetch when the site is viewed.

Each chart is a `<figure>` whose SVG carries a title and a description for
screen readers; the pages put the same numbers in a table beside it.
"""

from __future__ import annotations

import math
from html import escape

# Distinct in light and dark mode, and for the common colour-vision deficiencies.
PALETTE = ["#3f51b5", "#f57c00", "#009688", "#c2185b", "#7cb342", "#8d6e63", "#5e35b1"]
FONT = 'font-family="inherit" font-size="12" fill="currentColor"'


def _figure(
    chart_id: str, title: str, description: str, width: int, height: int, body: list[str]
) -> str:
    # One line per element and no blank line: Markdown keeps it one HTML block.
    lines = [
        f'<figure class="pm-chart" id="{chart_id}">',
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>',
        *body,
        "</svg>",
        f"<figcaption>{escape(title)}</figcaption>",
        "</figure>",
    ]
    return "\n".join(lines) + "\n"


def stacked_columns(
    chart_id: str, title: str, columns: list[str], series: list[tuple[str, list[int]]]
) -> str:
    """One column per label (e.g. quarter), stacked by series (e.g. category)."""
    totals = [sum(values[i] for _, values in series) for i in range(len(columns))]
    top = max(totals, default=0) or 1
    step, bar, plot_top, plot_height, left = 64, 40, 30, 200, 40
    width = max(left + step * len(columns) + 20, left + 3 * 170)
    height = plot_top + plot_height + 60 + 18 * ((len(series) + 2) // 3)
    body = []
    for i, label in enumerate(columns):
        x = left + i * step
        y: float = plot_top + plot_height
        for n, (name, values) in enumerate(series):
            if values[i]:
                h = values[i] / top * plot_height
                y -= h
                body.append(
                    f'<rect x="{x}" y="{y:.1f}" width="{bar}" height="{h:.1f}" '
                    f'fill="{PALETTE[n % len(PALETTE)]}"><title>{escape(label)}, '
                    f"{escape(name)}: {values[i]}</title></rect>"
                )
        if totals[i]:
            body.append(
                f'<text x="{x + bar / 2}" y="{y - 4:.1f}" text-anchor="middle" {FONT}>'
                f"{totals[i]}</text>"
            )
        body.append(
            f'<text x="{x + bar / 2}" y="{plot_top + plot_height + 16}" text-anchor="middle" '
            f"{FONT}>{escape(label)}</text>"
        )
    body.extend(_legend([name for name, _ in series], left, plot_top + plot_height + 36))
    description = "; ".join(
        f"{label}: {total}" + "".join(f", {name} {v[i]}" for name, v in series if v[i])
        for i, (label, total) in enumerate(zip(columns, totals, strict=True))
    )
    return _figure(chart_id, title, description, width, height, body)


def lines(
    chart_id: str,
    title: str,
    columns: list[str],
    series: list[tuple[str, list[float | None]]],
    unit: str,
) -> str:
    """One line per series across the columns (e.g. quarters), with a point at
    each value; None leaves a gap. `unit` follows each number (` h`, `%`)."""
    top = _nice(max((v for _, values in series for v in values if v is not None), default=0))
    step, plot_top, plot_height, left = 64, 20, 200, 56
    width = max(left + step * len(columns) + 20, left + 3 * 170)
    height = plot_top + plot_height + 40 + 18 * ((len(series) + 2) // 3)
    bottom = plot_top + plot_height
    body = []
    for fraction in (0, 0.5, 1):
        y = bottom - fraction * plot_height
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + step * len(columns)}" y2="{y:.1f}" '
            'stroke="currentColor" stroke-opacity="0.2"/>'
        )
        body.append(
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" {FONT}>'
            f"{_number(top * fraction)}{escape(unit)}</text>"
        )
    for i, label in enumerate(columns):
        body.append(
            f'<text x="{left + i * step + step / 2}" y="{bottom + 16}" text-anchor="middle" '
            f"{FONT}>{escape(label)}</text>"
        )
    for n, (name, values) in enumerate(series):
        colour = PALETTE[n % len(PALETTE)]
        points = [
            (left + i * step + step / 2, bottom - v / top * plot_height, i, v)
            for i, v in enumerate(values)
            if v is not None
        ]
        for (x1, y1, i1, _), (x2, y2, i2, _) in zip(points, points[1:], strict=False):
            if i2 == i1 + 1:  # a gap where a quarter has no value
                body.append(
                    f'<line x1="{x1}" y1="{y1:.1f}" x2="{x2}" y2="{y2:.1f}" '
                    f'stroke="{colour}" stroke-width="2"/>'
                )
        for x, y, i, v in points:
            tip = f"{columns[i]}, {name}: {_number(v)}{unit}"
            body.append(
                f'<circle cx="{x}" cy="{y:.1f}" r="3.5" fill="{colour}">'
                f"<title>{escape(tip)}</title></circle>"
            )
    body.extend(_legend([name for name, _ in series], left, bottom + 28))
    described = []
    for i, label in enumerate(columns):
        known = [(name, value) for name, values in series if (value := values[i]) is not None]
        text = ", ".join(f"{name} {_number(value)}{unit}" for name, value in known)
        described.append(f"{label}: {text or 'no value'}")
    return _figure(chart_id, title, "; ".join(described), width, height, body)


def _nice(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 times a power of ten that is at least `value` (1 for 0)."""
    if value <= 0:
        return 1
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value)


def _number(value: float) -> str:
    return f"{value:.0f}" if value >= 10 or value == int(value) else f"{value:.1f}"


def horizontal_bars(chart_id: str, title: str, bars: list[tuple[str, int]]) -> str:
    top = max((value for _, value in bars), default=0) or 1
    label_width, plot_width, row = 250, 300, 24
    height = 16 + row * max(len(bars), 1)
    body = []
    for i, (label, value) in enumerate(bars):
        y = 8 + i * row
        w = value / top * plot_width
        body.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" {FONT}>'
            f"{escape(label)}</text>"
        )
        body.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{w:.1f}" height="16" fill="{PALETTE[0]}"/>'
        )
        body.append(f'<text x="{label_width + w + 6:.1f}" y="{y + 15}" {FONT}>{value}</text>')
    description = "; ".join(f"{label}: {value}" for label, value in bars)
    return _figure(chart_id, title, description, label_width + plot_width + 50, height, body)


def matrix(
    chart_id: str,
    title: str,
    rows: list[str],
    columns: list[str],
    counts: dict[tuple[str, str], int],
) -> str:
    """A grid of counts, shaded by size (e.g. lens by incident category)."""
    top = max(counts.values(), default=0) or 1
    left, cell, head = 110, 92, 40
    body = []
    for j, column in enumerate(columns):
        body.append(
            f'<text x="{left + j * cell + cell / 2}" y="{head - 12}" '
            f'text-anchor="middle" {FONT}>{escape(column)}</text>'
        )
    for i, row in enumerate(rows):
        y = head + i * (cell // 2)
        body.append(
            f'<text x="{left - 8}" y="{y + 28}" text-anchor="end" {FONT}>{escape(row)}</text>'
        )
        for j, column in enumerate(columns):
            value = counts.get((row, column), 0)
            opacity = 0.08 + 0.82 * value / top
            x = left + j * cell
            body.append(
                f'<rect x="{x + 2}" y="{y + 2}" width="{cell - 4}" height="{cell // 2 - 4}" '
                f'rx="4" fill="{PALETTE[0]}" fill-opacity="{opacity:.2f}"/>'
            )
            body.append(
                f'<text x="{x + cell / 2}" y="{y + 28}" text-anchor="middle" {FONT}>{value}</text>'
            )
    description = "; ".join(
        f"{row} and {column}: {counts.get((row, column), 0)}" for row in rows for column in columns
    )
    width, height = left + cell * len(columns) + 10, head + (cell // 2) * len(rows) + 10
    return _figure(chart_id, title, description, width, height, body)


def _legend(names: list[str], left: int, top: int) -> list[str]:
    items = []
    for n, name in enumerate(names):
        x, y = left + (n % 3) * 170, top + (n // 3) * 18
        items.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" fill="{PALETTE[n % len(PALETTE)]}"/>'
        )
        items.append(f'<text x="{x + 18}" y="{y + 11}" {FONT}>{escape(name)}</text>')
    return items
