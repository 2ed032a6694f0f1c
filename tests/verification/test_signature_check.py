"""The signature check: EC and EdDSA keys are checked with cryptography directly, and must
agree with jwcrypto on every token, good or bad."""

from __future__ import annotations

import base64
import json

import pytest
from jwcrypto import jwk, jws

from app.verification.jws import parse_compact, signature_valid

CASES = [("ES256", "EC", "P-256"), ("ES384", "EC", "P-384"), ("ES512", "EC", "P-521")]


def _signed(alg: str, key: jwk.JWK, payload: dict[str, object]) -> str:
    token = jws.JWS(json.dumps(payload).encode())
    token.add_signature(key, alg=alg, protected={"alg": alg, "kid": "k"})
    return str(token.serialize(compact=True))


def _keys(kty: str, crv: str) -> tuple[jwk.JWK, dict[str, str]]:
    key = jwk.JWK.generate(kty=kty, crv=crv)
    public: dict[str, str] = key.export_public(as_dict=True)
    return key, public


OTHER_PAYLOAD = base64.urlsafe_b64encode(b'{"iss": "did:web:other"}').rstrip(b"=").decode()


def _variants(token: str) -> dict[str, str]:
    head, body, signature = token.split(".")
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]
    return {
        "as signed": token,
        "signature altered": f"{head}.{body}.{flipped}",
        "signature shortened": f"{head}.{body}.{signature[:-4]}",
        "payload altered": f"{head}.{OTHER_PAYLOAD}.{signature}",
    }


@pytest.mark.parametrize(("alg", "kty", "crv"), [*CASES, ("EdDSA", "OKP", "Ed25519")])
def test_the_direct_check_agrees_with_jwcrypto(alg: str, kty: str, crv: str) -> None:
    key, public = _keys(kty, crv)
    for name, token in _variants(_signed(alg, key, {"iss": "did:web:example"})).items():
        expected = name == "as signed"
        assert signature_valid(parse_compact(token), public) is expected, name


def test_a_signature_by_another_key_of_the_same_curve_fails() -> None:
    key, _ = _keys("EC", "P-256")
    _, other = _keys("EC", "P-256")
    token = _signed("ES256", key, {"iss": "did:web:example"})
    assert signature_valid(parse_compact(token), other) is False


def test_an_ec_signature_under_an_eddsa_key_fails() -> None:
    key, _ = _keys("EC", "P-256")
    _, ed_public = _keys("OKP", "Ed25519")
    token = _signed("ES256", key, {"iss": "did:web:example"})
    assert signature_valid(parse_compact(token), ed_public) is False
