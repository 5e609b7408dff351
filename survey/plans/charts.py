"""The trend over the years as a small SVG chart with its text alternative (no script)."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, PAD = 240, 90, 22


def trend_svg(
    points: Sequence[tuple[int, float | None, str]], target: float | None, label: str
) -> Markup:
    """A bar per year, the target as a dashed line; the SVG names every value in its title."""
    numeric = [(year, value, shown) for year, value, shown in points if value is not None]
    if not numeric:
        return Markup("")
    values = [value for _, value, _ in numeric]
    top = max([*values, *([target] if target is not None else []), 1.0])
    inner_w, inner_h = WIDTH - 2 * PAD, HEIGHT - 2 * PAD
    slot = inner_w / len(numeric)
    description = "; ".join(f"{year}: {shown}" for year, _, shown in numeric)
    if target is not None:
        description += f"; mål {target:g}".replace(".", ",")
    name = escape(f"{label}: {description}")
    parts = [
        f'<svg class="trend" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
        f'height="{HEIGHT}" aria-label="{name}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{name}</title>",
        f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" '
        'stroke="#555" />',
    ]
    for index, (year, value, shown) in enumerate(numeric):
        height = inner_h * value / top
        x = PAD + index * slot + slot * 0.2
        y = HEIGHT - PAD - height
        middle = x + slot * 0.3
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.6:.1f}" height="{height:.1f}" '
            'fill="#1d5a8c" />'
        )
        parts.append(
            f'<text x="{middle:.1f}" y="{HEIGHT - 6}" font-size="10" text-anchor="middle" '
            f'fill="#222">{year}</text>'
        )
        parts.append(
            f'<text x="{middle:.1f}" y="{max(y - 3, 9):.1f}" font-size="9" '
            f'text-anchor="middle" fill="#222">{escape(shown.split(" (")[0])}</text>'
        )
    if target is not None:
        y = HEIGHT - PAD - inner_h * target / top
        parts.append(
            f'<line x1="{PAD}" y1="{y:.1f}" x2="{WIDTH - PAD}" y2="{y:.1f}" stroke="#a4262c" '
            'stroke-dasharray="4 3" />'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
