"""The answer of POST /v1/verify is sent without passing through its model (for speed): it must
still be exactly what ``VerificationOut``, the model the OpenAPI document shows, would send."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.verification.schemas import VerificationOut
from tests.credentials.helpers import issue, published_achievement
from tests.eudi.support import Holder, learning_credential
from tests.factories import Tenant


async def _answer(client: httpx.AsyncClient, credential: str) -> dict[str, Any]:
    response = await client.post("/v1/verify", json={"verifiableCredential": credential})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    answer: dict[str, Any] = response.json()
    return answer


def _as_the_model_sends_it(answer: dict[str, Any]) -> dict[str, Any]:
    return VerificationOut.model_validate(answer, strict=True).model_dump(mode="json")


@pytest.mark.parametrize("profile", ["vc-jose", "ob3-jwt", "vc-jwt-11"])
async def test_a_verified_credential_is_answered_as_the_model_would(
    client: httpx.AsyncClient, tenant: Tenant, profile: str
) -> None:
    achievement = await published_achievement(client, tenant)
    credential = await issue(client, tenant, achievement["id"], profile=profile)
    answer = await _answer(client, credential["jwt"])
    assert answer["verified"]
    assert answer["achievement"] is not None
    assert answer == _as_the_model_sends_it(answer)


async def test_a_failed_verification_is_answered_as_the_model_would(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    credential = await issue(client, tenant, achievement["id"])
    header, payload, signature = credential["jwt"].split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    answer = await _answer(client, tampered)
    assert not answer["verified"]
    assert answer == _as_the_model_sends_it(answer)

    unreadable = await _answer(client, "not.a.jwt")
    assert unreadable["credential"] is None
    assert unreadable["issuer"] is None
    assert unreadable == _as_the_model_sends_it(unreadable)


async def test_an_sd_jwt_vc_is_answered_as_the_model_would(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    _, sd_jwt = await learning_credential(client, tenant, Holder())
    answer = await _answer(client, sd_jwt)
    assert answer["verified"]
    assert answer["disclosed"]
    assert answer == _as_the_model_sends_it(answer)
