"""A wallet library from npm picks a credential up from a live Stapel and checks it on its own.

``tests/wallet/pickup.mjs`` drives ``@openid4vc/openid4vci`` (pinned in
``tests/wallet/package-lock.json``; ``tests/wallet/prepare`` installs it) against a served
process: it resolves the offer, sends the tx_code, gets a nonce, proves a fresh key, receives
the credential in every offered configuration and verifies signature, binding and status.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from tests.credentials.helpers import issue, published_achievement
from tests.factories import create_tenant, operator_token
from tests.serving import ROOT

WALLET = ROOT / "tests" / "wallet"
LIBRARY = WALLET / "node_modules" / "@openid4vc" / "openid4vci" / "package.json"


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("the wallet pickup test needs Node.js 20 or newer (node on the PATH)")
    if not LIBRARY.exists():
        pytest.fail("the wallet library is not installed: run tests/wallet/prepare (npm ci)")
    return node


def _run_wallet(offer_uri: str, tx_code: str) -> dict[str, Any]:
    finished = subprocess.run(  # noqa: S603 - our own script, arguments from our own server
        [_node(), str(WALLET / "pickup.mjs"), offer_uri, tx_code],
        cwd=WALLET,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, f"the wallet failed:\n{finished.stderr}\n{finished.stdout}"
    result: dict[str, Any] = json.loads(finished.stdout)
    return result


async def test_a_wallet_library_picks_up_and_verifies_every_configuration(
    live_server: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    async with httpx.AsyncClient(base_url=live_server, timeout=30) as http:
        tenant = await create_tenant(http, await operator_token(sessionmaker))
        achievement = await published_achievement(http, tenant)
        credential = await issue(http, tenant, achievement["id"])
        made = await http.post(f"/v1/credentials/{credential['id']}/offers", headers=tenant.headers)
        assert made.status_code == 201, made.text
        offer = made.json()

        wallet = _run_wallet(offer["offer_uri"], offer["tx_code"])

        assert set(wallet["results"]) == set(offer["credential_configuration_ids"])
        formats = {r["format"] for r in wallet["results"].values()}
        assert formats == {"jwt_vc_json", "vc+jwt"}
        for result in wallet["results"].values():
            checks = result["checks"]
            assert checks["signature"] == "verified"
            assert checks["issuer"] == tenant.institution["did"]
            assert checks["holder"] == wallet["holder_did"]
            assert {s["purpose"]: s["set"] for s in checks["statuses"]} == {"revocation": False}
            # Our own verifier agrees, and it is the same record: same id, same status entries.
            report = (
                await http.post("/v1/verify", json={"verifiableCredential": result["credential"]})
            ).json()
            assert report["verified"], report
        audit = (await http.get("/v1/audit-events", headers=tenant.headers)).json()["items"]
        accepted = [e for e in audit if e["action"] == "credential.wallet_credential_accepted"]
        assert len(accepted) == 2
        assert {e["target_id"] for e in accepted} == {credential["id"]}
