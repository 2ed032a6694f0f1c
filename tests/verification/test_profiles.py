"""The rules each securing profile sets for the JOSE envelope, as a strict verifier applies them.

Every token here carries a valid signature by the issuing tenant's real key (re-signed in
``tests.verification.forge``), so the rule under test is the only thing wrong with it. Each goes
through ``POST /v1/verify`` (a report naming the failed check and its reason) and the VC-API's
``POST /credentials/verify`` (a 422 problem listing the same check and reason).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.keys.signer import Signer
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.verification import forge

Json = dict[str, Any]
PROFILES = ("vc-jose", "ob3-jwt", "vc-jwt-11")


async def _issued(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    profile: str,
) -> tuple[str, Signer]:
    achievement = await published_achievement(client, tenant)
    credential = await issue(client, tenant, achievement["id"], profile=profile)
    return str(credential["jwt"]), await forge.signer_of(sessionmaker, tenant.slug)


async def _refused(client: httpx.AsyncClient, token: str, check: str, reason: str) -> None:
    """Both faces refuse ``token`` at ``check`` with exactly ``reason``, and at nothing else."""
    report = (await client.post("/v1/verify", json={"verifiableCredential": token})).json()
    assert report["verified"] is False
    failed = [(c["check"], c["detail"]) for c in report["checks"] if c["outcome"] == "failed"]
    assert failed == [(check, reason)], report["checks"]

    answer = await client.post("/credentials/verify", json={"verifiableCredential": token})
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "verification_failed"
    assert [(e["code"], e["detail"]) for e in problem["errors"]] == [(check, reason)]


async def _accepted(client: httpx.AsyncClient, token: str) -> None:
    report = (await client.post("/v1/verify", json={"verifiableCredential": token})).json()
    assert report["verified"] is True, report["checks"]
    answer = await client.post("/credentials/verify", json={"verifiableCredential": token})
    assert answer.status_code == 200, answer.text
    assert {"header", "claims", "validity"} <= set(answer.json()["checks"])


# --- vc-jwt-11: a plain JWT ----------------------------------------------------------------------


@pytest.mark.parametrize("typ", ["vp+jwt", "bad+typ", "at+jwt", "application/vp+jwt", "", 1])
async def test_vc_jwt_11_with_a_typ_other_than_jwt_is_refused(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    typ: str,
) -> None:
    token, signer = await _issued(client, tenant, sessionmaker, "vc-jwt-11")
    forged = forge.resign(signer, token, header={"typ": typ})
    reason = f"a vc-jwt-11 credential has typ JWT or none, not {typ!r}"
    await _refused(client, forged, "header", reason)


async def test_vc_jwt_11_with_typ_jwt_or_without_typ_verifies(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    token, signer = await _issued(client, tenant, sessionmaker, "vc-jwt-11")
    assert forge.split(token)[0]["typ"] == "JWT"
    await _accepted(client, token)
    # A typ is a media type: no case, "application/" implied (RFC 7515, 4.1.9).
    for typ in ("jwt", "application/jwt", "Application/JWT"):
        await _accepted(client, forge.resign(signer, token, header={"typ": typ}))
    header, payload, _ = forge.split(token)
    del header["typ"]
    await _accepted(client, signer.sign(header, forge.json_bytes(payload)))


# --- NumericDates, in every profile --------------------------------------------------------------


def _set(claim: str, value: object) -> Callable[[Json], None]:
    return _update({claim: value})


def _update(claims: Json) -> Callable[[Json], None]:
    def mutate(payload: Json) -> None:
        payload.update(claims)

    return mutate


NOT_NUMBERS: list[tuple[object, str]] = [
    ("2026-07-01T00:00:00Z", "a string"),
    (str(int(time.time())), "a string"),
    (True, "a boolean"),
    (False, "a boolean"),
    (None, "null"),
    ([1_700_000_000], "an array"),
    ({"seconds": 1_700_000_000}, "an object"),
]


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("claim", ["iat", "nbf", "exp"])
async def test_a_numeric_date_that_is_not_a_json_number_is_refused(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    profile: str,
    claim: str,
) -> None:
    token, signer = await _issued(client, tenant, sessionmaker, profile)
    for value, kind in NOT_NUMBERS:
        forged = forge.resign(signer, token, _set(claim, value))
        reason = f"{claim} must be a NumericDate (a JSON number), not {kind}"
        await _refused(client, forged, "claims", reason)


@pytest.mark.parametrize("profile", PROFILES)
@pytest.mark.parametrize("claim", ["iat", "nbf", "exp"])
async def test_a_numeric_date_no_calendar_has_is_refused_without_crashing(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    profile: str,
    claim: str,
) -> None:
    token, signer = await _issued(client, tenant, sessionmaker, profile)
    for value in (10**20, -(10**20), 1e300):
        forged = forge.resign(signer, token, _set(claim, value))
        report = (await client.post("/v1/verify", json={"verifiableCredential": forged})).json()
        claims = next(c for c in report["checks"] if c["check"] == "claims")
        assert claims["outcome"] == "failed", report["checks"]
        assert claims["detail"] == f"{claim} {float(value)!r} is outside the range of dates"


@pytest.mark.parametrize("profile", PROFILES)
async def test_integer_and_fractional_numeric_dates_verify(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    profile: str,
) -> None:
    token, signer = await _issued(client, tenant, sessionmaker, profile)
    now = int(time.time())
    for dates in (
        {"iat": now, "nbf": now - 60, "exp": now + 86_400},
        {"iat": now + 0.25, "nbf": now - 60.5, "exp": now + 86_400.75},
    ):
        await _accepted(client, forge.resign(signer, token, _update(dates)))
