"""Baked badge files built by hand for the tests: Pillow's ``PngInfo.add_itxt`` for PNG, text for
SVG, so the reader is checked against files it did not make itself."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image
from PIL.PngImagePlugin import PngInfo

SPEC_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"


def plain_png(size: int = 64) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (size, size), (11, 79, 138, 255)).save(out, format="PNG")
    return out.getvalue()


def baked_png(text: str, keyword: str = "openbadgecredential") -> bytes:
    """Pillow writes text chunks ahead of the image data."""
    info = PngInfo()
    info.add_itxt(keyword, text)
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (255, 255, 255)).save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_baked_after_the_image_data(text: str) -> bytes:
    """The iTXt chunk just before IEND, where a baker may also put it."""
    png = plain_png()
    iend = png.rindex(b"IEND") - 4
    itxt = b"openbadgecredential\x00\x00\x00\x00\x00" + text.encode("utf-8")
    return png[:iend] + chunk(b"iTXt", itxt) + png[iend:]


def png_claiming(width: int, height: int) -> bytes:
    """A PNG header for an image of this size, with no pixels behind it: a decompression bomb."""
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b""))


def baked_svg(token: str, namespace: str = SPEC_NAMESPACE) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'xmlns:openbadges="{namespace}" viewBox="0 0 512 512">\n'
        f'  <openbadges:credential verify="{token}"></openbadges:credential>\n'
        '  <circle cx="256" cy="256" r="200" fill="#0b4f8a"/>\n'
        "</svg>\n"
    ).encode()


def svg_with_embedded_json(document: str) -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        f'xmlns:openbadges="{SPEC_NAMESPACE}" viewBox="0 0 512 512">'
        f"<openbadges:credential><![CDATA[{document}]]></openbadges:credential></svg>"
    ).encode()


BILLION_LAUGHS_SVG = b"""<?xml version="1.0"?>
<!DOCTYPE svg [
  <!ENTITY lol "lol">
  <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
  <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
  <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">
  <openbadges:credential verify="&lol3;"></openbadges:credential>
</svg>
"""

XXE_SVG = b"""<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0">
  <openbadges:credential verify="&secret;"></openbadges:credential>
</svg>
"""
