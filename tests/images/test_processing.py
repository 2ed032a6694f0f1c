"""Preparing an upload: what is refused before decoding, and what the stored PNG keeps."""

from __future__ import annotations

import hashlib
import io

import pytest
from PIL import Image

from app.errors import InvalidImage, UnsupportedImageType
from app.images.processing import MAX_PIXELS, prepare
from tests.images import samples

# Pillow warns on opening the images between its bound and twice it (the module filters that
# warning once at import; pytest restores the filters for every test).
pytestmark = pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")


@pytest.mark.parametrize(
    ("width", "height"),
    [
        pytest.param(5000, 4000, id="over-the-bound-where-pillow-only-warns"),
        pytest.param(100_000, 100_000, id="past-pillows-own-guard"),
        pytest.param(MAX_PIXELS + 1, 1, id="one-pixel-too-many"),
    ],
)
def test_too_many_pixels_are_refused_before_decoding(width: int, height: int) -> None:
    with pytest.raises(InvalidImage) as refused:
        prepare(samples.decompression_bomb(width, height))
    assert refused.value.errors[0].code == "too_many_pixels"


def test_the_exif_orientation_is_applied_before_the_metadata_goes() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: the camera was turned; show it rotated 90 degrees clockwise
    sideways = samples.encoded(Image.new("RGB", (40, 20), "red"), "JPEG", exif=exif)
    prepared = prepare(sideways)
    assert (prepared.width, prepared.height) == (20, 40)
    assert not Image.open(io.BytesIO(prepared.png)).getexif()


def test_transparency_is_kept_and_the_digest_names_the_bytes() -> None:
    palette = Image.new("P", (16, 16), 3)
    palette.putpalette([200, 0, 0] * 256)
    prepared = prepare(samples.encoded(palette, "PNG", transparency=3))
    image = Image.open(io.BytesIO(prepared.png))
    assert image.mode == "RGBA"
    assert image.getpixel((0, 0)) == (200, 0, 0, 0)
    assert prepared.sha256 == hashlib.sha256(prepared.png).hexdigest()
    assert prepare(samples.encoded(palette, "PNG", transparency=3)) == prepared


@pytest.mark.parametrize(
    "raw",
    [b"GIF89a\x01\x00\x01\x00", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"", b"  <svg></svg>"],
)
def test_only_png_and_jpeg_are_taken(raw: bytes) -> None:
    with pytest.raises(UnsupportedImageType):
        prepare(raw)
