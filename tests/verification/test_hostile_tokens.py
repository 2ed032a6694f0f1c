"""A verifier is attacked by design: forged, malformed and hostile tokens through POST /v1/verify.

Every forgery must come back ``verified: false`` with the check that catches it failed (and a
telling reason), never a 500 and never ``verified: true``. Tokens are forged by hand in
``tests.verification.forge``, re-signed with the issuer's real key where a valid signature is
needed to reach the later checks.
"""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi import FastAPI
from jwcrypto import jwk
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.keys.signer import Signer
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant, create_tenant
from tests.verification import forge
from tests.verification.support import make_fetcher, no_dns


@pytest.fixture
def tenant(suspending_tenant: Tenant) -> Tenant:
    """Suspension is offered: these tests forge both status entries."""
    return suspending_tenant


@pytest.fixture
async def other_tenant(client: httpx.AsyncClient, operator: str) -> Tenant:
    """The other institution offers suspension too, so that its lists can stand in for ours."""
    return await create_tenant(
        client, operator, display_name="Universiteit Elders", suspendable_credentials=True
    )


Json = dict[str, Any]

MAX_TOKEN_BYTES = 262_144  # STAPEL_VERIFICATION_MAX_TOKEN_BYTES, default


@dataclass(frozen=True)
class Issued:
    """A credential freshly issued by ``tenant`` (vc-jose) and the tenant's real signer."""

    id: str
    jwt: str
    signer: Signer

    @property
    def header(self) -> Json:
        return forge.split(self.jwt)[0]

    @property
    def payload(self) -> Json:
        return forge.split(self.jwt)[1]


