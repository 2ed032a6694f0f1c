from __future__ import annotations

import base64

import orjson
import pytest

from app.sdjwt.disclosures import digest, disclose, parse_disclosure
from app.sdjwt.errors import (
    ClaimOverwritten,
    DisclosureMisplaced,
    DuplicateDigest,
    MalformedDisclosure,
    MalformedSdJwt,
    ReservedClaimName,
    UnreferencedDisclosure,
    UnsupportedHashAlgorithm,
)
from app.sdjwt.presentation import reveal, split
from app.verification.jws import parse_compact, signature_valid
from tests.sdjwt.rfc9901 import EXAMPLES


def _payload(sd_jwt: str) -> dict[str, object]:
    parsed = parse_compact(split(sd_jwt).jwt)
    assert signature_valid(parsed, EXAMPLES["issuer_jwk"])
    return parsed.payload


def test_the_rfc_section_5_1_sd_jwt_reveals_every_claim() -> None:
    parts = split(EXAMPLES["section_5_1"])
    revealed = reveal(_payload(EXAMPLES["section_5_1"]), parts.disclosures)
    claims = revealed.claims
    assert claims["given_name"] == "John"
    assert claims["family_name"] == "Doe"
    assert claims["address"]["locality"] == "Anytown"
    assert claims["phone_number_verified"] is True
    assert claims["updated_at"] == 1570000000
    assert claims["nationalities"] == ["US", "DE"]
    assert "_sd" not in claims
    assert "_sd_alg" not in claims
    assert parts.key_binding is None
    assert "/nationalities/1" in revealed.disclosed
    assert "/email" in revealed.disclosed


def test_the_rfc_section_5_2_selection_reveals_only_what_is_presented() -> None:
    parts = split(EXAMPLES["section_5_1"])
    chosen = [d for d in parts.disclosures if parse_disclosure(d).name in ("given_name", None)]
    claims = reveal(_payload(EXAMPLES["section_5_1"]), chosen[:2]).claims
    assert claims["given_name"] == "John"
    assert claims["nationalities"] == ["US"]
    assert "email" not in claims
    assert "family_name" not in claims


def test_the_rfc_appendix_a_2_recursive_disclosures_are_rebuilt() -> None:
    parts = split(EXAMPLES["appendix_a_2"])
    claims = reveal(_payload(EXAMPLES["appendix_a_2"]), parts.disclosures).claims
    verified = claims["verified_claims"]
    assert verified["verification"]["time"] == "2012-04-23T18:25Z"
    assert verified["verification"]["evidence"][0]["method"] == "pipp"
    assert verified["claims"]["family_name"] == "Müller"
    assert verified["claims"]["address"]["locality"] == "Maxstadt"


def test_no_disclosures_leave_the_claims_in_clear_and_empty_arrays() -> None:
    claims = reveal(_payload(EXAMPLES["section_5_1"]), []).claims
    assert claims["sub"] == "user_42"
    assert claims["nationalities"] == []
    assert "given_name" not in claims


def _encode(members: list[object]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(members)).rstrip(b"=").decode()


def test_a_tampered_disclosure_matches_no_digest() -> None:
    parts = split(EXAMPLES["section_5_1"])
    salt = parse_disclosure(parts.disclosures[0]).salt
    forged = _encode([salt, "given_name", "Mallory"])
    with pytest.raises(UnreferencedDisclosure):
        reveal(_payload(EXAMPLES["section_5_1"]), [forged])


def test_a_disclosure_presented_twice_is_refused() -> None:
    first = split(EXAMPLES["section_5_1"]).disclosures[0]
    with pytest.raises(DuplicateDigest):
        reveal(_payload(EXAMPLES["section_5_1"]), [first, first])


def test_a_digest_that_appears_twice_in_the_payload_is_refused() -> None:
    disclosure = disclose("given_name", "Ada")
    payload = {"_sd": [disclosure.digest], "inner": {"_sd": [disclosure.digest]}}
    with pytest.raises(DuplicateDigest):
        reveal(payload, [disclosure.encoded])


@pytest.mark.parametrize("name", ["_sd", "..."])
def test_a_disclosure_of_a_reserved_name_is_refused(name: str) -> None:
    encoded = _encode(["c2FsdHNhbHRzYWx0", name, ["x"]])
    with pytest.raises(ReservedClaimName):
        reveal({"_sd": [digest(encoded)]}, [encoded])


def test_sd_alg_other_than_sha_256_is_refused() -> None:
    with pytest.raises(UnsupportedHashAlgorithm):
        reveal({"_sd": [], "_sd_alg": "sha-512"}, [])


def test_a_disclosure_overwriting_a_claim_in_clear_is_refused() -> None:
    disclosure = disclose("sub", "someone-else")
    with pytest.raises(ClaimOverwritten):
        reveal({"sub": "user_42", "_sd": [disclosure.digest]}, [disclosure.encoded])


def test_an_object_disclosure_referenced_from_an_array_is_refused() -> None:
    disclosure = disclose("name", "value")
    with pytest.raises(DisclosureMisplaced):
        reveal({"list": [{"...": disclosure.digest}]}, [disclosure.encoded])


@pytest.mark.parametrize(
    "encoded",
    [
        "not base64!",
        _encode(["only-salt"]),
        _encode([1, "n", "v"]),
        "e30",
    ],
)
def test_malformed_disclosures_are_refused(encoded: str) -> None:
    with pytest.raises(MalformedDisclosure):
        reveal({"_sd": []}, [encoded])


def test_a_disclosure_with_a_final_newline_is_not_read() -> None:
    # Of a length the newline pads out, the standard decoder would drop the newline and read
    # the disclosure whole.
    encoded = next(e for n in range(8) if len(e := disclose("name", "v" * n).encoded) % 4 == 3)
    with pytest.raises(MalformedDisclosure, match="not unpadded base64url"):
        parse_disclosure(encoded + "\n")


@pytest.mark.parametrize("text", ["a.b.c", "~abc~", "a.b.c~~x~"])
def test_malformed_serialisations_are_refused(text: str) -> None:
    with pytest.raises(MalformedSdJwt):
        split(text)


def test_the_presented_part_ends_before_the_key_binding_jwt() -> None:
    parts = split("h.p.s~d1~d2~k.b.j")
    assert parts.presented == "h.p.s~d1~d2~"
    assert parts.key_binding == "k.b.j"
    assert parts.disclosures == ["d1", "d2"]
