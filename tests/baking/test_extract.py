"""Reading baked credentials out of PNG and SVG files, and refusing hostile or broken ones."""

from __future__ import annotations

import pytest

from app.baking.extract import (
    credential_from_file,
    credential_from_png,
    credential_from_svg,
)
from app.errors import CredentialNotReadable
from tests.baking.files import (
    BILLION_LAUGHS_SVG,
    XXE_SVG,
    baked_png,
    baked_svg,
    plain_png,
    png_baked_after_the_image_data,
    png_claiming,
    svg_with_embedded_json,
)

TOKEN = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJkaWQ6ZXhhbXBsZSJ9.c2lnbmF0dXJl"


def refusal(read: object, data: bytes) -> str:
    assert callable(read)
    with pytest.raises(CredentialNotReadable) as caught:
        read(data)
    assert caught.value.status_code == 422
    return str(caught.value.reason)


def test_a_png_baked_before_its_image_data_gives_its_credential() -> None:
    assert credential_from_png(baked_png(TOKEN)) == TOKEN


def test_a_png_baked_after_its_image_data_gives_its_credential() -> None:
    assert credential_from_png(png_baked_after_the_image_data(TOKEN)) == TOKEN


def test_a_png_with_an_embedded_proof_credential_gives_its_json() -> None:
    assert credential_from_png(baked_png('{"type": ["VerifiableCredential"]}')).startswith("{")


def test_a_png_without_the_chunk_is_not_baked() -> None:
    assert refusal(credential_from_png, plain_png()) == "png_no_credential"
    assert refusal(credential_from_png, baked_png(TOKEN, keyword="comment")) == "png_no_credential"


@pytest.mark.parametrize(
    "damage",
    [
        lambda png: png[: len(png) // 2],  # truncated inside the image data
        lambda png: png[:40],  # truncated inside the header
        lambda png: png[:20] + b"\x00" * 8 + png[28:],  # the header's CRC broken
        lambda png: png[:8] + b"garbage" * 10,
    ],
)
def test_a_damaged_png_is_refused_as_malformed(damage: object) -> None:
    assert callable(damage)
    assert refusal(credential_from_png, damage(plain_png(size=256))) == "png_malformed"


def test_a_png_claiming_too_many_pixels_is_refused_before_any_is_decoded() -> None:
    assert refusal(credential_from_png, png_claiming(5_000, 5_000)) == "png_too_large"
    # Beyond Pillow's own decompression-bomb limit, which refuses it on opening.
    assert refusal(credential_from_png, png_claiming(65_535, 65_535)) == "png_too_large"


@pytest.mark.parametrize(
    "namespace", ["https://purl.imsglobal.org/ob/v3p0", "https://purl.imsglobal.org/spec/ob/v3p0"]
)
def test_an_svg_baked_with_the_verify_attribute_gives_the_jws(namespace: str) -> None:
    assert credential_from_svg(baked_svg(TOKEN, namespace)) == TOKEN


def test_an_svg_baked_with_an_embedded_proof_gives_the_json_of_its_cdata() -> None:
    document = '{"type": ["VerifiableCredential", "OpenBadgeCredential"]}'
    assert credential_from_svg(svg_with_embedded_json(document)) == document


def test_an_svg_with_entities_is_refused_without_expanding_them() -> None:
    assert refusal(credential_from_svg, BILLION_LAUGHS_SVG) == "svg_forbidden"


def test_an_svg_with_an_external_entity_is_refused_without_reading_it() -> None:
    assert refusal(credential_from_svg, XXE_SVG) == "svg_forbidden"


@pytest.mark.parametrize(
    ("svg", "reason"),
    [
        (b"<svg xmlns='http://www.w3.org/2000/svg'><g></svg>", "svg_malformed"),
        (b"<html><body>not an image</body></html>", "svg_malformed"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'><circle r='1'/></svg>", "svg_no_credential"),
        # An element of another namespace under the same prefix is not the credential.
        (
            b"<svg xmlns='http://www.w3.org/2000/svg' xmlns:openbadges='http://openbadges.org'>"
            b"<openbadges:assertion verify='x.y.z'/></svg>",
            "svg_no_credential",
        ),
        (
            b"<svg xmlns='http://www.w3.org/2000/svg' "
            b"xmlns:openbadges='https://purl.imsglobal.org/ob/v3p0'>"
            b"<openbadges:credential verify=' '/></svg>",
            "svg_no_credential",
        ),
    ],
)
def test_an_svg_without_a_readable_credential_is_refused(svg: bytes, reason: str) -> None:
    assert refusal(credential_from_svg, svg) == reason


def test_a_file_is_told_apart_by_its_content_not_its_name() -> None:
    assert credential_from_file(baked_png(TOKEN)) == TOKEN
    assert credential_from_file(baked_svg(TOKEN)) == TOKEN
    assert credential_from_file(b"\xef\xbb\xbf  " + TOKEN.encode() + b"\r\n") == TOKEN
    assert credential_from_file(b'{"verifiableCredential": "x"}') == '{"verifiableCredential": "x"}'


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty"),
        (b" \n\t", "empty"),
        ("Één credential".encode("latin-1"), "not_utf8"),
        (b"GIF89a\x01\x00\x01\x00\x80\xff\x00", "not_utf8"),
    ],
)
def test_a_file_that_is_neither_an_image_nor_text_is_refused(data: bytes, reason: str) -> None:
    assert refusal(credential_from_file, data) == reason
