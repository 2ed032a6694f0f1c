"""GET /status-lists/{list_id}/{purpose}: the signed, cacheable BitstringStatusListCredential."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
import warnings
from typing import Any

import httpx
import pytest
from joserfc import jws
from joserfc.jwk import JWKRegistry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import process_cache
from app.config import get_settings
from app.credentials.securing import secure
from app.errors import NotFound
from app.main import create_app
from app.status_lists import service
from app.status_lists.bitstring import postgres_bit_number
from app.status_lists.service import StatusSlot, allocate, status_entries
from tests.factories import Tenant
from tests.status_lists.independent import encoded_list_bits, jwt_part, set_indexes

Sessions = async_sessionmaker[AsyncSession]
VC_JWT = "application/vc+jwt"


async def _slot(sessions: Sessions, tenant: Tenant) -> StatusSlot:
    async with sessions() as session, session.begin():
        (slot,) = await allocate(session, uuid.UUID(tenant.id), 1)
    return slot


def _path(list_id: uuid.UUID, purpose: str = "revocation") -> str:
    return f"/status-lists/{list_id}/{purpose}"


async def _verified_payload(
    client: httpx.AsyncClient, tenant: Tenant, token: str
) -> dict[str, Any]:
    """Verify with joserfc and the key the issuer's did:web document lists, as a verifier would."""
    header = jwt_part(token, 0)
    document = (await client.get(f"/issuers/{tenant.slug}/did.json")).json()
    method = next(m for m in document["verificationMethod"] if m["id"] == header["kid"])
    key = JWKRegistry.import_key(method["publicKeyJwk"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # joserfc flags "EdDSA" as superseded by RFC 9864
        verified = jws.deserialize_compact(token, key, algorithms=[header["alg"]])
    payload: dict[str, Any] = json.loads(verified.payload)
    return payload


@pytest.fixture
def every_read_asks_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests that change lists behind the service's back, as another process would."""
    monkeypatch.setattr(get_settings(), "status_list_process_cache_seconds", 0)


@pytest.fixture
def signatures(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Records every list credential the service signs."""
    signed: list[str] = []

    def recording(*args: Any, **kwargs: Any) -> str:
        token = secure(*args, **kwargs)
        signed.append(token)
        return token

    monkeypatch.setattr(service, "secure", recording)
    return signed


async def test_status_list_is_a_signed_bitstring_status_list_credential_of_the_issuer(
    client: httpx.AsyncClient, sessionmaker: Sessions, tenant: Tenant
) -> None:
    slot = await _slot(sessionmaker, tenant)
    response = await client.get(_path(slot.status_list_id))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == VC_JWT
    token = response.text
    did = tenant.institution["did"]

    header = jwt_part(token, 0)
    assert header["typ"] == "vc+jwt"
    assert header["cty"] == "vc"
    assert header["kid"].startswith(f"{did}#")

    credential = await _verified_payload(client, tenant, token)
    url = f"https://stapel.test/status-lists/{slot.status_list_id}/revocation"
    assert credential["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert credential["id"] == url
    assert credential["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert credential["issuer"] == credential["iss"] == did
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", credential["validFrom"])
    assert isinstance(credential["iat"], int)
    assert "validUntil" not in credential
    subject = credential["credentialSubject"]
    assert {k: v for k, v in subject.items() if k != "encodedList"} == {
        "id": f"{url}#list",
        "type": "BitstringStatusList",
        "statusPurpose": "revocation",
        "ttl": 300_000,
    }
    bits = encoded_list_bits(subject["encodedList"])
    assert len(bits) * 8 == 131072
    assert set_indexes(bits) == set()


async def test_each_status_entry_of_a_credential_points_at_a_served_list_of_its_purpose(
    client: httpx.AsyncClient, sessionmaker: Sessions, tenant: Tenant
) -> None:
    slot = await _slot(sessionmaker, tenant)
    for entry in status_entries(slot, suspension=True):
        path = entry["statusListCredential"].removeprefix("https://stapel.test")
        response = await client.get(path)
        assert response.status_code == 200, response.text
        subject = jwt_part(response.text, 1)["credentialSubject"]
        assert subject["statusPurpose"] == entry["statusPurpose"]
        assert int(entry["statusListIndex"]) < len(encoded_list_bits(subject["encodedList"])) * 8


async def test_cache_control_max_age_equals_the_credential_ttl(
    client: httpx.AsyncClient,
    sessionmaker: Sessions,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(get_settings(), "status_list_process_cache_seconds", 0)
    slot = await _slot(sessionmaker, tenant)
    first = await client.get(_path(slot.status_list_id))
    assert first.headers["cache-control"] == "public, max-age=300"

    monkeypatch.setattr(get_settings(), "status_list_ttl_seconds", 60)
    second = await client.get(_path(slot.status_list_id))
    assert second.headers["cache-control"] == "public, max-age=60"
    assert jwt_part(second.text, 1)["credentialSubject"]["ttl"] == 60_000


async def test_a_matching_if_none_match_answers_304_without_a_body(
    client: httpx.AsyncClient, sessionmaker: Sessions, tenant: Tenant
) -> None:
    slot = await _slot(sessionmaker, tenant)
    etag = (await client.get(_path(slot.status_list_id))).headers["etag"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)
    for if_none_match in (etag, f"W/{etag}", f'"other", {etag}', "*"):
        response = await client.get(
            _path(slot.status_list_id), headers={"If-None-Match": if_none_match}
        )
        assert response.status_code == 304, if_none_match
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["cache-control"] == "public, max-age=300"


async def test_a_stale_if_none_match_gets_the_list(
    client: httpx.AsyncClient, sessionmaker: Sessions, tenant: Tenant
) -> None:
    slot = await _slot(sessionmaker, tenant)
    response = await client.get(_path(slot.status_list_id), headers={"If-None-Match": '"old"'})
    assert response.status_code == 200
    assert response.text.count(".") == 2


async def test_reading_a_list_again_serves_the_stored_signature(
    client: httpx.AsyncClient, sessionmaker: Sessions, tenant: Tenant, signatures: list[str]
) -> None:
    slot = await _slot(sessionmaker, tenant)
    first = await client.get(_path(slot.status_list_id))
    second = await client.get(_path(slot.status_list_id))
    assert second.text == first.text
    assert second.headers["etag"] == first.headers["etag"]
    assert signatures == [first.text]


async def test_each_purpose_is_signed_and_stored_on_its_own(
    client: httpx.AsyncClient, sessionmaker: Sessions, tenant: Tenant, signatures: list[str]
) -> None:
    slot = await _slot(sessionmaker, tenant)
    revocation = await client.get(_path(slot.status_list_id, "revocation"))
    suspension = await client.get(_path(slot.status_list_id, "suspension"))
    await client.get(_path(slot.status_list_id, "revocation"))
    await client.get(_path(slot.status_list_id, "suspension"))
    assert signatures == [revocation.text, suspension.text]
    assert revocation.headers["etag"] != suspension.headers["etag"]


async def test_a_list_whose_bits_changed_in_sql_is_signed_again_with_the_new_bits(
    client: httpx.AsyncClient,
    sessionmaker: Sessions,
    tenant: Tenant,
    signatures: list[str],
    every_read_asks_the_database: None,
) -> None:
    """How revocation will work: one UPDATE sets the bit and bumps the version."""
    slot = await _slot(sessionmaker, tenant)
    before = await client.get(_path(slot.status_list_id))
    await _revoke_in_sql(sessionmaker, slot)
    after = await client.get(_path(slot.status_list_id))
    assert after.status_code == 200
    assert after.text != before.text
    assert after.headers["etag"] != before.headers["etag"]
    assert signatures == [before.text, after.text]
    encoded = (await _verified_payload(client, tenant, after.text))["credentialSubject"]
    assert set_indexes(encoded_list_bits(encoded["encodedList"])) == {slot.index}
    stale = await client.get(
        _path(slot.status_list_id), headers={"If-None-Match": before.headers["etag"]}
    )
    assert stale.status_code == 200


async def test_a_version_bump_alone_re_signs_and_then_serves_the_new_signature(
    client: httpx.AsyncClient,
    sessionmaker: Sessions,
    tenant: Tenant,
    signatures: list[str],
    every_read_asks_the_database: None,
) -> None:
    slot = await _slot(sessionmaker, tenant)
    await client.get(_path(slot.status_list_id))
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE status_lists SET version = version + 1 WHERE id = :id"),
            {"id": slot.status_list_id},
        )
    resigned = await client.get(_path(slot.status_list_id))
    again = await client.get(_path(slot.status_list_id))
    assert len(signatures) == 2
    assert again.text == resigned.text == signatures[1]


async def test_a_list_changed_elsewhere_is_renewed_behind_the_fetch_in_its_last_quarter(
    client: httpx.AsyncClient,
    sessionmaker: Sessions,
    tenant: Tenant,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    now = [1000.0]
    monkeypatch.setattr(process_cache, "_clock", lambda: now[0])
    slot = await _slot(sessionmaker, tenant)
    before = await client.get(_path(slot.status_list_id))
    await _revoke_in_sql(sessionmaker, slot)  # as another replica would
    now[0] += get_settings().status_list_process_cache_seconds * 0.9
    at_once = await client.get(_path(slot.status_list_id))
    assert at_once.text == before.text  # served from memory while it is renewed behind
    for _ in range(200):  # the renewal's round trips, each a turn of the event loop
        renewed = await client.get(_path(slot.status_list_id))
        if renewed.text != before.text:
            break
        await asyncio.sleep(0.01)
    assert _bit_set(renewed.text, slot.index)


async def test_the_status_list_needs_no_authentication_and_allows_other_origins(
    client: httpx.AsyncClient, sessionmaker: Sessions, tenant: Tenant
) -> None:
    slot = await _slot(sessionmaker, tenant)
    response = await client.get(
        _path(slot.status_list_id), headers={"Origin": "https://verifier.example"}
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"


async def test_an_unknown_list_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get(_path(uuid.uuid4()))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize(
    "path",
    [
        "/status-lists/{list_id}/expiry",
        "/status-lists/{list_id}/Revocation",
        "/status-lists/not-a-uuid/revocation",
    ],
)
async def test_a_bad_purpose_or_list_id_is_a_422_problem(
    client: httpx.AsyncClient, sessionmaker: Sessions, tenant: Tenant, path: str
) -> None:
    slot = await _slot(sessionmaker, tenant)
    response = await client.get(path.format(list_id=slot.status_list_id))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["errors"][0]["parameter"] in {"purpose", "list_id"}


async def test_the_service_refuses_an_unknown_purpose_as_not_found(
    sessionmaker: Sessions, tenant: Tenant
) -> None:
    slot = await _slot(sessionmaker, tenant)
    async with sessionmaker() as session:
        with pytest.raises(NotFound):
            await service.publication(session, slot.status_list_id, "expiry")


def test_the_openapi_document_lists_every_answer_of_the_status_list_endpoint() -> None:
    operation = create_app().openapi()["paths"]["/status-lists/{list_id}/{purpose}"]["get"]
    responses = operation["responses"]
    assert set(responses) == {"200", "304", "404", "422", "503"}
    assert list(responses["200"]["content"]) == [VC_JWT]
    assert (
        set(responses["200"]["headers"])
        == set(responses["304"]["headers"])
        == {
            "ETag",
            "Cache-Control",
        }
    )
    for problem in ("404", "422"):
        assert "application/problem+json" in responses[problem]["content"]
    assert "security" not in operation


async def _revoke_in_sql(sessionmaker: Sessions, slot: StatusSlot) -> None:
    """Set the slot's revocation bit as any writer does (one UPDATE), behind the service."""
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text(
                "UPDATE status_lists SET revocation_bits = set_bit(revocation_bits, :bit, 1), "
                "version = version + 1 WHERE id = :id"
            ),
            {"bit": postgres_bit_number(slot.index), "id": slot.status_list_id},
        )


def _bit_set(token: str, index: int) -> bool:
    bits = encoded_list_bits(jwt_part(token, 1)["credentialSubject"]["encodedList"])
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


async def test_a_list_is_served_from_memory_briefly_and_at_once_after_a_change_here(
    client: httpx.AsyncClient, sessionmaker: Sessions, tenant: Tenant
) -> None:
    slot = await _slot(sessionmaker, tenant)
    first = await client.get(_path(slot.status_list_id))
    # Another process flips the bit: this one keeps serving what it signed, for a few seconds.
    await _revoke_in_sql(sessionmaker, slot)
    cached = await client.get(_path(slot.status_list_id))
    assert cached.text == first.text
    assert not _bit_set(cached.text, slot.index)
    # A change made through this process is served at once.
    async with sessionmaker() as session, session.begin():
        await service.set_status(session, slot, "suspension", True)
    for purpose in ("revocation", "suspension"):
        fresh = await client.get(_path(slot.status_list_id, purpose))
        assert _bit_set(fresh.text, slot.index)
