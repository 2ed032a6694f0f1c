"""VC-API issuance claims nothing only the issuing policy grants; verifiers see which is which."""

from __future__ import annotations

from typing import Any

import httpx

from app.config import get_settings
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.vcapi.test_vcapi import vc


def _subject(**achievement: Any) -> dict[str, Any]:
    return {
        "id": "did:example:alumna",
        "type": ["AchievementSubject"],
        "achievement": {
            # What the Open Badges 3.0 schema requires of an achievement, at a host not ours.
            "id": "https://hogeschool.voorbeeld.nl/achievements/data-literacy",
            "type": ["Achievement"],
            "name": "Data Literacy",
            "description": "Reading and questioning data.",
            "criteria": {"narrative": "Pass the final project."},
            **achievement,
        },
    }


async def _refused(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(
        "/credentials/issue", json={"credential": credential}, headers=tenant.headers
    )
    assert response.status_code == 422, response.text
    body: dict[str, Any] = response.json()
    assert body["code"] == "policy_violation"
    return body


async def test_another_institutions_achievement_is_refused(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    theirs = await published_achievement(client, other_tenant)
    url = f"{get_settings().public_base_url}/achievements/{theirs['id']}/versions/1"
    body = await _refused(client, tenant, vc(credentialSubject=_subject(id=url)))
    assert body["errors"] == [
        {
            "pointer": "#/credential/credentialSubject/achievement/id",
            "detail": "an achievement of another institution",
            "code": "foreign_achievement",
        }
    ]


async def test_own_catalogue_achievement_is_sent_to_rest_issuance(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    ours = await published_achievement(client, tenant)
    url = f"{get_settings().public_base_url}/achievements/{ours['id']}"
    body = await _refused(client, tenant, vc(credentialSubject=[_subject(id=url)]))
    assert [e["code"] for e in body["errors"]] == ["catalogue_achievement"]
    assert body["errors"][0]["pointer"] == "#/credential/credentialSubject/0/achievement/id"


async def test_credits_and_a_formal_type_are_refused(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    subject = _subject(achievementType="MicroCredential", creditsAvailable=500)
    subject["creditsEarned"] = 500
    body = await _refused(client, tenant, vc(credentialSubject=subject))
    assert sorted((e["pointer"], e["code"]) for e in body["errors"]) == [
        ("#/credential/credentialSubject/achievement/achievementType", "formal_type_not_allowed"),
        ("#/credential/credentialSubject/achievement/creditsAvailable", "credits_not_allowed"),
        ("#/credential/credentialSubject/creditsEarned", "credits_not_allowed"),
    ]
    degree = await _refused(
        client, tenant, vc(credentialSubject=_subject(achievementType="MasterDegree"))
    )
    assert [e["code"] for e in degree["errors"]] == ["formal_type_not_allowed"]


async def test_an_informal_badge_of_the_callers_own_is_issued(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    response = await client.post(
        "/credentials/issue",
        json={"credential": vc(credentialSubject=_subject(achievementType="Badge"))},
        headers=tenant.headers,
    )
    assert response.status_code == 201, response.text


async def test_recognised_is_stated_only_for_credentials_issued_under_the_policy(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    assert tenant.institution["recognised"] is True
    issued = await client.post(
        "/credentials/issue",
        json={"credential": vc(credentialSubject=_subject(achievementType="Badge"))},
        headers=tenant.headers,
    )
    vc_api = issued.json()["verifiableCredential"]
    report = (await client.post("/v1/verify", json={"verifiableCredential": vc_api})).json()
    assert report["verified"] is True, [c for c in report["checks"] if c["outcome"] != "passed"]
    assert report["issuer"]["known_as"] == "this_instance"
    assert report["issuer"]["recognised"] is None
    trust = next(c for c in report["checks"] if c["check"] == "trust")
    assert "outside the issuing policy" in trust["detail"]

    achievement = await published_achievement(client, tenant)
    rest = await issue(client, tenant, achievement["id"])
    report = (await client.post("/v1/verify", json={"verifiableCredential": rest["jwt"]})).json()
    assert report["verified"] is True
    assert report["issuer"]["recognised"] is True
