"""A status list checked once is not trusted blindly the next time: its expiry, its key and its
bytes are looked at on every check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from jwcrypto import jwk

from app.status_lists.bitstring import empty_bits, encode_list
from app.verification.resolver import KeyResolver
from app.verification.status import check_status
from tests.verification.forge import b64url, b64url_json, es256_signature
from tests.verification.support import FakeLocal, make_fetcher, no_http

DID = "did:web:stapel.test:issuers:one"  # one of this instance's, for FakeLocal
KID = f"{DID}#key-1"
URL = "https://stapel.test/status/1"
NOW = datetime(2026, 6, 1, tzinfo=UTC)
SKEW = timedelta(seconds=60)
INDEX = 5


class _Lists:
    """A status-list source serving whatever token the test put there."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.remembered: list[tuple[str, int]] = []

    async def fetch(self, url: str) -> str:
        return self.token

    def remember(self, url: str, ttl_seconds: int) -> None:
        self.remembered.append((url, ttl_seconds))


def _document(key: ec.EllipticCurvePrivateKey | None) -> dict[str, Any]:
    methods = []
    if key is not None:
        public = jwk.JWK.from_pyca(key.public_key()).export_public(as_dict=True)
        methods.append({"id": KID, "type": "JsonWebKey", "controller": DID, "publicKeyJwk": public})
    return {
        "id": DID,
        "verificationMethod": methods,
        "assertionMethod": [KID] if key else [],
    }


def _status_list(key: ec.EllipticCurvePrivateKey, *, revoked: bool, valid_until: datetime) -> str:
    bits = bytearray(empty_bits(131_072))
    if revoked:
        bits[INDEX // 8] |= 0x80 >> (INDEX % 8)
    payload = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": URL,
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": DID,
        "validFrom": "2026-01-01T00:00:00Z",
        "validUntil": valid_until.isoformat().replace("+00:00", "Z"),
        "credentialSubject": {
            "id": f"{URL}#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encode_list(bytes(bits)),
            "ttl": 300_000,
        },
    }
    header = {"alg": "ES256", "kid": KID, "typ": "vc+jwt"}
    signing_input = f"{b64url_json(header)}.{b64url_json(payload)}"
    return f"{signing_input}.{b64url(es256_signature(key, signing_input.encode()))}"


_CREDENTIAL = {
    "issuer": {"id": DID},
    "credentialStatus": {
        "type": "BitstringStatusListEntry",
        "statusPurpose": "revocation",
        "statusListIndex": str(INDEX),
        "statusListCredential": URL,
    },
}


async def _check(identity: FakeLocal, lists: _Lists, now: datetime = NOW) -> tuple[str, str]:
    # A verification makes its own resolver, as the service does.
    async with make_fetcher(no_http) as fetcher:
        resolver = KeyResolver(fetcher, identity)
        return await check_status(_CREDENTIAL, lists, resolver, now, SKEW)


async def test_a_list_checked_before_is_refused_once_it_has_expired() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    identity = FakeLocal({DID: _document(key)})
    lists = _Lists(_status_list(key, revoked=False, valid_until=NOW + timedelta(days=1)))

    assert (await _check(identity, lists))[0] == "passed"
    assert await _check(identity, lists, NOW + timedelta(days=2)) == (
        "failed",
        "the status list has expired",
    )
    assert lists.remembered == [(URL, 300)]  # an expired list is not kept


async def test_a_list_checked_before_is_refused_once_its_key_is_withdrawn() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    identity = FakeLocal({DID: _document(key)})
    lists = _Lists(_status_list(key, revoked=False, valid_until=NOW + timedelta(days=1)))
    assert (await _check(identity, lists))[0] == "passed"

    identity.documents[DID] = _document(None)
    outcome, detail = await _check(identity, lists)

    assert outcome == "failed"
    assert detail.startswith("the status list's key cannot be resolved")


async def test_a_list_checked_before_is_refused_once_its_key_is_replaced() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    identity = FakeLocal({DID: _document(key)})
    lists = _Lists(_status_list(key, revoked=False, valid_until=NOW + timedelta(days=1)))
    assert (await _check(identity, lists))[0] == "passed"

    identity.documents[DID] = _document(ec.generate_private_key(ec.SECP256R1()))

    assert await _check(identity, lists) == ("failed", "the status list's signature is not valid")


async def test_a_new_list_at_the_same_address_is_read_afresh() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    identity = FakeLocal({DID: _document(key)})
    lists = _Lists(_status_list(key, revoked=False, valid_until=NOW + timedelta(days=1)))
    assert (await _check(identity, lists))[0] == "passed"

    lists.token = _status_list(key, revoked=True, valid_until=NOW + timedelta(days=1))

    assert await _check(identity, lists) == ("failed", "the credential has been revoked")
