"""Image files for upload tests, made on the spot with Pillow (and by hand where Pillow won't)."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image


def encoded(image: Image.Image, image_format: str, **options: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=image_format, **options)
    return out.getvalue()


def png(width: int = 64, height: int = 48, colour: str = "teal") -> bytes:
    return encoded(Image.new("RGB", (width, height), colour), "PNG")


def jpeg_with_gps_exif() -> bytes:
    """A JPEG whose EXIF holds a GPS position and a camera owner: what must not be served."""
    image = Image.new("RGB", (40, 30), "orange")
    exif = Image.Exif()
    exif[0x013B] = "Sanne de Vries"  # Artist
    exif[0x8825] = {1: "N", 2: (52.0, 5.0, 0.0)}  # GPS IFD: latitude
    return encoded(image, "JPEG", exif=exif)


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "private note")
    info.add_itxt("openbadgecredential", "eyJhbGciOiJub25lIn0.e30.")
    return encoded(Image.new("RGBA", (32, 32), (0, 128, 0, 200)), "PNG", pnginfo=info)


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def decompression_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG of a few dozen bytes that claims 10 gigapixels (by default) of one grey."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + _chunk(b"IEND", b"")
    )


def truncated_png() -> bytes:
    whole = encoded(Image.effect_noise((200, 200), 64).convert("RGB"), "PNG")
    return whole[: len(whole) // 2]
