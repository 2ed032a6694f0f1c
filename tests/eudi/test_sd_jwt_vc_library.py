"""@sd-jwt/sd-jwt-vc from npm verifies our Learning Credentials and presents them to us.

``tests/eudi/node/present.mjs`` runs the library (pinned in ``tests/eudi/node/package-lock.json``;
``tests/eudi/prepare`` installs it): it verifies the issuer's signature (by the x5c chain up to
our test CA, or by the key of our JWT VC Issuer Metadata), every disclosure and the Token Status
List entry, then presents two claims with a Key Binding JWT, which ``POST /v1/verify`` accepts.
"""

from __future__ import annotations

import base64
import json
import uuid
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.certificates.development import CertificateAuthority
from app.sdjwt.presentation import split
from app.token_status.service import publication
from app.verification.jws import parse_compact
from tests.eudi.certified import certify, pem
from tests.eudi.support import Holder, learning_credential
from tests.factories import Tenant
from tests.node import run_node_script
from tests.serving import ROOT

NODE_DIR = ROOT / "tests" / "eudi" / "node"
LIBRARY = NODE_DIR / "node_modules" / "@sd-jwt" / "sd-jwt-vc" / "package.json"
AUDIENCE = "https://verifier.example"
CHOSEN = ["achievement_title", "level_of_learning_experience"]


def _run(request: dict[str, Any], folder: Path) -> dict[str, Any]:
    request_file = folder / "request.json"
    request_file.write_text(json.dumps(request))
    result: dict[str, Any] = run_node_script(
        NODE_DIR / "present.mjs", str(request_file), library=LIBRARY, prepare="tests/eudi/prepare"
    )
    return result


def _holder_private_jwk(holder: Holder) -> dict[str, Any]:
    """The holder's private key as the library's signer takes it (a JWK with d)."""
    assert isinstance(holder.key, ec.EllipticCurvePrivateKey)
    d = holder.key.private_numbers().private_value.to_bytes(32, "big")
    return {**holder.jwk, "d": base64.urlsafe_b64encode(d).rstrip(b"=").decode("ascii")}


async def _status_token(sessionmaker: async_sessionmaker[AsyncSession], sd_jwt: str) -> str:
    uri = parse_compact(split(sd_jwt).jwt).payload["status"]["status_list"]["uri"]
    async with sessionmaker() as session, session.begin():
        return (await publication(session, uuid.UUID(uri.rsplit("/", 1)[1]))).jwt


async def _present_and_verify(
    client: httpx.AsyncClient,
    sd_jwt: str,
    holder: Holder,
    key: dict[str, Any],
    token: str,
    folder: Path,
) -> dict[str, Any]:
    result = _run(
        {
            "sd_jwt": sd_jwt,
            **key,
            "status_list_token": token,
            "holder_private_jwk": _holder_private_jwk(holder),
            "disclose": CHOSEN,
            "nonce": "library-nonce",
            "aud": AUDIENCE,
        },
        folder,
    )
    assert result["claims"]["achievement_title"] == "Data Literacy for Policy Makers"
    assert result["claims"]["vct"] == "urn:eu.europa.ec.eudi:learning:credential:1"
    report = (
        await client.post(
            "/v1/verify",
            json={
                "verifiableCredential": result["presentation"],
                "nonce": "library-nonce",
                "audience": AUDIENCE,
                "requireKeyBinding": True,
            },
        )
    ).json()
    checks = {c["check"]: c["outcome"] for c in report["checks"]}
    assert report["verified"], report["checks"]
    assert checks["key_binding"] == "passed"
    assert sorted(report["disclosed"]) == sorted(CHOSEN)
    return result


async def test_the_library_verifies_by_issuer_metadata_and_we_accept_its_presentation(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    tmp_path: Path,
) -> None:
    holder = Holder()
    _, sd_jwt = await learning_credential(client, tenant, holder)
    kid = parse_compact(split(sd_jwt).jwt).header["kid"]
    metadata = (await client.get(f"/.well-known/jwt-vc-issuer/issuers/{tenant.slug}")).json()
    issuer_jwk = next(k for k in metadata["jwks"]["keys"] if k["kid"] == kid)
    token = await _status_token(sessionmaker, sd_jwt)
    await _present_and_verify(client, sd_jwt, holder, {"issuer_jwk": issuer_jwk}, token, tmp_path)


async def test_the_library_verifies_by_x5c_chain_and_we_accept_its_presentation(
    client: httpx.AsyncClient,
    tenant: Tenant,
    sessionmaker: async_sessionmaker[AsyncSession],
    trusted_ca: CertificateAuthority,
    tmp_path: Path,
) -> None:
    await certify(sessionmaker, tenant, trusted_ca)
    holder = Holder()
    _, sd_jwt = await learning_credential(client, tenant, holder)
    header = parse_compact(split(sd_jwt).jwt).header
    assert "x5c" in header
    assert "kid" not in header
    token = await _status_token(sessionmaker, sd_jwt)
    result = await _present_and_verify(
        client, sd_jwt, holder, {"anchor_pem": pem(trusted_ca)}, token, tmp_path
    )
    assert result["header"]["x5c"] == header["x5c"]
