"""Open Badges 3.0 baking: a credential carried inside its badge image.

The rules are those of the specification's "Baked Badge" section (OB 3.0, document formats):

- PNG: one ``iTXt`` chunk with the keyword ``openbadgecredential``, compression flag 0 and
  compression method 0 (compression MUST NOT be used), an empty language tag and translated
  keyword, and as its text the compact JWS (or, for a credential with an embedded proof, its
  JSON). The chunk goes just before ``IEND``; a chunk of that keyword already in the image is
  replaced, since one MUST NOT appear twice.
- SVG: the root ``<svg>`` start tag declares ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"``
  and directly after it comes ``<openbadges:credential verify="<compact JWS>">``; a JSON
  credential goes into the element's body as CDATA instead, without ``verify``. An SVG that
  holds a credential already is refused (the specification leaves error or overwrite to us).

Both functions are pure and deterministic: the same image and token give the same bytes.
"""

from __future__ import annotations

import re
import struct
import zlib
from xml.parsers import expat

from app.baking.artwork import BadgeFace, default_svg

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD = b"openbadgecredential"
SVG_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
SVG_NAMESPACE_DECLARATION = f'xmlns:openbadges="{SVG_NAMESPACE}"'
_SVG_ROOT = "http://www.w3.org/2000/svg svg"
_SVG_CREDENTIAL = f"{SVG_NAMESPACE} credential"
_COMPACT_JWS = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*")


class BakingError(ValueError):
    """The image cannot carry a credential: not a well-formed PNG or SVG of the kind we bake."""


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_chunks(image: bytes) -> list[tuple[bytes, bytes]]:
    if not image.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG image")
    chunks: list[tuple[bytes, bytes]] = []
    position = len(PNG_SIGNATURE)
    while position < len(image):
        if position + 12 > len(image):
            raise BakingError("truncated PNG chunk")
        (length,) = struct.unpack(">I", image[position : position + 4])
        kind = image[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(image):
            raise BakingError("truncated PNG chunk")
        chunks.append((kind, image[position + 8 : position + 8 + length]))
        position = end
        if kind == b"IEND":
            return chunks
    raise BakingError("PNG without IEND")


def _is_badge_chunk(kind: bytes, data: bytes) -> bool:
    return kind == b"iTXt" and data.split(b"\x00", 1)[0] == PNG_KEYWORD


def bake_png(image_png: bytes, token: str) -> bytes:
    """The PNG with ``token`` (a compact JWS, or a credential's JSON) baked in."""
    chunks = [c for c in _png_chunks(image_png) if not _is_badge_chunk(*c)]
    # keyword NUL, compression flag 0, compression method 0, language tag "" NUL,
    # translated keyword "" NUL, then the text as UTF-8.
    itxt = PNG_KEYWORD + b"\x00\x00\x00" + b"\x00" + b"\x00" + token.encode()
    body = b"".join(_chunk(kind, data) for kind, data in chunks[:-1])
    return PNG_SIGNATURE + body + _chunk(b"iTXt", itxt) + _chunk(*chunks[-1])


def _credential_element(token: str) -> str:
    if _COMPACT_JWS.fullmatch(token):
        return f'<openbadges:credential verify="{token}"></openbadges:credential>'
    # JSON with an embedded proof: the element's body, as CDATA. "]]>" cannot occur inside a
    # CDATA section, so it is split across two.
    cdata = token.replace("]]>", "]]]]><![CDATA[>")
    return f"<openbadges:credential><![CDATA[{cdata}]]></openbadges:credential>"


def _root_start_tag(svg: str) -> tuple[int, dict[str, str]]:
    """Where the root element's start tag ends, and the namespaces it declares.

    Parsed with expat, refusing any document type declaration (and with it every entity, the
    "billion laughs" included); the offsets let the credential go in without re-serialising,
    and so changing, the rest of the image.
    """
    parser: expat.XMLParserType = expat.ParserCreate(namespace_separator=" ")
    root: list[tuple[str, int]] = []
    declared: dict[str, str] = {}

    def refuse_doctype(*_: object) -> None:
        raise BakingError("an SVG with a document type declaration is not baked")

    def namespace(prefix: str | None, uri: str) -> None:
        if not root:
            declared[prefix or ""] = uri

    def start(name: str, _attributes: dict[str, str]) -> None:
        if not root:
            root.append((name, parser.CurrentByteIndex))
        elif name == _SVG_CREDENTIAL:
            raise BakingError("the SVG holds a credential already")

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.StartNamespaceDeclHandler = namespace
    parser.StartElementHandler = start
    encoded = svg.encode()
    try:
        parser.Parse(encoded, True)
    except expat.ExpatError as exc:
        raise BakingError(f"not well-formed XML: {exc}") from exc
    if not root or root[0][0] != _SVG_ROOT:
        raise BakingError("the root element is not an SVG <svg>")
    start_offset = len(encoded[: root[0][1]].decode())
    return _tag_end(svg, start_offset), declared


def _tag_end(text: str, start: int) -> int:
    """The index of the ``>`` closing the start tag at ``start`` (a ``>`` may sit in quotes)."""
    quote = ""
    for index in range(start, len(text)):
        char = text[index]
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char == ">":
            return index
    raise BakingError("unterminated start tag")  # pragma: no cover - expat parsed it whole


def bake_svg_document(svg: str, token: str) -> bytes:
    """An SVG document with ``token`` baked in directly after the root start tag."""
    end, declared = _root_start_tag(svg)
    prefix_uri = declared.get("openbadges")
    if prefix_uri not in (None, SVG_NAMESPACE):
        raise BakingError("the prefix 'openbadges' is bound to another namespace")
    self_closing = svg[end - 1] == "/"
    start_tag = svg[: end - 1 if self_closing else end].rstrip()
    if prefix_uri is None:
        start_tag += f" {SVG_NAMESPACE_DECLARATION}"
    rest = svg[end + 1 :]
    return (
        start_tag + ">" + _credential_element(token) + ("</svg>" + rest if self_closing else rest)
    ).encode()


def bake_svg(svg: str | None, token: str, face: BadgeFace) -> bytes:
    """The achievement's SVG, or when it has none the default artwork, with ``token`` baked in."""
    return bake_svg_document(svg if svg is not None else default_svg(face), token)
