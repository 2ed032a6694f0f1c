"""g. Wallet pickup: the OpenID4VCI credential endpoint under wrk, as a ratio to single issuance.

Every request must be one a wallet could send once: its own access token (one configuration
each), its own c_nonce and a key proof signed over it. They are made before wrk starts, through
the server's own endpoints (offer, offer object, token, nonce), and signed here with one holder
key; wrk then only replays the credential requests, one line each, every line once.
"""

from __future__ import annotations

import asyncio
import base64
import json
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from typing import Any

import httpx
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from bench.results import ScenarioResult, from_wrk
from bench.scenarios import Context, measure
from bench.seed import Api, SeedResult, Tenant, bounded, today
from bench.wrk import WrkRequest

CONFIGURATION = "OpenBadgeCredential_vc+jwt"
PRE_AUTHORIZED = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PREPARE_CONCURRENCY = 16
# Requests prepared per second of wrk time, as a multiple of the rate of single issuance at one
# client in the same run (a pickup signs like an issuance in a transaction of its own, and
# stores no credential): enough that no line is sent twice, since a repeat would be refused and
# counted as an error. Not the rate at the pickup's own concurrency: there single issuances share
# transactions (group commit), pickups do not, and preparing three times that rate took minutes,
# long enough for the first nonces prepared to expire before wrk sent them.
HEADROOM = 3.0
# Without a single-issuance result to go by.
DEFAULT_RATE = 1000.0


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class HolderKey:
    """One P-256 key that proves possession for every prepared request."""

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP256R1())
        numbers = self._key.public_key().public_numbers()
        self.jwk = {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
        }

    def proof(self, audience: str, nonce: str) -> str:
        header = {"typ": "openid4vci-proof+jwt", "alg": "ES256", "jwk": self.jwk}
        payload = {"aud": audience, "iat": int(time.time()), "nonce": nonce}
        signing_input = ".".join(
            _b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload)
        )
        r, s = decode_dss_signature(
            self._key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        )
        return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"


async def _credential_of(api: Api, tenant: Tenant, tag: str) -> str:
    awarded = today() - timedelta(days=1)
    body: dict[str, Any] = {
        "achievement_id": tenant.achievement_ids[0],
        "learner": {"name": "Wallet Learner", "student_number": f"{tag}-wallet"},
        "awarded_on": awarded.isoformat(),
    }
    created = await api.json("POST", "/v1/credentials", (201,), json=body, headers=tenant.headers)
    return str(created["id"])


async def _one_request(
    api: Api,
    tenant: Tenant,
    credential_id: str,
    issuer: str,
    holder: HolderKey,
    configuration: str,
) -> str:
    """One line for pickup.lua: ``<path> <access token> <request body>``."""
    offer = await api.json(
        "POST", f"/v1/credentials/{credential_id}/offers", (201,), headers=tenant.headers
    )
    path = httpx.URL(offer["credential_offer_uri"]).path
    grant = (await api.json("GET", path, (200,)))["grants"][PRE_AUTHORIZED]
    form = {
        "grant_type": PRE_AUTHORIZED,
        "pre-authorized_code": grant["pre-authorized_code"],
        "tx_code": offer["tx_code"],
    }
    token = await api.json("POST", f"/issuers/{tenant.slug}/token", (200,), data=form)
    nonce = await api.json("POST", f"/issuers/{tenant.slug}/nonce", (200,))
    body = {
        "credential_configuration_id": configuration,
        "proofs": {"jwt": [holder.proof(issuer, nonce["c_nonce"])]},
    }
    credential_path = f"/issuers/{tenant.slug}/credential"
    return f"{credential_path} {token['access_token']} {json.dumps(body, separators=(',', ':'))}"


async def prepare(
    base_url: str,
    seeded: SeedResult,
    count: int,
    tag: str,
    issuer_base: str,
    configuration: str = CONFIGURATION,
) -> list[str]:
    holder = HolderKey()
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        api = Api(client)
        tenants = seeded.tenants
        credentials = await bounded(
            [partial(_credential_of, api, t, f"{tag}-{t.slug}") for t in tenants],
            PREPARE_CONCURRENCY,
        )
        jobs = [
            partial(
                _one_request,
                api,
                tenants[i % len(tenants)],
                credentials[i % len(tenants)],
                f"{issuer_base}/issuers/{tenants[i % len(tenants)].slug}",
                holder,
                configuration,
            )
            for i in range(count)
        ]
        return await bounded(jobs, PREPARE_CONCURRENCY)


@dataclass(frozen=True)
class PickupScenario:
    """What is picked up, and how the result is named."""

    configuration: str
    key: str
    title: str
    note: str


VC_JWT_PICKUP = PickupScenario(
    CONFIGURATION,
    "pickup",
    "j. wallet pickup (credential endpoint)",
    "vc+jwt bound to the proof's key",
)


def credential_endpoint(
    context: Context,
    connections: int,
    issuer_base: str,
    issue_rate: float | None,
    scenario: PickupScenario = VC_JWT_PICKUP,
) -> ScenarioResult:
    rate = HEADROOM * issue_rate if issue_rate else DEFAULT_RATE
    began = time.perf_counter()
    prepared: dict[str, str] = {}
    for phase, seconds in (("warmup", context.config.warmup), ("run", context.config.duration)):
        if seconds <= 0:
            continue
        count = max(connections * 4, int(rate * seconds))
        tag = f"{context.run_tag}-{scenario.key}-{phase}"
        lines = asyncio.run(
            prepare(
                context.base_url, context.seeded, count, tag, issuer_base, scenario.configuration
            )
        )
        lines_file = f"{scenario.key}-{phase}.txt"
        prepared[phase] = context.write(lines_file, ("\n".join(lines) + "\n").encode())
    preparing = time.perf_counter() - began

    def build(phase: str, seconds: float) -> WrkRequest:
        return WrkRequest(
            context.url("/"),
            "pickup.lua",
            connections,
            seconds,
            {
                "requests_file": prepared[phase],
                "threads": str(context.wrk.threads_for(connections)),
                "expect": "200",
                "contains": '"credentials"',
            },
        )

    measured, used = measure(context, build)
    result = from_wrk(
        f"{scenario.key}_c{connections}",
        scenario.title,
        f"POST /issuers/{{slug}}/credential ({scenario.configuration}, one ES256 proof)",
        connections,
        measured,
        used,
        credentials_per_request=1,
    )
    result.note = (
        f"{scenario.note}; tokens, nonces and proofs made beforehand "
        f"({preparing:.0f} s); a line sent twice would be refused and counted as an error"
    )
    return result
