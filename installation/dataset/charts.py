"""Small inline-SVG bar charts for the report: no plotting library, no external files."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

_WIDTH, _HEIGHT = 360, 150
_LEFT, _BOTTOM, _TOP = 34, 30, 18


def histogram(
    values: Sequence[float],
    *,
    bins: int,
    low: float,
    high: float,
    title: str,
    axis: Sequence[str],
    colors: Sequence[str] | None = None,
) -> str:
    """Counts of `values` in `bins` equal bins over [low, high]; values outside are clamped."""
    counts = [0] * bins
    span = (high - low) or 1.0
    for value in values:
        counts[min(bins - 1, max(0, int((value - low) / span * bins)))] += 1
    return bars(counts, title=title, axis=axis, colors=colors)


def bars(
    counts: Sequence[int],
    *,
    title: str,
    axis: Sequence[str],
    colors: Sequence[str] | None = None,
) -> str:
    """A bar chart of `counts`, with `axis` labels spread evenly under it."""
    plot_width = _WIDTH - _LEFT - 6
    plot_height = _HEIGHT - _BOTTOM - _TOP
    peak = max(counts, default=0) or 1
    step = plot_width / max(len(counts), 1)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_WIDTH}" height="{_HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" font-family="sans-serif">',
        f'<text x="{_LEFT}" y="12" font-size="12" font-weight="bold">{escape(title)}</text>',
        f'<text x="{_LEFT - 4}" y="{_TOP + 8}" font-size="10" text-anchor="end">{peak}</text>',
        f'<text x="{_LEFT - 4}" y="{_TOP + plot_height}" font-size="10" text-anchor="end">0</text>',
        f'<line x1="{_LEFT}" y1="{_TOP + plot_height}" x2="{_LEFT + plot_width}" '
        f'y2="{_TOP + plot_height}" stroke="#888"/>',
    ]
    for i, count in enumerate(counts):
        height = plot_height * count / peak
        fill = colors[i] if colors else "#4a78b5"
        parts.append(
            f'<rect x="{_LEFT + i * step + 0.5:.1f}" y="{_TOP + plot_height - height:.1f}" '
            f'width="{max(step - 1, 0.5):.1f}" height="{height:.1f}" fill="{fill}">'
            f"<title>{count}</title></rect>"
        )
    for i, label in enumerate(axis):
        x = _LEFT + plot_width * i / max(len(axis) - 1, 1)
        anchor = "start" if i == 0 else "end" if i == len(axis) - 1 else "middle"
        parts.append(
            f'<text x="{x:.1f}" y="{_HEIGHT - 10}" font-size="10" text-anchor="{anchor}">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
