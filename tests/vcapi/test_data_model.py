"""Each VC Data Model 2.0 rule, broken by exactly one document and kept by its twin, through
``POST /credentials/issue`` (signed by this service) and ``POST /credentials/verify`` (signed by
a did:jwk issuer the test holds, since this service would never sign the broken one)."""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import contexts
from app.contexts import OB_V3P0, VC_V2
from app.credentials.models import Credential
from tests.factories import Tenant
from tests.oid4vci.holder import _base58 as base58
from tests.vcapi.foreign_issuer import DidJwkIssuer
from tests.vcapi.test_vcapi import vc
from tests.verification.forge import split

Json = dict[str, Any]
TERMS = "https://hogeschool.voorbeeld.nl/terms#"
# The digest of the Open Badges context file as published, read from the file itself.
OB_CONTEXT_SRI = (
    "sha384-"
    + base64.b64encode(
        hashlib.sha384(
            Path(contexts.__file__).with_name("ob-v3p0-context-3.0.3.json").read_bytes()
        ).digest()
    ).decode()
)

OB_CONTEXT_SHA256 = hashlib.sha256(
    Path(contexts.__file__).with_name("ob-v3p0-context-3.0.3.json").read_bytes()
).digest()


def multibase58(multihash: bytes) -> str:
    """``z`` and the base58btc form of ``multihash`` (written by the tests, not the code tested)."""
    return "z" + base58(multihash)


@dataclass(frozen=True)
class Rule:
    """A rule, the members that break it, the members that keep it, and where it is reported."""

    code: str
    breaking: Json
    keeping: Json
    pointer: str


def subject(**members: Any) -> Json:
    subject: Json = vc()["credentialSubject"]
    return {**subject, **members}


def with_context(*extra: Any) -> list[Any]:
    return [VC_V2, OB_V3P0, *extra]


def typed(name: str, item: Json) -> Rule:
    """``name``'s entries must name their type (the OB schema wants them as a list)."""
    return Rule(
        "type_missing",
        {name: [item]},
        {name: [{**item, "type": f"{TERMS}{name}"}]},
        f"/{name}/0",
    )


def related(*resources: Any) -> Json:
    return {"relatedResource": list(resources)}


OB_CONTEXT = {"id": OB_V3P0, "digestSRI": OB_CONTEXT_SRI}

