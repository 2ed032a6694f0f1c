"""Multikey text of P-256 and Ed25519 keys, both ways, checked against a published did:key."""

from __future__ import annotations

import pytest
from jwcrypto import jwk

from app.keys.multikey import NotAMultikey, jwk_of, multibase_of

# The P-256 example of the did:key method specification, as other libraries decode it.
P256_MULTIBASE = "zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169"
P256_JWK = {
    "kty": "EC",
    "crv": "P-256",
    "x": "fyNYMN0976ci7xqiSdag3buk-ZCwgXU4kz9XNkBlNUI",
    "y": "hW2ojTNfH7Jbi8--CJUo3OCbH3y5n91g-IMA9MLMbTU",
}


def test_the_published_p256_key_encodes_and_decodes() -> None:
    assert multibase_of(P256_JWK) == P256_MULTIBASE
    assert jwk_of(P256_MULTIBASE) == P256_JWK


@pytest.mark.parametrize(
    ("kty", "crv", "prefix"), [("EC", "P-256", "zDn"), ("OKP", "Ed25519", "z6Mk")]
)
def test_generated_keys_round_trip(kty: str, crv: str, prefix: str) -> None:
    parities = set()
    for _ in range(16):  # for P-256: points of both y parities, compressed and back
        public = jwk.JWK.generate(kty=kty, crv=crv).export_public(as_dict=True)
        multibase = multibase_of(public)
        assert multibase is not None
        assert multibase.startswith(prefix)
        assert jwk_of(multibase) == {k: public[k] for k in ("kty", "crv", "x", "y") if k in public}
        if "y" in public:
            parities.add(jwk.base64url_decode(public["y"])[-1] & 1)
    assert parities == ({0, 1} if kty == "EC" else set())


def test_rsa_keys_have_no_multikey() -> None:
    public = jwk.JWK.generate(kty="RSA", size=2048).export_public(as_dict=True)
    assert multibase_of(public) is None


def test_a_did_key_of_another_curve_is_not_a_multikey_here() -> None:
    with pytest.raises(NotAMultikey, match="only P-256 and Ed25519"):
        jwk_of("zQ3shokFTS3brHcDQrn82RUDfCZESWL1ZdCEJwekUDPQiYBme")  # secp256k1
