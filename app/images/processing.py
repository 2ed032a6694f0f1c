"""Uploaded images made safe to serve: PNG or JPEG in, a fresh PNG out.

The upload is recognised by its first bytes, never by what the client says it is; it is then
decoded in full and encoded again, which proves it decodes and drops whatever else it carried
(EXIF with its GPS position, comments, text chunks, colour profiles, a second image appended).

SVG is refused: it is a document that can hold script, event handlers and references to other
hosts, and making one safe would take a sanitiser we would have to trust with our own origin.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass
from typing import Final

from PIL import Image, ImageOps

from app.errors import FieldError, InvalidImage, UnsupportedImageType

# Decoding is refused above this many pixels (a "decompression bomb": a small file that
# unpacks to gigabytes). Pillow's own guard is set to the same bound, for every decode here.
MAX_PIXELS: Final = 4096 * 4096
Image.MAX_IMAGE_PIXELS = MAX_PIXELS
# Between the bound and twice it Pillow only warns, on opening; the size check below refuses
# those images before a pixel is decoded, so the warning would be noise in the logs. (A filter
# set once here: warnings.catch_warnings is not safe in the worker threads this runs in.)
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)
# A badge is shown at a few hundred pixels; larger images are scaled down to this box, which
# also bounds the stored PNG (at most a few MB even for photographic noise).
MAX_SIDE: Final = 1024

_PNG: Final = b"\x89PNG\r\n\x1a\n"
_JPEG: Final = b"\xff\xd8\xff"
_FORMATS: Final = {"PNG": _PNG, "JPEG": _JPEG}


@dataclass(frozen=True, slots=True)
class PreparedImage:
    sha256: str
    png: bytes
    width: int
    height: int


def _format_of(raw: bytes) -> str:
    for name, magic in _FORMATS.items():
        if raw.startswith(magic):
            return name
    head = raw[:256].lstrip().lower()
    if head.startswith((b"<svg", b"<?xml", b"<!doctype svg")):
        raise UnsupportedImageType(
            "SVG images are not accepted (they can carry script and references to other "
            "hosts); send a PNG or JPEG."
        )
    raise UnsupportedImageType("The body is not a PNG or JPEG image.")


def _refused(detail: str, code: str) -> InvalidImage:
    return InvalidImage(detail, errors=[FieldError("#", detail, code)])


def prepare(raw: bytes) -> PreparedImage:
    """The upload as a metadata-free PNG; refuses what is not a whole PNG or JPEG image.

    CPU-bound (up to a few hundred milliseconds): call it in a worker thread.
    """
    expected = _format_of(raw)
    try:
        with Image.open(io.BytesIO(raw), formats=[expected]) as opened:
            if opened.width * opened.height > MAX_PIXELS:
                raise _refused(
                    f"The image is {opened.width} x {opened.height} pixels; at most "
                    f"{MAX_PIXELS} pixels are decoded.",
                    "too_many_pixels",
                )
            opened.load()
            image = _normalised(opened)
    except Image.DecompressionBombError as exc:  # Pillow's own guard, past twice the bound
        raise _refused(
            f"The image would decode to more than {MAX_PIXELS} pixels.", "too_many_pixels"
        ) from exc
    except InvalidImage:
        raise
    # Pillow's decoders raise many kinds of error on damaged or hostile input (OSError for a
    # truncated file, SyntaxError, ValueError, struct.error, ...): each is a bad upload.
    except Exception as exc:
        raise _refused(
            "The image could not be decoded; it may be truncated or damaged.", "undecodable"
        ) from exc
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    png = out.getvalue()
    return PreparedImage(hashlib.sha256(png).hexdigest(), png, image.width, image.height)


def _normalised(image: Image.Image) -> Image.Image:
    # A photo's EXIF orientation would be lost with the metadata: apply it to the pixels first.
    upright = ImageOps.exif_transpose(image)
    transparent = upright.mode in ("RGBA", "LA", "PA", "La", "RGBa") or (
        "transparency" in upright.info
    )
    converted = upright.convert("RGBA" if transparent else "RGB")
    converted.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    # A new image holds the pixels alone: no info dict, no EXIF, no text, no ICC profile.
    clean = Image.new(converted.mode, converted.size)
    clean.paste(converted)
    return clean