RULES = {
    "context_starts_with_v2": Rule(
        "context_invalid", {"@context": [OB_V3P0, VC_V2]}, {}, "/@context"
    ),
    "context_is_bundled_or_an_object": Rule(
        "context_unknown",
        {"@context": with_context("https://contexts.voorbeeld.nl/alumni/v1")},
        {"@context": with_context({"alumniOf": f"{TERMS}alumniOf"})},
        "/@context/2",
    ),
    "terms_are_defined": Rule(
        "term_undefined",
        {"credentialSubject": subject(alumniOf="Hogeschool Voorbeeld")},
        {
            "@context": with_context({"alumniOf": f"{TERMS}alumniOf"}),
            "credentialSubject": subject(alumniOf="Hogeschool Voorbeeld"),
        },
        "/credentialSubject/alumniOf",
    ),
    "types_are_defined": Rule(
        "term_undefined",
        {
            "@context": with_context({"@vocab": None}),
            "type": ["VerifiableCredential", "OpenBadgeCredential", "AlumniCredential"],
        },
        {
            "@context": with_context({"AlumniCredential": f"{TERMS}AlumniCredential"}),
            "type": ["VerifiableCredential", "OpenBadgeCredential", "AlumniCredential"],
        },
        "/type",
    ),
    "terms_map_to_urls": Rule(
        "term_not_url",
        {
            "@context": with_context({"alumniOf": "alumniOf"}),
            "credentialSubject": subject(alumniOf="Hogeschool Voorbeeld"),
        },
        {
            "@context": with_context({"alumniOf": f"{TERMS}alumniOf"}),
            "credentialSubject": subject(alumniOf="Hogeschool Voorbeeld"),
        },
        "/@context",
    ),
    "protected_terms_keep_their_meaning": Rule(
        "protected_term_redefinition",
        {"@context": with_context({"VerifiableCredential": f"{TERMS}VerifiableCredential"})},
        {"@context": with_context({"AlumniCredential": f"{TERMS}AlumniCredential"})},
        "/@context",
    ),
    "subject_id_is_a_single_url": Rule(
        "id_not_url",
        {"credentialSubject": subject(id=["did:example:alumna", "did:example:twin"])},
        {"credentialSubject": subject(id="did:example:alumna")},
        "/credentialSubject/id",
    ),
    "credential_id_is_a_url": Rule(
        "id_not_url",
        {"id": "https ://not-a-url/alumni/1"},
        {"id": "https://hogeschool.voorbeeld.nl/alumni/1"},
        "/id",
    ),
    "terms_of_use_have_a_type": typed("termsOfUse", {"id": "https://voorbeeld.nl/terms/1"}),
    "evidence_has_a_type": typed("evidence", {"id": "https://voorbeeld.nl/evidence/1"}),
    "refresh_service_has_a_type": typed("refreshService", {"id": "https://voorbeeld.nl/r/1"}),
    "credential_schema_has_a_type": typed(
        "credentialSchema", {"id": "https://voorbeeld.nl/schema.json"}
    ),
    "credential_schema_has_an_id": Rule(
        "schema_id",
        {"credentialSchema": [{"type": f"{TERMS}credentialSchema"}]},
        {
            "credentialSchema": [
                {"id": "https://voorbeeld.nl/schema.json", "type": f"{TERMS}credentialSchema"}
            ]
        },
        "/credentialSchema/0",
    ),
    "name_is_a_language_value": Rule(
        "language_value_invalid",
        {"name": {"@value": "Alumna", "@language": "nl", "rank": 1}},
        {"name": {"@value": "Alumna", "@language": "nl"}},
        "/name",
    ),
    "description_is_a_language_value": Rule(
        "language_value_invalid",
        {"description": [{"@value": "Afgestudeerd", "@language": "nl", "@direction": "up"}]},
        {"description": [{"@value": "Afgestudeerd", "@language": "nl", "@direction": "ltr"}]},
        "/description/0",
    ),
    "valid_from_has_a_time_zone": Rule(
        "datetime_invalid",
        {"validFrom": "2026-01-01T00:00:00"},
        {"validFrom": "2026-01-01T00:00:00+01:00"},
        "/validFrom",
    ),
    "related_resources_are_objects": Rule(
        "related_resource_invalid", related(OB_V3P0), related(OB_CONTEXT), "/relatedResource/0"
    ),
    "related_resources_have_an_id": Rule(
        "related_resource_invalid",
        related({"digestSRI": OB_CONTEXT_SRI}),
        related(OB_CONTEXT),
        "/relatedResource/0",
    ),
    "related_resource_ids_are_unique": Rule(
        "related_resource_id",
        related(OB_CONTEXT, OB_CONTEXT),
        related(OB_CONTEXT),
        "/relatedResource/1/id",
    ),
    "related_resources_have_a_digest": Rule(
        "digest_missing", related({"id": OB_V3P0}), related(OB_CONTEXT), "/relatedResource/0"
    ),
    "related_resource_digest_matches_the_resource": Rule(
        "digest_mismatch",
        related({"id": OB_V3P0, "digestSRI": "sha384-" + base64.b64encode(b"x" * 48).decode()}),
        related(OB_CONTEXT),
        "/relatedResource/0/digestSRI",
    ),
    "related_resource_multibase_digest_matches_the_resource": Rule(
        "digest_mismatch",
        related({"id": OB_V3P0, "digestMultibase": multibase58(b"\x12\x20" + bytes(32))}),
        related({"id": OB_V3P0, "digestMultibase": multibase58(b"\x12\x20" + OB_CONTEXT_SHA256)}),
        "/relatedResource/0/digestMultibase",
    ),
    "related_resource_digest_is_readable": Rule(
        "digest_invalid",
        related(
            {
                "id": OB_V3P0,
                "digestMultibase": "u" + base64.urlsafe_b64encode(b"\x12\x05abc").decode(),
            }
        ),
        related(
            {
                "id": OB_V3P0,
                "digestMultibase": "u"
                + base64.urlsafe_b64encode(b"\x12\x20" + OB_CONTEXT_SHA256).decode().rstrip("="),
            }
        ),
        "/relatedResource/0/digestMultibase",
    ),
}


def document(members: Json, issuer: Any) -> Json:
    credential = vc(**{"id": f"urn:uuid:{uuid.uuid4()}", **members})
    if issuer is not None:
        credential["issuer"] = issuer
    return credential


def foreign(credential: Json) -> Json:
    """Not an Open Badge, so that only the data model applies and not the stricter OB schema
    (which, for one, wants plain strings where the data model allows language values)."""
    return {**credential, "type": [t for t in credential["type"] if t != "OpenBadgeCredential"]}


async def issue(client: httpx.AsyncClient, tenant: Tenant, credential: Json) -> httpx.Response:
    return await client.post(
        "/credentials/issue", json={"credential": credential}, headers=tenant.headers
    )


def assert_refused(response: httpx.Response, code: str, pointer: str) -> None:
    assert response.status_code == 422, response.text
    problem = response.json()
    assert problem["code"] == "validation_failed", problem
    assert {"code": code, "pointer": pointer} in [
        {"code": e["code"], "pointer": e["pointer"]} for e in problem["errors"]
    ], problem


