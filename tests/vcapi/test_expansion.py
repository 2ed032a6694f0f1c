"""What the VC-API signs survives JSON-LD expansion whole: no term a verifier would drop."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import httpx
from pyld import jsonld

from app.contexts import bundled_context, is_bundled
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.vcapi.test_vcapi import vc
from tests.verification.forge import split


def load_bundled(url: str, options: object) -> dict[str, Any]:
    assert is_bundled(url), f"the issued credential names a context not held: {url}"
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": bundled_context(url),
    }


def relative_types(expanded: object) -> list[str]:
    """@type values that did not become absolute IRIs: a type no context defines."""
    if isinstance(expanded, list):
        return [t for item in expanded for t in relative_types(item)]
    if not isinstance(expanded, dict):
        return []
    types = expanded.get("@type")
    found = [t for t in types if ":" not in t] if isinstance(types, list) else []
    return found + [t for value in expanded.values() for t in relative_types(value)]


def expand_whole(document: dict[str, Any]) -> Any:
    """``document`` expanded over the bundled contexts, failing on any term that was dropped."""
    dropped: list[str | None] = []
    expanded = jsonld.expand(
        document,
        {"documentLoader": load_bundled, "base": None},
        on_property_dropped=dropped.append,
    )
    assert dropped == []
    assert relative_types(expanded) == []
    return expanded


async def test_an_issued_credential_expands_without_dropping_a_term(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    credential = vc(
        name={"@value": "Alumna", "@language": "nl"},
        description="Awarded to every graduate.",
        validUntil="2030-01-01T00:00:00Z",
        evidence=[{"id": "https://voorbeeld.nl/evidence/1", "type": ["Evidence"]}],
    )
    response = await client.post(
        "/credentials/issue", json={"credential": credential}, headers=tenant.headers
    )
    assert response.status_code == 201, response.text
    jwt = response.json()["verifiableCredential"]["id"].removeprefix("data:application/vc+jwt,")
    _, signed, _ = split(jwt)
    expanded = expand_whole(signed)
    # Stapel's own additions are among what expanded, not only the caller's members.
    statuses = expanded[0]["https://www.w3.org/2018/credentials#credentialStatus"]
    assert len(statuses) == 1
    assert expanded[0]["https://www.w3.org/2018/credentials#issuer"] == [
        {"@id": tenant.institution["did"]}
    ]


def test_the_expansion_check_notices_a_dropped_term() -> None:
    """The assertion above can fail: a member no context defines is reported as dropped."""
    dropped: list[str | None] = []
    jsonld.expand(
        {**vc(), "alumniOf": "Hogeschool Voorbeeld"},
        {"documentLoader": load_bundled, "base": None},
        on_property_dropped=dropped.append,
    )
    assert dropped == ["alumniOf"]


async def test_a_rest_issued_credential_expands_whole_and_passes_the_vc_api_verifier(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    """Its credentialSchema type (1EdTechJsonSchemaValidator2019) is defined by Stapel's own
    context, which it names; the OB 3.0 context leaves it to an extension context."""
    achievement = await published_achievement(client, tenant)
    credential = await issue(client, tenant, achievement["id"])
    _, signed, _ = split(str(credential["jwt"]))
    assert signed["credentialSchema"][0]["type"] == "1EdTechJsonSchemaValidator2019"
    expand_whole(signed)
    verified = await client.post(
        "/credentials/verify", json={"verifiableCredential": credential["jwt"]}
    )
    assert verified.status_code == 200, verified.text


def test_a_serving_process_loads_pyld_only_when_it_first_expands_a_document() -> None:
    # PyLD brings requests, urllib3 and lxml along, ~10 MB resident: a process that never
    # expands a caller's document must not pay for them. A fresh interpreter: this one has
    # imported PyLD above.
    program = (
        "import sys\n"
        "from app.main import create_app\n"
        "create_app()\n"
        "assert 'pyld' not in sys.modules, 'pyld imported with the app'\n"
        "from app.vcapi.validation import _expansion_problems\n"
        "_expansion_problems({'@context': ['https://www.w3.org/ns/credentials/v2']}, '')\n"
        "assert 'pyld' in sys.modules\n"
    )
    finished = subprocess.run(  # noqa: S603 - this interpreter, a fixed program
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=120, check=False
    )
    assert finished.returncode == 0, finished.stderr
