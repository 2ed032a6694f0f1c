"""The badge image of an achievement that has none of its own, as PNG and as SVG.

A 512 by 512 card in the colour of the credential's kind (formal, informal) carrying the kind,
the title and the institution. Drawn with the font Pillow bundles, so the output depends on
nothing installed on the host and the same face always gives the same bytes (cacheable). The
SVG is laid out with the same font metrics and references nothing outside itself.
"""

from __future__ import annotations

import base64
import io
import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

from PIL import Image, ImageDraw, ImageFont

SIZE = 512
_MARGIN = 46
_TEXT_WIDTH = SIZE - 2 * _MARGIN
_RADIUS = 48
_RING = 10
_WHITE = "#ffffff"
# The pages' colours (stapel.css), which meet WCAG AA with white text.
_COLOURS = {"formal": "#0b4f8a", "informal": "#6b3fa0", "unknown": "#4a5360"}
_RING_COLOURS = {"formal": "#3f7bb0", "informal": "#8f68bd", "unknown": "#737c88"}
_FONT_FAMILY = "Aileron, 'Helvetica Neue', Arial, sans-serif"
_ELLIPSIS = "…"

Kind = Literal["formal", "informal", "unknown"]


@dataclass(frozen=True, slots=True)
class BadgeFace:
    """What the default artwork shows; the kind label is in the reader's language."""

    title: str
    institution: str
    kind: Kind
    kind_label: str


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    size: int
    y: int  # baseline


@lru_cache(maxsize=16)
def _font(size: int) -> ImageFont.FreeTypeFont:
    font = ImageFont.load_default(size=size)
    if not isinstance(font, ImageFont.FreeTypeFont):  # pragma: no cover - Pillow without FreeType
        raise RuntimeError("Pillow was built without FreeType")
    return font


def _wrap(text: str, size: int, max_lines: int) -> tuple[list[str], bool]:
    """``text`` in lines no wider than the card; whether all of it fit in ``max_lines``."""
    font = _font(size)
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if font.getlength(candidate) <= _TEXT_WIDTH:
            current = candidate
            continue
        if current:
            lines.append(current)
        # A word wider than the card on its own is broken wherever it must be.
        rest = word
        while font.getlength(rest) > _TEXT_WIDTH:
            cut = len(rest) - 1
            while cut > 1 and font.getlength(rest[:cut]) > _TEXT_WIDTH:
                cut -= 1
            lines.append(rest[:cut])
            rest = rest[cut:]
        current = rest
    if current:
        lines.append(current)
    if len(lines) <= max_lines:
        return lines, True
    kept = lines[:max_lines]
    last = kept[-1]
    while last and font.getlength(last + _ELLIPSIS) > _TEXT_WIDTH:
        last = last[:-1]
    kept[-1] = last.rstrip() + _ELLIPSIS
    return kept, False


def _title_lines(title: str) -> tuple[list[str], int]:
    """The largest size at which the title fits in four lines (or the smallest, shortened)."""
    for size in (52, 46, 40, 34):
        lines, complete = _wrap(title, size, 4)
        if complete:
            return lines, size
    return _wrap(title, 30, 4)[0], 30


def _layout(face: BadgeFace) -> list[_Line]:
    lines: list[_Line] = [_Line(face.kind_label.upper(), 24, 96)]
    title, title_size = _title_lines(face.title)
    leading = round(title_size * 1.2)
    # The title block sits centred between the kind label and the institution.
    top = 150 + (4 - len(title)) * leading // 2 + title_size
    lines.extend(_Line(text, title_size, top + i * leading) for i, text in enumerate(title))
    institution, _ = _wrap(face.institution, 24, 2)
    bottom = 446 - (len(institution) - 1) * 30
    lines.extend(_Line(text, 24, bottom + i * 30) for i, text in enumerate(institution))
    return lines


@lru_cache(maxsize=256)
def default_png(face: BadgeFace) -> bytes:
    image = Image.new("RGBA", (SIZE, SIZE), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    box = (0, 0, SIZE - 1, SIZE - 1)
    draw.rounded_rectangle(box, radius=_RADIUS, fill=_RING_COLOURS[face.kind])
    inner = (_RING, _RING, SIZE - 1 - _RING, SIZE - 1 - _RING)
    draw.rounded_rectangle(inner, radius=_RADIUS - _RING, fill=_COLOURS[face.kind])
    draw.line((SIZE // 2 - 60, 120, SIZE // 2 + 60, 120), fill=_WHITE, width=3)
    for line in _layout(face):
        draw.text((SIZE // 2, line.y), line.text, font=_font(line.size), fill=_WHITE, anchor="ms")
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


@lru_cache(maxsize=256)
def default_svg(face: BadgeFace) -> str:
    texts = "".join(
        f'<text x="{SIZE // 2}" y="{line.y}" font-size="{line.size}">{escape(line.text)}</text>'
        for line in _layout(face)
    )
    label = quoteattr(f"{face.title} · {face.institution}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" '
        f'viewBox="0 0 {SIZE} {SIZE}" role="img" aria-label={label}>'
        f"<title>{escape(face.title)}</title>"
        f'<rect width="{SIZE}" height="{SIZE}" rx="{_RADIUS}" fill="{_RING_COLOURS[face.kind]}"/>'
        f'<rect x="{_RING}" y="{_RING}" width="{SIZE - 2 * _RING}" height="{SIZE - 2 * _RING}" '
        f'rx="{_RADIUS - _RING}" fill="{_COLOURS[face.kind]}"/>'
        f'<line x1="{SIZE // 2 - 60}" y1="120" x2="{SIZE // 2 + 60}" y2="120" '
        f'stroke="{_WHITE}" stroke-width="3"/>'
        f'<g fill="{_WHITE}" font-family="{_FONT_FAMILY}" text-anchor="middle">{texts}</g>'
        "</svg>"
    )


def png_size(png: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, which the format puts first."""
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def png_in_svg(png: bytes, title: str) -> str:
    """An SVG showing the PNG, embedded as data so that the file stands on its own."""
    width, height = png_size(png)
    data = "data:image/png;base64," + base64.b64encode(png).decode()
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f"aria-label={quoteattr(title)}>"
        f"<title>{escape(title)}</title>"
        # href for SVG 2 renderers, xlink:href for SVG 1.1 ones; both name the same data.
        f'<image width="{width}" height="{height}" href="{data}" xlink:href="{data}"/>'
        "</svg>"
    )


def svg_data_uri(svg: str) -> str:
    """The SVG as a data: URL, which the pages' policy allows as an image."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