@pytest.mark.parametrize("rule", RULES.values(), ids=RULES.keys())
async def test_issue_refuses_the_document_breaking_the_rule_and_signs_its_twin(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    rule: Rule,
) -> None:
    refused = await issue(client, tenant, document(rule.breaking, None))
    assert_refused(refused, rule.code, "#/credential" + rule.pointer)
    async with sessionmaker() as session:
        assert (await session.execute(select(func.count()).select_from(Credential))).scalar() == 0
    kept = await issue(client, tenant, document(rule.keeping, None))
    assert kept.status_code == 201, kept.text


@pytest.mark.parametrize("rule", RULES.values(), ids=RULES.keys())
async def test_verify_refuses_the_document_breaking_the_rule_and_accepts_its_twin(
    client: httpx.AsyncClient, rule: Rule
) -> None:
    issuer = DidJwkIssuer()
    broken = issuer.envelope(foreign(document(rule.breaking, issuer.did)))
    refused = await client.post("/credentials/verify", json={"verifiableCredential": broken})
    assert_refused(refused, rule.code, "#/credential" + rule.pointer)
    kept = issuer.envelope(foreign(document(rule.keeping, issuer.did)))
    verified = await client.post("/credentials/verify", json={"verifiableCredential": kept})
    assert verified.status_code == 200, verified.text


async def test_issue_refuses_a_null_issuer_and_fills_in_a_missing_one(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    refused = await issue(client, tenant, document({"issuer": None}, None))
    assert_refused(refused, "issuer_invalid", "#/credential/issuer")
    assert (await issue(client, tenant, document({}, None))).status_code == 201


@pytest.mark.parametrize(
    "issuer", [None, "https ://not-a-url", {"name": "Hogeschool Voorbeeld"}, {"id": ["did:a"]}]
)
async def test_verify_refuses_an_issuer_that_is_not_a_url_or_an_object_with_one(
    client: httpx.AsyncClient, issuer: Any
) -> None:
    signer = DidJwkIssuer()
    credential = document({}, issuer)
    if issuer is None:
        credential["issuer"] = None
    refused = await client.post(
        "/credentials/verify", json={"verifiableCredential": signer.envelope(credential)}
    )
    assert refused.status_code == 422, refused.text
    assert "issuer_invalid" in {e["code"] for e in refused.json()["errors"]}, refused.json()


async def test_issuer_object_name_is_a_language_value(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    did = tenant.institution["did"]
    bad = {"issuer": {"id": did, "name": {"@value": "Hogeschool", "@language": "nl", "x": 1}}}
    refused = await issue(client, tenant, document(bad, None))
    assert_refused(refused, "language_value_invalid", "#/credential/issuer/name")
    good = {"issuer": {"id": did, "name": {"@value": "Hogeschool", "@language": "nl"}}}
    assert (await issue(client, tenant, document(good, None))).status_code == 201


async def test_issue_accepts_a_valid_until_in_the_past(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    ended = {"validFrom": "2024-01-01T00:00:00Z", "validUntil": "2025-01-01T00:00:00Z"}
    response = await issue(client, tenant, document(ended, None))
    assert response.status_code == 201, response.text


async def test_issue_keeps_the_callers_status_entries_beside_its_own(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    own = {"id": "https://voorbeeld.nl/status/1#7", "type": f"{TERMS}RegistryStatus"}
    response = await issue(client, tenant, document({"credentialStatus": own}, None))
    assert response.status_code == 201, response.text
    jwt = response.json()["verifiableCredential"]["id"].removeprefix("data:application/vc+jwt,")
    _, signed, _ = split(jwt)
    entries = signed["credentialStatus"]
    assert [e.get("statusPurpose") for e in entries] == ["revocation", None]
    assert entries[1:] == [own]


async def test_issue_refuses_a_status_entry_without_a_type(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    entry = {"credentialStatus": {"id": "https://voorbeeld.nl/status/1#7"}}
    refused = await issue(client, tenant, document(entry, None))
    assert_refused(refused, "type_missing", "#/credential/credentialStatus")


@pytest.mark.parametrize(
    ("context", "code"),
    [
        ({"@import": "https://contexts.voorbeeld.nl/alumni/v1"}, "context_unknown"),
        ({"alumniOf": {"@id": f"{TERMS}alumniOf", "@context": 5}}, "jsonld_invalid"),
        ({"@version": 2}, "jsonld_invalid"),
        ({"@vocab": 5}, "jsonld_invalid"),
        ({"a": "b:c", "b": "a:d"}, "jsonld_invalid"),
        ({"alumniOf": {"@id": f"{TERMS}alumniOf", "@container": "@bogus"}}, "jsonld_invalid"),
        ({"": f"{TERMS}empty"}, "jsonld_invalid"),
    ],
)
async def test_a_context_json_ld_cannot_process_is_a_422_naming_the_context(
    client: httpx.AsyncClient, tenant: Tenant, context: Json, code: str
) -> None:
    refused = await issue(client, tenant, document({"@context": with_context(context)}, None))
    assert_refused(refused, code, "#/credential/@context")
