"""Any replica answers any step: two processes on one database share one pickup between them."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories import Tenant
from tests.oid4vci.holder import (
    JWT_VC_JSON,
    VC_JWT,
    HolderKey,
    fetch_offer,
    make_offer,
    pick_up,
    pre_authorized_code,
    token_response,
)


async def test_each_step_of_one_pickup_on_another_process(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any], replica: str
) -> None:
    async with httpx.AsyncClient(base_url=replica, timeout=30) as other:
        offer = await make_offer(client, tenant, credential["id"])
        code = pre_authorized_code(await fetch_offer(other, offer))
        # The offer was served by the other process, so it is served here no more.
        assert (await client.get(offer.path)).status_code == 400
        wrong = f"{(int(offer.tx_code) + 1) % 1_000_000:06d}"
        first = await token_response(other, tenant, code, wrong)
        assert "2 attempt(s) left" in first.json()["error_description"]
        second = await token_response(client, tenant, code, wrong)
        assert "1 attempt(s) left" in second.json()["error_description"]
        granted = await token_response(other, tenant, code, offer.tx_code)
        assert granted.status_code == 200, granted.text
        token = granted.json()["access_token"]
        assert (await token_response(client, tenant, code, offer.tx_code)).status_code == 400

        holder = HolderKey()
        # pick_up asks for the nonce on the same process it then asks for the credential.
        here = await pick_up(client, tenant, token, JWT_VC_JSON, holder)
        assert here.status_code == 200, here.text
        there = await pick_up(other, tenant, token, VC_JWT, holder)
        assert there.status_code == 200, there.text
        assert (await pick_up(client, tenant, token, VC_JWT, holder)).status_code == 400

        notified = await other.post(
            f"/issuers/{tenant.slug}/notification",
            json={
                "notification_id": here.json()["notification_id"],
                "event": "credential_accepted",
            },
            headers={"Authorization": f"Bearer {token}"},
        )
        assert notified.status_code == 204, notified.text


async def test_a_nonce_from_one_process_is_used_up_on_the_other(
    client: httpx.AsyncClient, tenant: Tenant, credential: dict[str, Any], replica: str
) -> None:
    async with httpx.AsyncClient(base_url=replica, timeout=30) as other:
        offer = await make_offer(client, tenant, credential["id"])
        code = pre_authorized_code(await fetch_offer(client, offer))
        token = (await token_response(client, tenant, code, offer.tx_code)).json()["access_token"]
        nonce = (await other.post(f"/issuers/{tenant.slug}/nonce")).json()["c_nonce"]
        proof = HolderKey().proof(f"https://stapel.test/issuers/{tenant.slug}", nonce)
        body = {"credential_configuration_id": VC_JWT, "proofs": {"jwt": [proof]}}
        headers = {"Authorization": f"Bearer {token}"}
        path = f"/issuers/{tenant.slug}/credential"
        assert (await client.post(path, json=body, headers=headers)).status_code == 200
        body["credential_configuration_id"] = JWT_VC_JSON
        replayed = await other.post(path, json=body, headers=headers)
        assert replayed.status_code == 400
        assert replayed.json()["error"] == "invalid_nonce"