async def _issued(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> Issued:
    achievement = await published_achievement(client, tenant)
    credential = await issue(client, tenant, achievement["id"], profile="vc-jose")
    signer = await forge.signer_of(sessionmaker, tenant.slug)
    return Issued(str(credential["id"]), str(credential["jwt"]), signer)


@pytest.fixture
async def issued(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> Issued:
    return await _issued(client, tenant, sessionmaker)


async def post_verify(client: httpx.AsyncClient, token: str) -> Json:
    response = await client.post("/v1/verify", json={"verifiableCredential": token})
    assert response.status_code == 200, response.text
    result: Json = response.json()
    return result


async def post_raw(client: httpx.AsyncClient, token: str) -> Json:
    response = await client.post(
        "/v1/verify", content=token.encode(), headers={"Content-Type": "application/vc+jwt"}
    )
    assert response.status_code == 200, response.text
    result: Json = response.json()
    return result


def check(result: Json, name: str) -> Json:
    found: Json = next(c for c in result["checks"] if c["check"] == name)
    return found


def assert_fails_at(result: Json, name: str, detail: str) -> None:
    """Not verified, ``name`` failed with ``detail`` in its reason, and no other check failed
    before it (the right check caught the forgery)."""
    assert result["verified"] is False, result["checks"]
    failed = [c for c in result["checks"] if c["outcome"] == "failed"]
    assert failed, result["checks"]
    assert failed[0]["check"] == name, failed
    assert detail.lower() in failed[0]["detail"].lower(), failed[0]


def assert_problem(response: httpx.Response, status: int, code: str | None = None) -> Json:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem: Json = response.json()
    assert problem["status"] == status
    if code is not None:
        assert problem["code"] == code, problem
    return problem


# --- the signature -------------------------------------------------------------------------------


async def test_tampered_payload_fails_the_signature(
    client: httpx.AsyncClient, issued: Issued
) -> None:
    payload = issued.payload
    payload["name"] = "Doctorate in Everything"
    result = await post_verify(client, forge.with_payload(issued.jwt, payload))
    assert_fails_at(result, "signature", "does not verify")


async def test_signature_by_another_tenants_key_under_the_issuers_kid_fails(
    client: httpx.AsyncClient,
    issued: Issued,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    other = await forge.signer_of(sessionmaker, other_tenant.slug)
    assert other.algorithm == issued.signer.algorithm
    forged = forge.resign(other, issued.jwt, kid=issued.header["kid"])
    result = await post_verify(client, forged)
    assert_fails_at(result, "signature", "does not verify")


async def test_signature_by_a_fresh_key_under_the_issuers_kid_fails(
    client: httpx.AsyncClient, issued: Issued
) -> None:
    forged = forge.sign_with_fresh_key(issued.header, issued.payload)
    result = await post_verify(client, forged)
    assert_fails_at(result, "signature", "does not verify")


# --- the algorithm -------------------------------------------------------------------------------


@pytest.mark.parametrize("alg", ["none", "None", "nOnE", "NONE"])
async def test_unsigned_alg_none_is_refused(
    client: httpx.AsyncClient, issued: Issued, alg: str
) -> None:
    forged = forge.compact({**issued.header, "alg": alg}, issued.payload)
    assert forged.endswith(".")
    result = await post_verify(client, forged)
    assert_fails_at(result, "algorithm", "not accepted")
    assert check(result, "signature")["outcome"] == "skipped"


async def _public_key_secrets(client: httpx.AsyncClient, signer: Signer) -> dict[str, bytes]:
    """Every way a public key might be mistaken for an HMAC secret."""
    response = await client.get(urlsplit(signer.key_url).path)
    assert response.status_code == 200, response.text
    public: Json = response.json()
    pem: bytes = jwk.JWK(**public).export_to_pem()
    return {
        "jwk-json-as-served": response.content,
        "jwk-json-compact": forge.json_bytes(public),
        "x-coordinate": public["x"].encode(),
        "x-coordinate-decoded": base64.urlsafe_b64decode(public["x"] + "=="),
        "pem": pem,
    }


@pytest.mark.parametrize("alg", ["HS256", "HS384", "HS512"])
async def test_hmac_keyed_with_the_issuers_public_key_is_refused(
    client: httpx.AsyncClient, issued: Issued, alg: str
) -> None:
    secrets = await _public_key_secrets(client, issued.signer)
    for name, secret in secrets.items():
        forged = forge.hs256({**issued.header, "alg": alg}, issued.payload, secret)
        result = await post_verify(client, forged)
        assert_fails_at(result, "algorithm", alg)
        assert check(result, "key")["outcome"] == "skipped", name


# --- the key and the header ----------------------------------------------------------------------


async def test_key_of_another_issuer_does_not_bind_to_the_credentials_issuer(
    client: httpx.AsyncClient,
    issued: Issued,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """other_tenant's real key, named by its own DID URL, signing tenant's credential."""
    other = await forge.signer_of(sessionmaker, other_tenant.slug)
    forged = forge.resign(other, issued.jwt, kid=other.did_url)
    result = await post_verify(client, forged)
    assert_fails_at(result, "key", f"not to the issuer {issued.signer.issuer_did}")
    assert other.issuer_did in check(result, "key")["detail"]


async def test_unknown_critical_header_is_refused(
    client: httpx.AsyncClient, issued: Issued
) -> None:
    forged = forge.resign(
        issued.signer, issued.jwt, header={"crit": ["x-policy"], "x-policy": "ignore-me"}
    )
    result = await post_verify(client, forged)
    assert_fails_at(result, "header", "critical")


@pytest.mark.parametrize(
    ("header", "check_name", "detail"),
    [
        ({"typ": "vp+jwt"}, "parsing", "not a credential JWT"),
        ({"typ": "vp+jwt", "cty": "vp"}, "parsing", "not a credential JWT"),
        ({"typ": "application/example+jwt"}, "parsing", "not a credential JWT"),
        ({"cty": "vp+jwt"}, "header", "cty"),
        ({"cty": "vp"}, "header", "cty"),
    ],
    ids=["typ-vp", "typ-and-cty-vp", "typ-foreign", "cty-vp+jwt", "cty-vp"],
)
async def test_wrong_media_type_is_refused(
    client: httpx.AsyncClient, issued: Issued, header: Json, check_name: str, detail: str
) -> None:
    forged = forge.resign(issued.signer, issued.jwt, header=header)
    result = await post_verify(client, forged)
    assert check_name in ("parsing", "header")
    assert_fails_at(result, check_name, detail)


def _add_vc_claim(payload: Json) -> None:
    payload["vc"] = {"@context": ["https://www.w3.org/2018/credentials/v1"], "type": ["X"]}


def _add_vp_claim(payload: Json) -> None:
    payload["vp"] = {"type": ["VerifiablePresentation"]}


def _add_string_claims(payload: Json) -> None:
    payload["vc"] = "oops"
    payload["vp"] = "nooo"


@pytest.mark.parametrize("mutate", [_add_vc_claim, _add_vp_claim, _add_string_claims])
async def test_vc_and_vp_claims_in_a_vc_jose_payload_are_refused(
    client: httpx.AsyncClient, issued: Issued, mutate: Callable[[Json], None]
) -> None:
    result = await post_verify(client, forge.resign(issued.signer, issued.jwt, mutate))
    assert result["profile"] == "vc-jose"
    assert_fails_at(result, "header", "vc and vp claims")


# --- validity and status -------------------------------------------------------------------------


def _expired(payload: Json) -> None:
    payload["validUntil"] = "2020-01-01T00:00:00Z"


def _not_yet_valid(payload: Json) -> None:
    payload["validFrom"] = "2099-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("mutate", "detail"), [(_expired, "expired"), (_not_yet_valid, "not valid yet")]
)
async def test_outside_the_validity_period_fails_validity(
    client: httpx.AsyncClient, issued: Issued, mutate: Callable[[Json], None], detail: str
) -> None:
    forged = forge.resign(issued.signer, issued.jwt, mutate)
    result = await post_verify(client, forged)
    assert check(result, "signature")["outcome"] == "passed"
    assert_fails_at(result, "validity", detail)


@pytest.mark.parametrize(
    ("action", "reason", "detail"),
    [("revoke", "fraud", "revoked"), ("suspend", "under_investigation", "suspended")],
)
async def test_revoked_and_suspended_credentials_fail_status(
    client: httpx.AsyncClient, tenant: Tenant, issued: Issued, action: str, reason: str, detail: str
) -> None:
    changed = await client.post(
        f"/v1/credentials/{issued.id}/{action}",
        json={"reason_code": reason},
        headers=tenant.headers,
    )
    assert changed.status_code == 200, changed.text
    result = await post_verify(client, issued.jwt)
    assert_fails_at(result, "status", detail)


async def test_status_list_signed_by_another_issuer_fails_status(
    client: httpx.AsyncClient,
    issued: Issued,
    other_tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
) -> None:
    """Point the credential at the other tenant's (real, validly signed) lists."""
    theirs = await _issued(client, other_tenant, sessionmaker)
    their_lists = {e["statusPurpose"]: e for e in theirs.payload["credentialStatus"]}

    def point_elsewhere(payload: Json) -> None:
        for entry in payload["credentialStatus"]:
            entry["statusListCredential"] = their_lists[entry["statusPurpose"]][
                "statusListCredential"
            ]

    forged = forge.resign(issued.signer, issued.jwt, point_elsewhere)
    result = await post_verify(client, forged)
    assert check(result, "signature")["outcome"] == "passed"
    assert_fails_at(result, "status", "not signed by the credential's issuer")


# --- parsing -------------------------------------------------------------------------------------

H = forge.b64url_json({"alg": "ES256", "typ": "vc+jwt", "kid": "did:web:stapel.test:x#k"})
P = forge.b64url_json({"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["X"]})
S = forge.b64url(b"\x01" * 64)
NOT_UTF8 = forge.b64url(b"\xff\xfe{}")
NAN = forge.b64url(b'{"a":NaN}')


@pytest.mark.parametrize(
    ("token", "detail"),
    [
        ("", "three dot-separated segments"),
        (".", "three dot-separated segments"),
        ("..", "three dot-separated segments"),
        (f"{H}.{P}", "three dot-separated segments"),
        (f"{H}.{P}.{S}.{S}", "three dot-separated segments"),
        (f"{H}.{P}.{S}.", "three dot-separated segments"),
        (f".{P}.{S}", "three dot-separated segments"),
        (f"{H}..{S}", "three dot-separated segments"),
        (f"{forge.b64url(b'not json')}.{P}.{S}", "header is not JSON"),
        (f"{H}.{forge.b64url(b'not json')}.{S}", "payload is not JSON"),
        (f"{NOT_UTF8}.{P}.{S}", "header is not JSON"),
        (f"{forge.b64url_json(['alg', 'ES256'])}.{P}.{S}", "header is not a JSON object"),
        (f"{forge.b64url_json('ES256')}.{P}.{S}", "header is not a JSON object"),
        (f"{forge.b64url(b'null')}.{P}.{S}", "header is not a JSON object"),
        (f"{H}.{forge.b64url_json([1, 2, 3])}.{S}", "payload is not a JSON object"),
        (f"{H}.{NAN}.{S}", "payload is not JSON"),
    ],
    ids=[
        "empty",
        "lone-dot",
        "two-dots",
        "two-segments",
        "four-segments",
        "trailing-dot",
        "empty-header",
        "empty-payload",
        "header-not-json",
        "payload-not-json",
        "header-not-utf8",
        "header-array",
        "header-string",
        "header-null",
        "payload-array",
        "payload-nan",
    ],
)
async def test_unreadable_tokens_fail_parsing(
    client: httpx.AsyncClient, token: str, detail: str
) -> None:
    for result in (await post_verify(client, token), await post_raw(client, token)):
        assert_fails_at(result, "parsing", detail)
        assert {c["outcome"] for c in result["checks"][1:]} == {"skipped"}


def _corrupt(segment: str, how: str) -> str:
    if how == "padding":
        return segment + "=="
    if how == "impossible-length":
        return segment + "A" * ((1 - len(segment)) % 4)
    if how == "non-ascii":
        return segment[:4] + "é" + segment[4:]
    if how == "standard-alphabet":
        return segment[:4] + "+/" + segment[4:]
    if how == "junk":
        return segment[:4] + "!*" + segment[4:] + "$$"  # 4 junk characters: lengths still fit
    raise ValueError(how)


SEGMENTS = {"header": 0, "payload": 1, "signature": 2}


def _malformed_cases() -> list[Any]:
    cases: list[Any] = []
    for how in ("padding", "impossible-length", "non-ascii", "standard-alphabet", "junk"):
        for name, index in SEGMENTS.items():
            cases.append(pytest.param(how, index, id=f"{how}-{name}"))
    return cases


@pytest.mark.parametrize(("how", "segment"), _malformed_cases())
async def test_malformed_base64_in_any_segment_fails_parsing(
    client: httpx.AsyncClient, issued: Issued, how: str, segment: int
) -> None:
    corrupted = _corrupt(issued.jwt.split(".")[segment], how)
    result = await post_verify(client, forge.replace_segment(issued.jwt, segment, corrupted))
    assert_fails_at(result, "parsing", "")
    # Standard-alphabet header/payload decode to garbage, which the JSON parser then refuses.
    detail = check(result, "parsing")["detail"]
    assert "base64url" in detail or (how == "standard-alphabet" and "not JSON" in detail), detail


async def test_junk_appended_to_a_real_signature_is_not_verified(
    client: httpx.AsyncClient, issued: Issued
) -> None:
    result = await post_verify(client, issued.jwt + "!!!!")
    assert_fails_at(result, "parsing", "base64url")


# --- size and depth ------------------------------------------------------------------------------


async def test_oversize_token_is_refused_with_413(client: httpx.AsyncClient) -> None:
    token = f"{H}.{'A' * MAX_TOKEN_BYTES}.{S}"
    raw = await client.post(
        "/v1/verify", content=token.encode(), headers={"Content-Type": "application/vc+jwt"}
    )
    assert_problem(raw, 413, "credential_too_large")
    wrapped = await client.post("/v1/verify", json={"verifiableCredential": token})
    assert_problem(wrapped, 413, "credential_too_large")


def _nested_arrays(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [65, 200, 5_000])
async def test_deeply_nested_payload_fails_parsing(
    client: httpx.AsyncClient, issued: Issued, depth: int
) -> None:
    header, payload, _ = forge.split(issued.jwt)
    marker = "__DEEP__"
    payload["credentialSubject"]["nested"] = marker
    text = json.dumps(payload, separators=(",", ":")).replace(f'"{marker}"', _nested_arrays(depth))
    forged = issued.signer.sign(header, text.encode())
    assert len(forged) < MAX_TOKEN_BYTES
    result = await post_verify(client, forged)
    assert_fails_at(result, "parsing", "payload")


@pytest.mark.parametrize("depth", [100, 5_000])
async def test_deeply_nested_request_body_is_a_400(client: httpx.AsyncClient, depth: int) -> None:
    body = '{"verifiableCredential":' + _nested_arrays(depth) + "}"
    response = await client.post(
        "/v1/verify", content=body, headers={"Content-Type": "application/json"}
    )
    problem = assert_problem(response, 400, "json_too_deep")
    assert "nests deeper than 64 levels" in problem["detail"]


# --- request bodies ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"{", "malformed_request"),
        (b'{"verifiableCredential": "a.b.c",}', "malformed_request"),
        (b"\xff\xfe", "invalid_body"),
        (b"", "malformed_request"),
    ],
)
async def test_malformed_json_body_is_a_400(
    client: httpx.AsyncClient, body: bytes, code: str
) -> None:
    response = await client.post(
        "/v1/verify", content=body, headers={"Content-Type": "application/json"}
    )
    assert_problem(response, 400, code)


@pytest.mark.parametrize(
    "body",
    [
        {"verifiableCredential": {"type": "VerifiableCredential", "proof": {}}},
        {"verifiableCredential": {"type": ["VerifiableCredential"], "proof": {"type": "x"}}},
        {"verifiableCredential": {"type": "EnvelopedVerifiableCredential", "id": 42}},
        {"verifiableCredential": 42},
        {"verifiableCredential": None},
        [1, 2, 3],
    ],
    ids=["embedded-proof", "embedded-proof-list", "envelope-without-id", "number", "null", "list"],
)
async def test_unsupported_credential_shapes_are_a_422(
    client: httpx.AsyncClient, body: object
) -> None:
    response = await client.post("/v1/verify", json=body)
    assert_problem(response, 422)


@pytest.mark.parametrize("content_type", ["text/html", "application/xml", "multipart/form-data"])
async def test_unsupported_content_type_is_a_415(
    client: httpx.AsyncClient, issued: Issued, content_type: str
) -> None:
    response = await client.post(
        "/v1/verify", content=issued.jwt.encode(), headers={"Content-Type": content_type}
    )
    assert_problem(response, 415, "unsupported_media_type")


# --- wrong types everywhere, validly signed ------------------------------------------------------


def _set(path: str, value: object) -> Callable[[Json], None]:
    """A mutation setting ``a/b/0/c`` (dict keys and list indexes) to ``value``."""

    def mutate(payload: Json) -> None:
        *parents, last = path.split("/")
        target: Any = payload
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return mutate


def _on_all_entries(field: str, value: object) -> Callable[[Json], None]:
    def mutate(payload: Json) -> None:
        for entry in payload["credentialStatus"]:
            entry[field] = value

    return mutate


WRONG_TYPES: list[tuple[str, Callable[[Json], None], str, str]] = [
    ("issuer-number", _set("issuer", 42), "key", "no issuer"),
    ("issuer-list", _set("issuer", ["did:web:x"]), "key", "no issuer"),
    ("issuer-id-number", _set("issuer/id", 7), "key", "no issuer"),
    ("subject-string", _set("credentialSubject", "Sanne"), "claims", "credentialSubject"),
    ("subject-number", _set("credentialSubject", 3), "claims", "credentialSubject"),
    ("context-string", _set("@context", "https://x"), "claims", "@context"),
    ("type-string", _set("type", "VerifiableCredential"), "claims", "type"),
    ("valid-from-not-a-date", _set("validFrom", "next tuesday"), "validity", "date-times"),
    ("valid-from-number", _set("validFrom", 1_700_000_000), "validity", "date-times"),
    ("valid-until-object", _set("validUntil", {"y": 2030}), "validity", "date-times"),
    ("jwt-exp-string", _set("exp", "2030-01-01"), "claims", "NumericDate"),
    ("iss-mismatch", _set("iss", "did:web:evil.example"), "claims", "iss"),
    ("status-string", _set("credentialStatus", "revoked? no"), "status", "not supported"),
    ("status-number", _set("credentialStatus", 0), "status", "not supported"),
    ("status-entry-wrong-type", _set("credentialStatus/0/type", 5), "status", "not supported"),
    ("index-negative", _on_all_entries("statusListIndex", "-1"), "status", "statusListIndex"),
    ("index-letters", _on_all_entries("statusListIndex", "abc"), "status", "statusListIndex"),
    ("index-negative-int", _on_all_entries("statusListIndex", -1), "status", "statusListIndex"),
    ("index-bool", _on_all_entries("statusListIndex", True), "status", "statusListIndex"),
    ("index-huge", _on_all_entries("statusListIndex", 10**20), "status", "statusListIndex"),
    (
        "index-huge-string",
        _on_all_entries("statusListIndex", "9" * 30),
        "status",
        "statusListIndex",
    ),
    ("index-outside", _on_all_entries("statusListIndex", "99999999999"), "status", "outside"),
    # str.isdigit() takes both; int() refuses the first and reads the second as 3.
    ("index-superscript", _on_all_entries("statusListIndex", "¹"), "status", "statusListIndex"),
    ("index-arabic-indic", _on_all_entries("statusListIndex", "٣"), "status", "statusListIndex"),
    ("list-url-number", _on_all_entries("statusListCredential", 1), "status", "missing"),
    (
        "list-url-unknown-path",
        _on_all_entries("statusListCredential", "https://stapel.test/status-lists/nope"),
        "status",
        "could not be fetched (http_status)",
    ),
    (
        "list-url-unknown-list",
        _on_all_entries(
            "statusListCredential",
            "https://stapel.test/status-lists/00000000-0000-0000-0000-000000000000/revocation",
        ),
        "status",
        "could not be fetched (http_status)",
    ),
    ("status-size", _on_all_entries("statusSize", 8), "status", "one-bit"),
]


@pytest.mark.parametrize(
    ("mutate", "check_name", "detail"),
    [pytest.param(m, c, d, id=i) for i, m, c, d in WRONG_TYPES],
)
async def test_wrong_types_fail_a_check_and_never_crash(
    client: httpx.AsyncClient,
    issued: Issued,
    mutate: Callable[[Json], None],
    check_name: str,
    detail: str,
) -> None:
    forged = forge.resign(issued.signer, issued.jwt, mutate)
    result = await post_verify(client, forged)
    assert result["verified"] is False, result["checks"]
    failed = check(result, check_name)
    assert failed["outcome"] == "failed", result["checks"]
    assert detail.lower() in failed["detail"].lower(), failed


EQF = "http://data.europa.eu/snb/eqf/"


def _eqf_alignment(alignment: object) -> Callable[[Json], None]:
    """The achievement's EQF level only as ``alignment`` says it (no ``eqfLevel`` beside)."""

    def mutate(payload: Json) -> None:
        achievement = payload["credentialSubject"]["achievement"]
        achievement.pop("eqfLevel", None)
        achievement["alignment"] = alignment

    return mutate


def _eqf_url(url: str) -> Callable[[Json], None]:
    return _eqf_alignment([{"type": ["Alignment"], "targetName": "EQF", "targetUrl": url}])


SUMMARY_READS: list[tuple[str, Callable[[Json], None], str, object]] = [
    ("eqf-as-issued", _eqf_url(f"{EQF}6"), "eqf_level", 6),
    ("eqf-superscript", _eqf_url(f"{EQF}¹"), "eqf_level", None),
    ("eqf-arabic-indic", _eqf_url(f"{EQF}٦"), "eqf_level", None),
    ("eqf-thousands-of-digits", _eqf_url(EQF + "6" * 5000), "eqf_level", None),
    ("alignment-number", _eqf_alignment(5), "eqf_level", None),
    ("outcomes-number", _set("credentialSubject/achievement/learningOutcome", 5),
        "learning_outcomes", []),
    ("results-number", _set("credentialSubject/result", 5), "result", []),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "field", "expected"), [pytest.param(m, f, e, id=i) for i, m, f, e in SUMMARY_READS]
)
async def test_the_achievement_summary_reads_what_it_cannot_use_as_absent(
    client: httpx.AsyncClient,
    issued: Issued,
    mutate: Callable[[Json], None],
    field: str,
    expected: object,
) -> None:
    forged = forge.resign(issued.signer, issued.jwt, mutate)
    result = await post_verify(client, forged)
    assert check(result, "signature")["outcome"] == "passed"
    assert result["achievement"][field] == expected


@pytest.fixture
async def fetcher_that_must_not_fetch(app: FastAPI) -> AsyncIterator[None]:
    """Replace the app's fetcher with one whose network and DNS fail the test if touched."""
    original = app.state.fetcher
    app.state.fetcher = make_fetcher(_fail_if_called, dns=no_dns)
    try:
        yield
    finally:
        await app.state.fetcher.aclose()
        app.state.fetcher = original


def _fail_if_called(request: httpx.Request) -> httpx.Response:
    pytest.fail(f"the verifier fetched {request.url}")


@pytest.mark.usefixtures("fetcher_that_must_not_fetch")
@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://169.254.169.254/latest", "scheme_not_allowed"),
        ("https://169.254.169.254/latest/meta-data/", "address_not_allowed"),
        ("https://10.0.0.1/x", "address_not_allowed"),
        ("https://127.0.0.1/status", "address_not_allowed"),
        ("https://[::ffff:10.0.0.1]/x", "address_not_allowed"),
        ("https://user:pass@example.org/x", "invalid_url"),
        ("file:///etc/passwd", "scheme_not_allowed"),
    ],
)
async def test_status_list_at_a_private_address_is_never_fetched(
    client: httpx.AsyncClient, issued: Issued, url: str, code: str
) -> None:
    forged = forge.resign(issued.signer, issued.jwt, _on_all_entries("statusListCredential", url))
    result = await post_verify(client, forged)
    assert check(result, "signature")["outcome"] == "passed"
    assert_fails_at(result, "status", f"could not be fetched ({code})")
