"""k, l. The EU Learning Credential (SD-JWT VC): picked up by wallets, and verified.

k is the wallet credential endpoint in the ``dc+sd-jwt`` configuration, prepared and replayed
exactly as scenario j (``bench/pickup.py``); l verifies one Learning Credential of the seeded
sample, with every disclosure and without key binding, over and over (scenario d verifies many
distinct JWTs; a Learning Credential each would cost a staff download per credential).
"""

from __future__ import annotations

import httpx
import orjson

from bench import scenarios
from bench.pickup import HolderKey, PickupScenario
from bench.results import ScenarioResult
from bench.scenarios import Context, Verification

SD_JWT_VC_PICKUP = PickupScenario(
    "LearningCredential_dc+sd-jwt",
    "sd_jwt_vc_pickup",
    "k. SD-JWT VC pickup (credential endpoint)",
    "Learning Credential (dc+sd-jwt), cnf = the proof's key, a Token Status List entry each",
)


def _learning_credential(context: Context) -> str:
    """The seeded sample credential as a Learning Credential, through the staff download."""
    tenant = context.seeded.tenants[0]
    credential_id = orjson.loads(context.seeded.sample.payload)["id"]
    record_id = str(credential_id).removeprefix("urn:uuid:")
    response = httpx.post(
        context.url(f"/v1/credentials/{record_id}/sd-jwt-vc"),
        json={"holder_jwk": HolderKey().jwk},
        headers=tenant.headers,
        timeout=60,
    )
    response.raise_for_status()
    return str(response.json()["credential"])


def verify(context: Context, connections: int) -> ScenarioResult:
    sd_jwt = _learning_credential(context)
    scenario = Verification(
        "verify_sd_jwt_vc",
        "l. SD-JWT VC verification (with status check)",
        "POST /v1/verify (dc+sd-jwt)",
        "application/jwt",
        f"our own Learning Credential with {sd_jwt.count('~') - 1} disclosures, issuer key by "
        "issuer metadata (no certificate), every check incl. the Token Status List must pass",
    )
    return scenarios.verify(context, connections, [sd_jwt], scenario)
