"""Unpadded base64url, held to RFC 7515 and to the standard library's encoder."""

from __future__ import annotations

import base64
import os

from app.base64url import b64url


def test_the_rfc_7515_example_encodes_as_the_rfc_says() -> None:
    # RFC 7515, Appendix C: the octets 3, 236, 255, 224, 193.
    assert b64url(bytes([3, 236, 255, 224, 193])) == "A-z_4ME"


def test_every_length_encodes_as_the_standard_library_does_without_padding() -> None:
    # Lengths 0 to 99 cover every remainder of three and so every amount of padding dropped;
    # random octets reach both characters that differ from the standard alphabet.
    for length in range(100):
        data = os.urandom(length)
        expected = base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")
        assert b64url(data) == expected


def test_a_credential_sized_payload_uses_only_the_url_safe_alphabet() -> None:
    encoded = b64url(bytes(range(256)) * 20)
    assert set(encoded) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert "-" in encoded
    assert "_" in encoded
