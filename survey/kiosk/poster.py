"""Printable QR posters for a counter: an A4/A5 SVG and the QR code alone."""
from __future__ import annotations

from xml.sax.saxutils import escape

SIZES = {"a4": (210, 297), "a5": (148, 210)}


def qr_svg(url: str) -> str:
    """The QR code of ``url`` as an inline SVG element that scales to its box."""
    import segno  # on first poster, not when the app starts

    return segno.make(url, error="m").svg_inline(omitsize=True, border=2, dark="#000")


def _text(x: float, y: float, size: float, content: str, weight: str = "normal") -> str:
    return (f'<text x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" '
            f'text-anchor="middle">{escape(content)}</text>')


def poster_svg(url: str, agency: str, counter: str, lines: list[str], size: str = "a4") -> str:
    """A whole poster as one SVG document measured in millimetres."""
    width, height = SIZES.get(size, SIZES["a4"])
    scale = width / 210
    mid, qr_size = width / 2, 130 * scale
    qr = qr_svg(url).replace(
        "<svg ", f'<svg x="{mid - qr_size / 2:.1f}" y="{62 * scale:.1f}" '
                 f'width="{qr_size:.1f}" height="{qr_size:.1f}" ', 1)
    parts = [
        (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}mm" height="{height}mm" '
         f'viewBox="0 0 {width} {height}" font-family="system-ui, Arial, sans-serif" '
         'fill="#111">'),
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        _text(mid, 22 * scale, 8 * scale, agency, "bold"),
        _text(mid, 33 * scale, 6.5 * scale, counter),
    ]
    for i, line in enumerate(lines):
        parts.append(_text(mid, (46 + i * 9) * scale, 7 * scale, line, "bold" if i == 0 else "normal"))
    parts.append(qr)
    parts.append(_text(mid, 205 * scale, 5 * scale, url))
    parts.append("</svg>")
    return "\n".join(parts)
