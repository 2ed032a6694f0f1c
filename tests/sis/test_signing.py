"""Standard Webhooks verification: the specification's vector, rotation and its overlap."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.errors import InvalidSignature, StaleTimestamp
from app.webhooks import signing
from tests.factories import Tenant
from tests.sis.simulator import connect_sis, course_result

VECTOR = json.loads(
    (Path(__file__).parent / "standard-webhooks-vector.json").read_text(encoding="utf-8")
)
VECTOR_TIME = datetime.fromtimestamp(int(VECTOR["headers"]["webhook-timestamp"]), UTC)


def test_the_reference_vector_verifies_at_its_own_time() -> None:
    body = VECTOR["body"].encode()
    message_id = signing.verify(body, VECTOR["headers"], [VECTOR["secret"]], now=VECTOR_TIME)
    assert message_id == VECTOR["headers"]["webhook-id"]


def test_the_reference_vector_is_stale_today() -> None:
    with pytest.raises(StaleTimestamp):
        signing.verify(VECTOR["body"].encode(), VECTOR["headers"], [VECTOR["secret"]])


def test_the_reference_vector_fails_with_another_body_or_secret() -> None:
    with pytest.raises(InvalidSignature):
        signing.verify(b'{"test": 1}', VECTOR["headers"], [VECTOR["secret"]], now=VECTOR_TIME)
    with pytest.raises(InvalidSignature):
        signing.verify(
            VECTOR["body"].encode(), VECTOR["headers"], [signing.new_secret()], now=VECTOR_TIME
        )


def test_our_signature_of_the_vector_is_the_vectors() -> None:
    headers = signing.signed_headers(
        VECTOR["secret"], VECTOR["headers"]["webhook-id"], VECTOR_TIME, VECTOR["body"]
    )
    assert headers["webhook-signature"] == VECTOR["headers"]["webhook-signature"]


@pytest.mark.parametrize(
    "signature",
    ["", "v1", "v1,", "v1,!!!notbase64", "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="],
)
def test_malformed_signature_headers_are_refused(signature: str) -> None:
    headers = {**VECTOR["headers"], "webhook-signature": signature}
    with pytest.raises(InvalidSignature):
        signing.verify(VECTOR["body"].encode(), headers, [VECTOR["secret"]], now=VECTOR_TIME)


def test_one_of_several_offered_signatures_is_enough() -> None:
    good = VECTOR["headers"]["webhook-signature"]
    headers = {**VECTOR["headers"], "webhook-signature": f"v1,AAAA {good}"}
    body = VECTOR["body"].encode()
    assert signing.verify(body, headers, [VECTOR["secret"]], now=VECTOR_TIME)


async def test_after_rotation_old_and_new_secrets_verify_during_the_overlap(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    old = sis.secret
    rotated = await client.post(
        f"/v1/integrations/{sis.integration_id}/secrets",
        json={"overlap_seconds": 3600},
        headers=tenant.headers,
    )
    assert rotated.status_code == 201, rotated.text
    new = rotated.json()["secret"]
    assert new.startswith("whsec_")
    assert new != old
    assert len(rotated.json()["secrets"]) == 2
    assert (await sis.record(course_result(), secret=old)).status_code == 202
    assert (await sis.record(course_result(), secret=new)).status_code == 202

    # The overlap ends: only the new secret verifies.
    async with sessionmaker() as session, session.begin():
        await session.execute(
            text("UPDATE integration_secrets SET expires_at = :past WHERE expires_at IS NOT NULL"),
            {"past": datetime.now(UTC) - timedelta(seconds=1)},
        )
    assert (await sis.record(course_result(), secret=old)).status_code == 401
    assert (await sis.record(course_result(), secret=new)).status_code == 202
    shown = await client.get(f"/v1/integrations/{sis.integration_id}", headers=tenant.headers)
    assert len(shown.json()["secrets"]) == 1


async def test_secrets_are_stored_encrypted(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    sis = await connect_sis(client, tenant)
    async with sessionmaker() as session:
        stored = (await session.execute(text("SELECT wrapped FROM integration_secrets"))).scalar()
    raw = sis.secret.removeprefix("whsec_").encode()
    assert stored is not None
    assert raw not in stored
    assert sis.secret.encode() not in stored
