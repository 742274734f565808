"""Charts as inline SVG drawn on the server: bars, stacked columns over time, a custody timeline.

No script and no style attribute (the pages' Content-Security-Policy allows neither inline): only SVG
presentation attributes, so the charts print and render the same in the browser and in the PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from markupsafe import Markup, escape

PALETTE = (
    "#c0392b", "#2e86c1", "#27ae60", "#d68910", "#8e44ad", "#16a085",
    "#7f8c8d", "#e74c3c", "#1f618d", "#b7950b", "#6c3483", "#117864",
)  # fmt: skip
FONT = 'font-family="Noto Sans CJK SC, Noto Sans, sans-serif"'


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def _svg(width: int, height: int, body: list[str], title: str) -> Markup:
    head = (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" {FONT} font-size="12"><title>{escape(title)}</title>'
    )
    return Markup(head + "".join(body) + "</svg>")


def bars(items: Sequence[tuple[str, float]], title: str, width: int = 560) -> Markup:
    """Horizontal bars, one per (label, value)."""
    row, label_w = 24, 220
    height = max(1, len(items)) * row + 10
    top = max((v for _, v in items), default=0) or 1
    body = []
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        w = (width - label_w - 60) * value / top
        body.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(label)}</text>')
        body.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{row - 8}" fill="{colour(i)}"/>'
        )
        body.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 15}">{escape(_num(value))}</text>')
    if not items:
        body.append(f'<text x="10" y="20" fill="#777">{escape(title)}: 0</text>')
    return _svg(width, height, body, title)


def columns(
    periods: Sequence[str],
    series: Sequence[tuple[str, Sequence[float]]],
    title: str,
    width: int = 640,
    height: int = 240,
) -> Markup:
    """Stacked columns: one column per period, one coloured layer per (series label, values), legend below."""
    left, bottom, top_pad = 40, 30, 18
    legend_rows = (len(series) + 2) // 3
    total_h = height + legend_rows * 18 + 6
    plot_h = height - bottom - top_pad
    totals = [sum(values[i] for _, values in series) for i in range(len(periods))]
    peak = max(totals, default=0) or 1
    step = (width - left - 10) / max(1, len(periods))
    body = [
        f'<line x1="{left}" y1="{top_pad + plot_h}" x2="{width - 5}" y2="{top_pad + plot_h}" stroke="#999"/>'
    ]
    for tick in (0, peak / 2, peak):
        y = top_pad + plot_h - plot_h * tick / peak
        body.append(f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#555">{_num(tick)}</text>')
    for i, period in enumerate(periods):
        x, base = left + i * step + step * 0.15, float(top_pad + plot_h)
        for s, (_, values) in enumerate(series):
            h = plot_h * values[i] / peak
            if h > 0:
                base -= h
                body.append(
                    f'<rect x="{x:.1f}" y="{base:.1f}" width="{step * 0.7:.1f}" height="{h:.1f}"'
                    f' fill="{colour(s)}"/>'
                )
        if totals[i]:
            mid = x + step * 0.35
            body.append(
                f'<text x="{mid:.1f}" y="{base - 3:.1f}" text-anchor="middle">{_num(totals[i])}</text>'
            )
        label_y = top_pad + plot_h + 16
        body.append(
            f'<text x="{x + step * 0.35:.1f}" y="{label_y}" text-anchor="middle">{escape(period)}</text>'
        )
    for s, (label, _) in enumerate(series):
        lx, ly = 10 + (s % 3) * (width // 3), height + 4 + (s // 3) * 18
        body.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{colour(s)}"/>')
        body.append(f'<text x="{lx + 16}" y="{ly + 11}">{escape(label)}</text>')
    return _svg(width, total_h, body, title)


def timeline(
    spells: Sequence[tuple[str, datetime, datetime | None, str, str]],
    now: datetime,
    title: str,
    width: int = 640,
) -> Markup:
    """A custody timeline: one bar per (holder, since, until or None for now, text since, text until)."""
    row, label_w = 34, 170
    height = max(1, len(spells)) * row + 10
    if not spells:
        return _svg(width, height, [f'<text x="10" y="20">{escape(title)}: —</text>'], title)
    start = min(s[1] for s in spells)
    end = max([now, *(s[2] for s in spells if s[2] is not None)])
    span = (end - start).total_seconds() or 1
    plot = width - label_w - 10
    body = []
    for i, (holder, since, until, since_text, until_text) in enumerate(spells):
        y = 5 + i * row
        x0 = label_w + plot * (since - start).total_seconds() / span
        x1 = label_w + plot * ((until or end) - start).total_seconds() / span
        body.append(f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(holder)}</text>')
        body.append(
            f'<rect x="{x0:.1f}" y="{y + 3}" width="{max(3.0, x1 - x0):.1f}" height="14" fill="{colour(i)}"'
            f' opacity="{0.55 if until else 1}"/>'
        )
        body.append(
            f'<text x="{x0:.1f}" y="{y + 29}" font-size="10" fill="#555">'
            f"{escape(since_text)} → {escape(until_text)}</text>"
        )
    return _svg(width, height, body, title)


def progress(percent: float | None, width: int = 120) -> Markup:
    """A small bar for a rectification's percent complete."""
    share = max(0.0, min(100.0, percent or 0)) / 100
    body = [
        f'<rect x="0" y="2" width="{width}" height="10" fill="#e5e5e5"/>',
        f'<rect x="0" y="2" width="{width * share:.1f}" height="10" fill="#27ae60"/>',
    ]
    return _svg(width, 14, body, f"{percent or 0:.0f}%")


def _num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
