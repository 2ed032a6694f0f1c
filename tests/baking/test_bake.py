"""Baking by the Open Badges 3.0 rules, read back with Pillow and an XML parser."""

from __future__ import annotations

import io
import struct
import zlib

import defusedxml.ElementTree as SafeElementTree
import pytest
from PIL import Image, PngImagePlugin

from app.baking.artwork import BadgeFace, default_png, default_svg, png_in_svg
from app.baking.bake import (
    SVG_NAMESPACE,
    BakingError,
    bake_png,
    bake_svg,
    bake_svg_document,
)
from tests.images import samples

JWS = "eyJhbGciOiJFUzI1NiJ9.eyJpc3MiOiJkaWQ6d2ViOngifQ.c2lnbmF0dXJl"
OTHER_JWS = "eyJhbGciOiJFUzI1NiJ9.e30.b3RoZXI"
FACE = BadgeFace(
    title="Data & Society <advanced> \"policy\" 'work'",
    institution="Hogeschool Voorbeeld",
    kind="formal",
    kind_label="Formal micro-credential",
)
CREDENTIAL = f"{{{SVG_NAMESPACE}}}credential"
SVG = "{http://www.w3.org/2000/svg}"


def _chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    found, position = [], 8
    while position < len(png):
        (length,) = struct.unpack(">I", png[position : position + 4])
        kind = png[position + 4 : position + 8]
        data = png[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", png[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + data)
        found.append((kind, data))
        position += 12 + length
    return found


def _text(png: bytes) -> dict[str, str]:
    image = Image.open(io.BytesIO(png))
    assert isinstance(image, PngImagePlugin.PngImageFile)
    image.load()
    return dict(image.text)


def test_a_baked_png_holds_one_uncompressed_itxt_chunk_before_iend() -> None:
    baked = bake_png(samples.png(), JWS)
    kinds = [kind for kind, _ in _chunks(baked)]
    assert kinds[-2:] == [b"iTXt", b"IEND"]
    data = _chunks(baked)[-2][1]
    assert data == b"openbadgecredential\x00" + b"\x00\x00" + b"\x00" + b"\x00" + JWS.encode()
    assert _text(baked) == {"openbadgecredential": JWS}
    assert (
        Image.open(io.BytesIO(baked)).tobytes() == Image.open(io.BytesIO(samples.png())).tobytes()
    )


def test_baking_a_baked_png_again_replaces_the_credential() -> None:
    twice = bake_png(bake_png(samples.png(), OTHER_JWS), JWS)
    badge_chunks = [d for k, d in _chunks(twice) if d.startswith(b"openbadgecredential\x00")]
    assert len(badge_chunks) == 1
    assert _text(twice) == {"openbadgecredential": JWS}


def test_other_png_chunks_are_kept_as_they_were() -> None:
    original = samples.png_with_text()  # a text chunk, and a credential baked before

    def others(png: bytes) -> list[tuple[bytes, bytes]]:
        return [c for c in _chunks(png) if not c[1].startswith(b"openbadgecredential\x00")]

    assert others(bake_png(original, JWS)) == others(original)


@pytest.mark.parametrize(
    "damaged",
    [b"GIF89a", b"\x89PNG\r\n\x1a\n", samples.png()[:-6], samples.png()[:40]],
)
def test_what_is_not_a_whole_png_is_refused(damaged: bytes) -> None:
    with pytest.raises(BakingError):
        bake_png(damaged, JWS)


def test_a_json_credential_is_baked_as_text_too() -> None:
    document = '{"id": "urn:uuid:1", "name": "Ünïcode ]]> ok"}'
    assert _text(bake_png(samples.png(), document)) == {"openbadgecredential": document}
    root = SafeElementTree.fromstring(bake_svg(None, document, FACE))
    assert "verify" not in root[0].attrib
    assert root[0].text == document  # the CDATA, "]]>" and all


def test_the_default_svg_is_baked_right_after_the_root_start_tag() -> None:
    baked = bake_svg(None, JWS, FACE)
    start_tag, rest = baked.decode().split(">", 1)
    assert start_tag.startswith("<svg ")
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in start_tag
    assert rest.startswith(f'<openbadges:credential verify="{JWS}">')
    root = SafeElementTree.fromstring(baked)
    assert root.tag == f"{SVG}svg"
    assert root[0].tag == CREDENTIAL
    assert root[0].attrib == {"verify": JWS}
    title = root.find(f"{SVG}title")
    assert title is not None
    assert title.text == FACE.title  # escaped in, read back whole


def test_an_svg_of_someone_else_keeps_its_content_and_declarations() -> None:
    svg = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<!-- a comment with <svg> in it -->\n'
        '<svg xmlns="http://www.w3.org/2000/svg" data-note="a > b" '
        'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0" viewBox="0 0 1 1">'
        "<rect width='1' height='1'/></svg>"
    )
    baked = bake_svg_document(svg, JWS).decode()
    assert baked.count("xmlns:openbadges") == 1
    assert baked.startswith(svg.split("<rect", maxsplit=1)[0].removesuffix(">"))
    root = SafeElementTree.fromstring(baked.encode())
    assert [child.tag for child in root] == [CREDENTIAL, f"{SVG}rect"]
    assert root.attrib["data-note"] == "a > b"


