"""Reading the credential out of a file a person holds: a baked badge image, or the credential.

Open Badges 3.0 bakes a credential into its image (the specification's "Baking" section):

* PNG: an ``iTXt`` chunk with the keyword ``openbadgecredential``, before or after the image
  data; its text is the compact JWS (or the JSON of a credential with an embedded proof). The
  first such chunk counts.
* SVG: an ``<openbadges:credential>`` element, the namespace ``https://purl.imsglobal.org/ob/v3p0``
  on the ``<svg>`` root; the compact JWS is its ``verify`` attribute, or (embedded proof) the JSON
  is its text in a CDATA section. The first such element counts.

Every file here comes from a stranger, so it is read defensively: a PNG's pixel count is
checked before a pixel is decoded, and an SVG is parsed with defusedxml refusing any DTD, entity
declaration or external reference (no billion laughs, no XXE). Whatever cannot be read becomes a
``CredentialNotReadable`` with a reason the page can put in words; nothing else escapes.

These functions block (Pillow decodes in C); callers on the event loop run them in a thread.
"""

from __future__ import annotations

import io
import warnings
from typing import Final
from xml.etree.ElementTree import ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as parse_xml_safely
from PIL import Image
from PIL.PngImagePlugin import PngImageFile

from app.errors import CredentialNotReadable

PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"
PNG_KEYWORD: Final = "openbadgecredential"
SVG_NAMESPACE: Final = "http://www.w3.org/2000/svg"
# The specification's namespace, and the one its JSON-LD context lives under, which some bakers
# write instead; both name the same element.
OPEN_BADGES_NAMESPACES: Final = (
    "https://purl.imsglobal.org/ob/v3p0",
    "https://purl.imsglobal.org/spec/ob/v3p0",
)
_CREDENTIAL_TAGS: Final = frozenset(f"{{{ns}}}credential" for ns in OPEN_BADGES_NAMESPACES)
# A badge is a few hundred pixels square; 4096 x 4096 RGBA is already 64 MiB decoded, the most a
# verification should ever cost. Pillow's own bomb check (89 million pixels) is far above it.
MAX_PIXELS: Final = 4096 * 4096


def _refuse(reason: str, detail: str) -> CredentialNotReadable:
    return CredentialNotReadable(detail, reason=reason)


def credential_from_file(data: bytes) -> str:
    """The credential text (a compact JWS or JSON) in a PNG, an SVG or a UTF-8 text file.

    The kind is told from the content, not the file's name, which anyone can change.
    """
    if not data.strip():
        raise _refuse("empty", "The file is empty.")
    if data.startswith(PNG_SIGNATURE):
        return credential_from_png(data)
    if data.removeprefix(b"\xef\xbb\xbf").lstrip().startswith(b"<"):
        return credential_from_svg(data)
    try:
        return data.decode("utf-8-sig").strip()
    except UnicodeDecodeError as exc:
        raise _refuse("not_utf8", "The file is neither a PNG or SVG image nor UTF-8 text.") from exc


def credential_from_png(data: bytes) -> str:
    """The text of the first ``iTXt`` chunk ``openbadgecredential`` of a PNG."""
    try:
        # Pillow warns on opening an image above its own pixel bound; the bound is checked
        # below and refused with a reason, so the warning would only be noise in the logs.
        with (
            warnings.catch_warnings(action="ignore", category=Image.DecompressionBombWarning),
            Image.open(io.BytesIO(data), formats=["PNG"]) as image,
        ):
            if not isinstance(image, PngImageFile):  # pragma: no cover - formats=["PNG"]
                raise TypeError(type(image).__name__)
            width, height = image.size
            if width * height > MAX_PIXELS:
                raise _refuse(
                    "png_too_large",
                    f"The image has {width} x {height} pixels; at most {MAX_PIXELS} are read.",
                )
            text = image.info.get(PNG_KEYWORD)  # the chunks before the image data
            if text is None:
                image.load()  # chunks after the image data are only read with it
                text = image.text.get(PNG_KEYWORD)
    except CredentialNotReadable:
        raise
    except Image.DecompressionBombError as exc:  # so large that Pillow refuses it on opening
        raise _refuse("png_too_large", "The image has too many pixels to be read.") from exc
    except Exception as exc:
        # Pillow's parsers raise OSError, SyntaxError, ValueError, EOFError, struct.error,
        # zlib.error ... on a broken file: all of them mean the file cannot be read.
        raise _refuse("png_malformed", "The PNG image is damaged or truncated.") from exc
    if not isinstance(text, str) or not text.strip():
        raise _refuse(
            "png_no_credential", f"The PNG image has no {PNG_KEYWORD} chunk: it is not baked."
        )
    return text.strip()


def credential_from_svg(data: bytes) -> str:
    """The ``verify`` attribute or the text of the first ``openbadges:credential`` element."""
    try:
        root = parse_xml_safely(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise _refuse(
            "svg_forbidden",
            "The SVG declares a DTD, entities or external references; such files are not read.",
        ) from exc
    except (ParseError, ValueError) as exc:
        raise _refuse("svg_malformed", "The SVG image is not well-formed XML.") from exc
    if root.tag != f"{{{SVG_NAMESPACE}}}svg":
        raise _refuse("svg_malformed", "The file is XML but not an SVG image.")
    for element in root.iter():
        if element.tag not in _CREDENTIAL_TAGS:
            continue
        baked = (element.get("verify") or "").strip() or (element.text or "").strip()
        if not baked:
            break
        return baked
    raise _refuse(
        "svg_no_credential", "The SVG image has no openbadges:credential element: it is not baked."
    )
