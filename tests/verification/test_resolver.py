"""KeyResolver: kid forms, DID document rules, local answers, and hostile input."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, cast

import httpx
import pytest
from jwcrypto import jwk

from app.keys.multikey import multibase_of
from app.verification.errors import HttpStatusError, KeyResolutionError
from app.verification.resolver import KeyResolver, ResolvedKey, did_web_document_url
from tests.verification.support import (
    FakeDns,
    FakeLocal,
    Server,
    make_fetcher,
    no_dns,
    no_http,
)

DID = "did:web:issuer.example%3A8443:issuers:acme"
DID_URL = "https://issuer.example:8443/issuers/acme/did.json"
KID = f"{DID}#key-1"
LOCAL_DID = "did:web:stapel.test:issuers:eigen"
LOCAL_KEY_URL = "https://stapel.test/issuers/eigen/keys/k1"


def public_key(**extra: str) -> dict[str, Any]:
    key = jwk.JWK.generate(kty="EC", crv="P-256")
    exported: dict[str, Any] = key.export_public(as_dict=True)
    return {**exported, **extra}


def method(kid: str = KID, did: str = DID, **overrides: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": kid,
        "type": "JsonWebKey",
        "controller": did,
        "publicKeyJwk": public_key(),
    }
    entry.update(overrides)
    return {key: value for key, value in entry.items() if value is not None}


def document(*methods: dict[str, Any], did: str = DID, **overrides: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@context": ["https://www.w3.org/ns/did/v1"],
        "id": did,
        "verificationMethod": list(methods),
        "assertionMethod": [m["id"] for m in methods],
    }
    doc.update(overrides)
    return doc


async def resolve(
    server: Any, kid: str, *, local: FakeLocal | None = None, **fetcher_options: Any
) -> ResolvedKey:
    async with make_fetcher(server, **fetcher_options) as fetcher:
        return await KeyResolver(fetcher, local or FakeLocal()).resolve(kid)


async def resolution_error(
    server: Any, kid: str, *, local: FakeLocal | None = None, **fetcher_options: Any
) -> KeyResolutionError:
    with pytest.raises(KeyResolutionError) as caught:
        await resolve(server, kid, local=local, **fetcher_options)
    return caught.value


def did_jwk(key: object) -> str:
    encoded = base64.urlsafe_b64encode(json.dumps(key).encode()).rstrip(b"=").decode()
    return f"did:jwk:{encoded}"


# -- did:web ---------------------------------------------------------------------------------------


async def test_did_web_with_port_and_path_resolves_assertion_key() -> None:
    vm = method()
    server = Server()
    server.json(DID_URL, document(vm))
    resolved = await resolve(server, KID)
    assert resolved == ResolvedKey(
        kid=KID, jwk=vm["publicKeyJwk"], controller=DID, method="did:web"
    )
    assert server.urls == [DID_URL]
    assert "did+json" in server.requests[0].headers["accept"]


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:example.org", "https://example.org/.well-known/did.json"),
        ("did:web:example.org%3A3000", "https://example.org:3000/.well-known/did.json"),
        ("did:web:example.org:user:alice", "https://example.org/user/alice/did.json"),
        ("did:web:stapel.test:issuers:acme", "https://stapel.test/issuers/acme/did.json"),
    ],
)
def test_did_web_document_location(did: str, url: str) -> None:
    assert did_web_document_url(did) == url


async def test_did_web_without_path_uses_well_known() -> None:
    did = "did:web:example.org"
    server = Server()
    server.json(
        "https://example.org/.well-known/did.json", document(method(f"{did}#k", did), did=did)
    )
    resolved = await resolve(server, f"{did}#k")
    assert resolved.controller == did


async def test_relative_method_id_and_reference_are_accepted() -> None:
    vm = method("#key-1")
    server = Server()
    server.json(DID_URL, document(vm))
    resolved = await resolve(server, KID)
    assert resolved.jwk == vm["publicKeyJwk"]


async def test_method_embedded_in_assertion_method_is_accepted() -> None:
    vm = method()
    server = Server()
    server.json(DID_URL, document(verificationMethod=[], assertionMethod=[vm]))
    resolved = await resolve(server, KID)
    assert resolved.jwk == vm["publicKeyJwk"]


async def test_json_web_key_2020_type_and_absent_controller_are_accepted() -> None:
    server = Server()
    server.json(DID_URL, document(method(type="JsonWebKey2020", controller=None)))
    resolved = await resolve(server, KID)
    assert resolved.method == "did:web"


async def test_did_document_is_cached_between_resolutions() -> None:
    server = Server()
    server.json(DID_URL, document(method()))
    async with make_fetcher(server) as fetcher:
        resolver = KeyResolver(fetcher, FakeLocal())
        await resolver.resolve(KID)
        await resolver.resolve(KID)
    assert len(server.requests) == 1


@dataclass
class CountingLocal(FakeLocal):
    asked: int = 0

    async def did_document(self, did: str) -> dict[str, Any] | None:
        self.asked += 1
        return await super().did_document(did)


async def test_one_resolver_looks_a_kid_up_once_but_keeps_no_failure() -> None:
    kid = f"{LOCAL_DID}#k1"
    local = CountingLocal()
    async with make_fetcher(no_http, dns=no_dns) as fetcher:
        resolver = KeyResolver(fetcher, local)
        with pytest.raises(KeyResolutionError):
            await resolver.resolve(kid)  # the issuer is not there yet
        local.documents[LOCAL_DID] = document(method(kid, LOCAL_DID), did=LOCAL_DID)
        first = await resolver.resolve(kid)
        second = await resolver.resolve(kid)
    assert first is second
    assert local.asked == 2


async def test_wrong_document_id_is_refused() -> None:
    server = Server()
    server.json(DID_URL, document(method(), did="did:web:evil.example"))
    error = await resolution_error(server, KID)
    assert error.code == "did_document_invalid"


async def test_unknown_method_is_not_found() -> None:
    server = Server()
    server.json(DID_URL, document(method(f"{DID}#other")))
    error = await resolution_error(server, KID)
    assert error.code == "verification_method_not_found"


async def test_method_not_in_assertion_method_is_refused() -> None:
    vm = method()
    server = Server()
    server.json(DID_URL, document(vm, assertionMethod=[], authentication=[vm["id"]]))
    error = await resolution_error(server, KID)
    assert error.code == "not_an_assertion_method"


async def test_method_listed_twice_is_ambiguous() -> None:
    vm = method()
    server = Server()
    server.json(DID_URL, document(vm, method()))
    error = await resolution_error(server, KID)
    assert error.code == "did_document_invalid"


@pytest.mark.parametrize(
    "method_type", ["Ed25519VerificationKey2020", "EcdsaSecp256r1VerificationKey2019", None, 7]
)
async def test_wrong_method_type_is_refused(method_type: Any) -> None:
    vm = method()
    vm["type"] = method_type
    server = Server()
    server.json(DID_URL, document(vm))
    error = await resolution_error(server, KID)
    assert error.code == "unsupported_method_type"


@pytest.mark.parametrize("member", ["d", "p", "q", "dp", "dq", "qi", "k"])
async def test_private_key_material_is_refused(member: str) -> None:
    server = Server()
    server.json(DID_URL, document(method(publicKeyJwk=public_key(**{member: "AAAA"}))))
    error = await resolution_error(server, KID)
    assert error.code == "invalid_jwk"
    assert member in error.detail


async def test_controller_mismatch_is_refused() -> None:
    server = Server()
    server.json(DID_URL, document(method(controller="did:web:evil.example")))
    error = await resolution_error(server, KID)
    assert error.code == "controller_mismatch"


async def test_method_without_public_key_jwk_is_refused() -> None:
    server = Server()
    server.json(DID_URL, document(method(publicKeyJwk=None, publicKeyMultibase="zabc")))
    error = await resolution_error(server, KID)
    assert error.code == "invalid_jwk"


@pytest.mark.parametrize(("kty", "crv"), [("EC", "P-256"), ("OKP", "Ed25519")])
async def test_multikey_method_resolves_to_its_jwk(kty: str, crv: str) -> None:
    key: dict[str, Any] = jwk.JWK.generate(kty=kty, crv=crv).export_public(as_dict=True)
    vm = method(publicKeyJwk=None, type="Multikey", publicKeyMultibase=multibase_of(key))
    server = Server()
    server.json(DID_URL, document(vm))
    resolved = await resolve(server, KID)
    assert resolved.jwk == {k: key[k] for k in ("kty", "crv", "x", "y") if k in key}


@pytest.mark.parametrize(
    ("multibase", "reason"),
    [
        (None, "no publicKeyMultibase"),
        (7, "no publicKeyMultibase"),
        ("uAAAA", "not a base58btc multibase value"),
        ("z0OIl", "not a base58btc multibase value"),
        ("z" + "2" * 200, "not a base58btc multibase value"),
        ("z6LSbysY2xFMRpGMhb7tFTLMpeuPRaqaWM1yECx2AtzE3KCc", "only P-256 and Ed25519"),  # X25519
        ("zDnaeQRy3dcKsKa1zmKtVKsTy3m2HYoQnFnfKuxD6HfSTQgYg", "not on the curve"),  # x = 1
    ],
)
async def test_unreadable_multikey_is_refused(multibase: Any, reason: str) -> None:
    vm = method(publicKeyJwk=None, type="Multikey", publicKeyMultibase=multibase)
    server = Server()
    server.json(DID_URL, document(vm))
    error = await resolution_error(server, KID)
    assert error.code == "invalid_jwk"
    assert reason in error.detail


async def test_encryption_key_is_refused() -> None:
    server = Server()
    server.json(DID_URL, document(method(publicKeyJwk=public_key(use="enc"))))
    error = await resolution_error(server, KID)
    assert error.code == "invalid_jwk"


async def test_missing_did_document_wraps_the_fetch_error() -> None:
    error = await resolution_error(Server(), KID)
    assert error.code == "http_status"
    assert isinstance(error.__cause__, HttpStatusError)


async def test_did_web_host_on_private_address_is_refused() -> None:
    dns = FakeDns({"issuer.example": ["192.168.0.10"]})
    error = await resolution_error(no_http, KID, dns=dns)
    assert error.code == "address_not_allowed"


@pytest.mark.parametrize(
    "kid",
    [
        DID,
        f"{DID}#",
        "did:web:exa_mple.org#k",
        "did:web:example.org:..#k",
        "did:web:example.org::x#k",
        "did:web:example.org/evil#k",
        "did:web:user@example.org#k",
        "did:web:example.org?service=x#k",
        "did:web:#k",
    ],
)
async def test_malformed_did_web_is_unsupported(kid: str) -> None:
    error = await resolution_error(no_http, kid, dns=no_dns)
    assert error.code == "unsupported_kid"


# -- did:jwk ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", "#0"])
async def test_did_jwk_resolves_to_the_embedded_key(suffix: str) -> None:
    key = public_key()
    did = did_jwk(key)
    resolved = await resolve(no_http, did + suffix, dns=no_dns)
    assert resolved == ResolvedKey(kid=did + suffix, jwk=key, controller=did, method="did:jwk")


@pytest.mark.parametrize(
    ("kid", "code"),
    [
        (
            did_jwk({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}) + "#1",
            "verification_method_not_found",
        ),
        ("did:jwk:", "invalid_jwk"),
        ("did:jwk:eyJrdHkiOiJFQyJ9==", "invalid_jwk"),
        ("did:jwk:eyJrdHkiOi+JFQyJ9", "invalid_jwk"),
        ("did:jwk:eyJrdHkiOiJFQyJ9.", "invalid_jwk"),
        ("did:jwk:eyJrdHkiOiJFQyJ9", "invalid_jwk"),
        ("did:jwk:eyJrdHkiOiJFQyJ9a", "invalid_jwk"),
        ("did:jwk:bm90IGpzb24", "invalid_jwk"),
        (did_jwk([1, 2, 3]), "invalid_jwk"),
        (did_jwk("string"), "invalid_jwk"),
        (did_jwk({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"}), "invalid_jwk"),
        (did_jwk({"kty": "oct", "k": "c2VjcmV0"}), "invalid_jwk"),
        (did_jwk({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "use": "enc"}), "invalid_jwk"),
        ("did:jwk:" + base64.urlsafe_b64encode(b"\xff\xfe{}").rstrip(b"=").decode(), "invalid_jwk"),
    ],
)
async def test_malformed_did_jwk_is_refused(kid: str, code: str) -> None:
    error = await resolution_error(no_http, kid, dns=no_dns)
    assert error.code == code


def test_non_canonical_base64url_trailing_bits_are_refused() -> None:
    from app.verification.resolver import _strict_base64url

    assert _strict_base64url("QQ") == b"A"
    assert _strict_base64url("QR") is None


# -- bare JWK URLs ---------------------------------------------------------------------------------


async def test_jwk_url_resolves_bare_key_even_with_a_different_kid() -> None:
    key = public_key(kid="some-other-name")
    url = "https://keys.example/issuers/acme/keys/k1"
    server = Server()
    server.json(url, key, {"Content-Type": "application/jwk+json"})
    resolved = await resolve(server, url)
    assert resolved == ResolvedKey(kid=url, jwk=key, controller=url, method="jwk-url")
    assert server.requests[0].headers["accept"].startswith("application/jwk+json")


@pytest.mark.parametrize(
    "payload",
    [
        [1, 2],
        "key",
        None,
        {"keys": [{"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}]},
        {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "d": "AA"},
        {"kty": "RSA", "n": "AA", "e": "AQAB", "p": "AA", "q": "AA"},
        {"kty": "EC", "crv": "P-256", "x": 1, "y": []},
        {"kty": 5},
        {"kty": "XYZ"},
    ],
)
async def test_jwk_url_with_invalid_key_is_refused(payload: object) -> None:
    url = "https://keys.example/k1"
    server = Server()
    server.json(url, payload)
    error = await resolution_error(server, url)
    assert error.code == "invalid_jwk"


async def test_plain_http_jwk_url_is_refused_by_default() -> None:
    error = await resolution_error(no_http, "http://keys.example/k1", dns=no_dns)
    assert error.code == "scheme_not_allowed"


@pytest.mark.parametrize(
    "kid",
    [
        "",
        "key-1",
        "#key-1",
        "/issuers/acme/keys/k1",
        "did:key:z6MkhaXgBZDvotDkL5257faiztiGiC2QtKLGpbnnEGta2doK",
        "did:example:123#k",
        "urn:uuid:0f7e0e4a-3b8e-4c57-9f5e-0c1f0f0f0f0f",
        "ftp://keys.example/k1",
        "did:web:" + "a" * 9000,
    ],
)
async def test_other_kid_forms_are_unsupported(kid: str) -> None:
    error = await resolution_error(no_http, kid, dns=no_dns)
    assert error.code == "unsupported_kid"


async def test_non_string_kid_is_unsupported() -> None:
    error = await resolution_error(no_http, cast(str, None), dns=no_dns)
    assert error.code == "unsupported_kid"


# -- local identities ------------------------------------------------------------------------------


async def test_local_did_is_answered_without_http() -> None:
    kid = f"{LOCAL_DID}#k1"
    vm = method(kid, LOCAL_DID)
    local = FakeLocal(documents={LOCAL_DID: document(vm, did=LOCAL_DID)})
    resolved = await resolve(no_http, kid, local=local, dns=no_dns)
    assert resolved == ResolvedKey(
        kid=kid, jwk=vm["publicKeyJwk"], controller=LOCAL_DID, method="did:web"
    )


async def test_a_local_key_counts_only_for_the_document_it_was_found_in() -> None:
    # Keys found in this instance's documents are kept per document: once the document is read
    # again, a key taken out of it no longer resolves, and a replaced one resolves to its successor.
    kid = f"{LOCAL_DID}#k1"
    first = method(kid, LOCAL_DID)
    local = FakeLocal(documents={LOCAL_DID: document(first, did=LOCAL_DID)})
    assert (await resolve(no_http, kid, local=local, dns=no_dns)).jwk == first["publicKeyJwk"]
    assert (await resolve(no_http, kid, local=local, dns=no_dns)).jwk == first["publicKeyJwk"]

    other = method(f"{LOCAL_DID}#k2", LOCAL_DID)
    local.documents[LOCAL_DID] = document(other, did=LOCAL_DID)
    error = await resolution_error(no_http, kid, local=local, dns=no_dns)
    assert error.code == "verification_method_not_found"

    successor = method(kid, LOCAL_DID)  # a freshly generated key
    local.documents[LOCAL_DID] = document(successor, did=LOCAL_DID)
    resolved = await resolve(no_http, kid, local=local, dns=no_dns)
    assert resolved.jwk == successor["publicKeyJwk"] != first["publicKeyJwk"]


async def test_local_key_url_is_answered_without_http() -> None:
    key = public_key(kid="k1")
    local = FakeLocal(keys={LOCAL_KEY_URL: key})
    resolved = await resolve(no_http, LOCAL_KEY_URL, local=local, dns=no_dns)
    assert resolved.jwk == key
    assert resolved.controller == LOCAL_KEY_URL


async def test_resolved_local_key_is_a_copy() -> None:
    key = public_key(kid="k1")
    local = FakeLocal(keys={LOCAL_KEY_URL: key})
    resolved = await resolve(no_http, LOCAL_KEY_URL, local=local, dns=no_dns)
    resolved.jwk["d"] = "tampered"
    assert "d" not in key


async def test_unknown_local_did_and_key_are_not_found() -> None:
    did_error = await resolution_error(no_http, f"{LOCAL_DID}#k1", dns=no_dns)
    key_error = await resolution_error(no_http, LOCAL_KEY_URL, dns=no_dns)
    assert did_error.code == "did_not_found"
    assert key_error.code == "key_not_found"


# -- hostile documents -----------------------------------------------------------------------------

HOSTILE_BODIES = [
    b"",
    b"[]",
    b'"a string"',
    b"null",
    b"42",
    b"{",
    b"[" * 100_000 + b"]" * 100_000,
    b'{"id": "\xff\xfe"}',
    b'{"id": NaN}',
    b'{"id": 1e999999}',
    b'{"id": 123456789012345678901234567890}',
    json.dumps({"id": ["x"]}).encode(),
    json.dumps({"id": {"nested": [[[{"id": DID}]]]}}).encode(),
    json.dumps({"id": DID, "verificationMethod": "nope"}).encode(),
    json.dumps({"id": DID, "verificationMethod": [1, None, "x"]}).encode(),
    json.dumps({"id": DID, "verificationMethod": {"id": KID}}).encode(),
    json.dumps({"id": DID, "assertionMethod": {"a": 1}}).encode(),
    json.dumps({"id": DID, "assertionMethod": [KID, 5]}).encode(),
    json.dumps({"id": DID, "verificationMethod": [{"id": 5}], "assertionMethod": [KID]}).encode(),
    json.dumps({"id": DID, "verificationMethod": [{"id": KID, "type": ["JsonWebKey"]}]}).encode(),
    json.dumps(
        {
            "id": DID,
            "verificationMethod": [{"id": KID, "type": "JsonWebKey", "publicKeyJwk": "str"}],
            "assertionMethod": [KID],
        }
    ).encode(),
    json.dumps(
        {
            "id": DID,
            "verificationMethod": [
                {"id": KID, "type": "JsonWebKey", "controller": [DID], "publicKeyJwk": {}}
            ],
            "assertionMethod": [KID],
        }
    ).encode(),
    json.dumps(
        {
            "id": DID,
            "verificationMethod": [{"id": KID, "type": "JsonWebKey", "publicKeyJwk": {"kty": []}}],
            "assertionMethod": [KID],
        }
    ).encode(),
]


@pytest.mark.parametrize("body", HOSTILE_BODIES)
async def test_hostile_did_documents_give_typed_errors_only(body: bytes) -> None:
    server = Server()
    server.raw(DID_URL, body, {"Content-Type": "application/did+json"})
    await resolution_error(server, KID)


@pytest.mark.parametrize("body", HOSTILE_BODIES)
async def test_hostile_jwk_responses_give_typed_errors_only(body: bytes) -> None:
    url = "https://keys.example/k1"
    server = Server()
    server.raw(url, body)
    error = await resolution_error(server, url)
    assert error.code == "invalid_jwk"


async def test_two_megabyte_did_document_is_too_large() -> None:
    padding = "x" * 2_000_000
    server = Server()
    server.json(DID_URL, {**document(method()), "padding": padding})
    error = await resolution_error(server, KID)
    assert error.code == "too_large"


async def test_hostile_local_document_gives_typed_error() -> None:
    local = FakeLocal(documents={LOCAL_DID: cast(dict[str, Any], ["not", "a", "document"])})
    error = await resolution_error(no_http, f"{LOCAL_DID}#k1", local=local, dns=no_dns)
    assert error.code == "did_document_invalid"


async def test_redirected_did_document_is_followed_through_the_fetcher() -> None:
    server = Server()
    server.routes[DID_URL] = lambda: httpx.Response(
        301, headers={"Location": "https://mirror.example/did.json"}
    )
    server.json("https://mirror.example/did.json", document(method()))
    resolved = await resolve(server, KID)
    assert resolved.controller == DID
