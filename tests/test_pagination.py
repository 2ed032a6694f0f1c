"""A cursor the API did not hand out is a 422 ``invalid_cursor`` on every list, never a 500.

Cursors are base64url of a JSON array; a client can make one holding anything.
"""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from tests.factories import Tenant


def _cursor(*parts: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(parts).encode()).decode().rstrip("=")


# Lists paged by a number (an id) and lists paged by a (time, id) position.
NUMBERED = ["/v1/audit-events", "/v1/sis/results"]
POSITIONED = ["/v1/credentials", "/v1/achievements"]

FORGED = {
    "non-ASCII text": "é",
    "non-ASCII among base64url": "eyJh\u00ffIjoxfQ",
    "a superscript digit": _cursor("¹"),
    "an Arabic-Indic digit": _cursor("٣"),
    "a number past bigint": _cursor("9" * 30),
}


@pytest.mark.parametrize("path", NUMBERED + POSITIONED)
@pytest.mark.parametrize("cursor", FORGED.values(), ids=FORGED.keys())
async def test_a_forged_cursor_is_an_invalid_cursor(
    client: httpx.AsyncClient, tenant: Tenant, path: str, cursor: str
) -> None:
    response = await client.get(path, params={"cursor": cursor}, headers=tenant.headers)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["code"] == "invalid_cursor"


@pytest.mark.parametrize("path", NUMBERED)
async def test_the_largest_id_a_list_can_hold_is_still_a_cursor(
    client: httpx.AsyncClient, tenant: Tenant, path: str
) -> None:
    response = await client.get(
        path, params={"cursor": _cursor(str(2**63 - 1))}, headers=tenant.headers
    )
    assert response.status_code == 200, response.text
