from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.keys.algorithms import generate_private_key, public_jwk
from app.sdjwt.errors import (
    KeyBindingAudienceMismatch,
    KeyBindingHashMismatch,
    KeyBindingInvalid,
    KeyBindingNonceMismatch,
    KeyBindingStale,
)
from app.sdjwt.key_binding import Expectations, check_key_binding, holder_key, make_key_binding
from app.sdjwt.presentation import split
from app.verification.jws import parse_compact
from tests.sdjwt.rfc9901 import EXAMPLES

RFC = EXAMPLES["appendix_a_3_key_binding"]
RFC_MOMENT = datetime.fromtimestamp(RFC["iat"], UTC)


def _expect(nonce: str | None = RFC["nonce"], audience: str | None = RFC["aud"]) -> Expectations:
    return Expectations(nonce, audience, max_age_seconds=300, skew_seconds=60)


def test_the_rfc_appendix_a_3_key_binding_verifies() -> None:
    parts = split(RFC["sd_jwt"])
    jwk = holder_key(parse_compact(parts.jwt).payload)
    assert jwk is not None
    assert jwk == EXAMPLES["holder_jwk"]
    claims = check_key_binding(parts, jwk, _expect(), RFC_MOMENT)
    assert claims["nonce"] == "1234567890"


def test_a_key_binding_over_other_disclosures_is_refused() -> None:
    parts = split(RFC["sd_jwt"])
    assert parts.key_binding is not None
    fewer = split(
        parts.presented.split("~")[0] + "~" + parts.disclosures[0] + "~" + parts.key_binding
    )
    with pytest.raises(KeyBindingHashMismatch):
        check_key_binding(fewer, EXAMPLES["holder_jwk"], _expect(), RFC_MOMENT)


def test_reordered_disclosures_break_the_key_binding() -> None:
    parts = split(RFC["sd_jwt"])
    reordered = "~".join([parts.jwt, *reversed(parts.disclosures), parts.key_binding or ""])
    with pytest.raises(KeyBindingHashMismatch):
        check_key_binding(split(reordered), EXAMPLES["holder_jwk"], _expect(), RFC_MOMENT)


def test_another_nonce_or_audience_is_refused() -> None:
    parts = split(RFC["sd_jwt"])
    with pytest.raises(KeyBindingNonceMismatch):
        check_key_binding(parts, EXAMPLES["holder_jwk"], _expect(nonce="other"), RFC_MOMENT)
    with pytest.raises(KeyBindingAudienceMismatch):
        check_key_binding(parts, EXAMPLES["holder_jwk"], _expect(audience="x"), RFC_MOMENT)


def test_an_old_key_binding_is_refused() -> None:
    parts = split(RFC["sd_jwt"])
    later = RFC_MOMENT + timedelta(hours=1)
    with pytest.raises(KeyBindingStale):
        check_key_binding(parts, EXAMPLES["holder_jwk"], _expect(), later)


def test_a_key_binding_signed_by_another_key_is_refused() -> None:
    parts = split(RFC["sd_jwt"])
    _, other = public_jwk(generate_private_key("ES256"), "ES256")
    with pytest.raises(KeyBindingInvalid):
        check_key_binding(parts, other, _expect(), RFC_MOMENT)


def test_a_key_binding_we_make_verifies_with_its_key() -> None:
    key = generate_private_key("ES256")
    _, jwk = public_jwk(key, "ES256")
    presented = RFC["sd_jwt"].rsplit("~", 1)[0] + "~"
    now = datetime.now(UTC)
    kb = make_key_binding(presented, key, "ES256", "n-1", "https://v.example", int(now.timestamp()))
    claims = check_key_binding(split(presented + kb), jwk, _expect("n-1", "https://v.example"), now)
    assert claims["aud"] == "https://v.example"
