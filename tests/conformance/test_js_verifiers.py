"""JavaScript verifiers no one here wrote verify every credential Stapel issues.

A served Stapel issues a credential in every profile with every algorithm the profile allows
(ES256, EdDSA and RS256 tenants, through the REST API), once from an institution without
suspension (one status entry, the published 1EdTech schema; the VCDM 1.1 variant for vc-jwt-11)
and once from one with it (two entries, Stapel's schema variants). One run of
``tests/conformance/node/verify.mjs`` checks the batch with libraries pinned in
``tests/conformance/node/package-lock.json`` (``tests/conformance/prepare`` installs them):

* ``did-jwt-vc`` ``verifyCredential``, resolving the issuer's did:web document from the served
  app (did-jwt has no RS256: for RS256 it must say so, and nothing else);
* ``jose`` ``jwtVerify`` with the JWK the ``kid`` names (DID document or key URL), holding the
  profile's ``typ`` and ``iss``;
* ``ajv`` (draft 2019-09, with formats) against the JSON Schema in ``credentialSchema[0].id``:
  the 1EdTech schema from ``app/credentials``, Stapel's own schemas from the served app.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.credentials.ob3_schema import OB3_SCHEMA_URL
from app.credentials.securing import PROFILE_ALGORITHMS, PROFILES
from tests.credentials.helpers import issue, published_achievement
from tests.factories import create_tenant, operator_token
from tests.serving import ROOT, serve_on_test_database
from tests.verification import forge

NODE_DIR = ROOT / "tests" / "conformance" / "node"
LIBRARIES = ("did-jwt-vc", "did-resolver", "jose", "ajv", "ajv-formats")
BUNDLED_SCHEMAS = {
    OB3_SCHEMA_URL: ROOT / "app/credentials/ob_v3p0_achievementcredential_schema.json"
}
ALGORITHMS = ("ES256", "EdDSA", "RS256")
DID_JWT_ALGORITHMS = ("ES256", "EdDSA")  # did-jwt verifies no RS256


@pytest.fixture(scope="module")
def live_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Stapel at the loopback address it names in its documents, for node to fetch from."""
    yield from serve_on_test_database(database_url, tmp_path_factory, None)


def _node() -> str:
    node = shutil.which("node")
    if node is None or shutil.which("npm") is None:
        if os.environ.get("CI"):
            pytest.fail("the conformance test needs Node.js 20 or newer with npm")
        pytest.skip("no Node.js with npm: the JavaScript verifiers cannot run here")
    missing = [name for name in LIBRARIES if not (NODE_DIR / "node_modules" / name).is_dir()]
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: run tests/conformance/prepare (npm ci)")
    return node


def _run_node(batch: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """node's verdicts, and all it said (for the failure message)."""
    finished = subprocess.run(  # noqa: S603 - our own script; its input is our own server's
        [_node(), str(NODE_DIR / "verify.mjs")],
        cwd=NODE_DIR,
        input=json.dumps(batch),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    said = f"exit {finished.returncode}\nstdout:\n{finished.stdout}\nstderr:\n{finished.stderr}"
    assert finished.returncode == 0, said
    results: dict[str, Any] = json.loads(finished.stdout)["results"]
    return results, said


async def _issue_everything(base: str, operator: str) -> list[dict[str, str]]:
    """One credential per profile, algorithm the profile allows and suspension choice."""
    batch: list[dict[str, str]] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        for algorithm in ALGORITHMS:
            for suspendable in (False, True):
                tenant = await create_tenant(
                    http, operator, signing_algorithm=algorithm, suspendable_credentials=suspendable
                )
                achievement = await published_achievement(http, tenant)
                for profile in PROFILES:
                    if algorithm not in PROFILE_ALGORITHMS[profile]:
                        continue
                    issued = await issue(http, tenant, achievement["id"], profile=profile)
                    batch.append(
                        {
                            "name": _name(profile, algorithm, suspendable),
                            "profile": profile,
                            "alg": algorithm,
                            "issuer": tenant.institution["did"],
                            "jwt": issued["jwt"],
                        }
                    )
    return batch


def _name(profile: str, algorithm: str, suspendable: bool) -> str:
    return f"{profile} {algorithm}{' suspendable' if suspendable else ''}"


def _schema_id(credential: dict[str, str]) -> str:
    payload = forge.split(credential["jwt"])[1]
    document = payload["vc"] if credential["profile"] == "vc-jwt-11" else payload
    return str(document["credentialSchema"][0]["id"])


def _numeric_dates(token: str) -> dict[str, object]:
    payload = forge.split(token)[1]
    return {claim: payload[claim] for claim in ("iat", "nbf", "exp") if claim in payload}


async def test_did_jwt_vc_jose_and_ajv_verify_every_profile_and_algorithm(
    live_server: str, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    credentials = await _issue_everything(live_server, await operator_token(sessionmaker))
    assert sorted(c["name"] for c in credentials) == sorted(
        _name(p, a, s)
        for p in PROFILES
        for a in ALGORITHMS
        for s in (False, True)
        if a in PROFILE_ALGORITHMS[p]
    )
    # The published schema and Stapel's own, which node must fetch from the served app.
    schemas = {_schema_id(c) for c in credentials}
    assert OB3_SCHEMA_URL in schemas
    assert any(schema.startswith(f"{live_server}/schemas/") for schema in schemas), schemas
    for credential in credentials:  # the issuing side writes integers, in every profile
        dates = _numeric_dates(credential["jwt"])
        assert dates, credential["name"]
        assert all(type(value) is int for value in dates.values()), (credential["name"], dates)

    results, said = _run_node(
        {
            "base": live_server,
            "bundledSchemas": {url: str(path) for url, path in BUNDLED_SCHEMAS.items()},
            "credentials": credentials,
        }
    )

    failures: list[str] = []
    for credential in credentials:
        name, verdict = credential["name"], results[credential["name"]]
        expected_did_jwt = "passed" if credential["alg"] in DID_JWT_ALGORITHMS else "not_supported"
        expected = {"didJwtVc": expected_did_jwt, "jose": "passed", "ajv": "passed"}
        failures.extend(
            f"{name}: {library} {verdict[library]['outcome']} ({verdict[library]['detail']})"
            for library, outcome in expected.items()
            if verdict[library]["outcome"] != outcome
        )
        if expected_did_jwt == "passed" and verdict["didJwtVc"]["outcome"] == "passed":
            # did-jwt found the key as the Multikey: it takes no JsonWebKey.
            assert "-multikey (Multikey)" in verdict["didJwtVc"]["detail"], verdict
    assert not failures, "\n".join(failures) + "\n\nnode:\n" + said