def test_an_empty_svg_element_is_opened_to_hold_the_credential() -> None:
    baked = bake_svg_document('<svg xmlns="http://www.w3.org/2000/svg"/>', JWS)
    assert SafeElementTree.fromstring(baked)[0].attrib["verify"] == JWS


@pytest.mark.parametrize(
    "svg",
    [
        pytest.param("<html/>", id="not-svg"),
        pytest.param("<svg>unclosed", id="not-well-formed"),
        pytest.param("<svg/>", id="no-svg-namespace"),
        pytest.param(
            '<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa">]><svg xmlns="http://www.w3.org/2000/svg">'
            "&a;</svg>",
            id="doctype-with-entities",
        ),
        pytest.param(
            '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="urn:other"/>',
            id="prefix-bound-elsewhere",
        ),
    ],
)
def test_svgs_that_cannot_be_baked_safely_are_refused(svg: str) -> None:
    with pytest.raises(BakingError):
        bake_svg_document(svg, JWS)


def test_an_svg_that_holds_a_credential_already_is_refused() -> None:
    with pytest.raises(BakingError, match="already"):
        bake_svg_document(bake_svg(None, OTHER_JWS, FACE).decode(), JWS)


def test_the_default_artwork_is_deterministic_and_self_contained() -> None:
    informal = BadgeFace("Library Research Skills", "Hogeschool", "informal", "Informal badge")
    png = default_png.__wrapped__(FACE)
    assert png == default_png.__wrapped__(FACE)
    assert png != default_png.__wrapped__(informal)
    image = Image.open(io.BytesIO(png))
    assert (image.format, image.size) == ("PNG", (512, 512))
    svg = default_svg.__wrapped__(FACE)
    assert svg == default_svg.__wrapped__(FACE)
    assert "href" not in svg
    assert "url(" not in svg
    texts = [t.text or "" for t in SafeElementTree.fromstring(svg).iter(f"{SVG}text")]
    assert texts[0] == "FORMAL MICRO-CREDENTIAL"
    assert "Hogeschool Voorbeeld" in texts
    assert " ".join(texts[1:-1]) == FACE.title


def test_a_long_title_is_shortened_within_the_card() -> None:
    long = BadgeFace("Word " * 80 + "Supercalifragilisticexpialidocious" * 4, "X", "unknown", "C")
    texts = [t.text or "" for t in SafeElementTree.fromstring(default_svg(long)).iter(f"{SVG}text")]
    assert len(texts) == 1 + 4 + 1
    assert texts[4].endswith("…")


def test_an_uploaded_png_in_svg_is_embedded_as_data() -> None:
    png = samples.png(30, 20)
    root = SafeElementTree.fromstring(bake_svg(png_in_svg(png, "Title & co"), JWS, FACE))
    assert root[0].attrib["verify"] == JWS
    assert (root.attrib["width"], root.attrib["height"]) == ("30", "20")
    image = root.find(f"{SVG}image")
    assert image is not None
    assert image.attrib["href"].startswith("data:image/png;base64,")
