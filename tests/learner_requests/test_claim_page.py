"""The claim page's request form: the learner asks, with evidence, in their own name."""

from __future__ import annotations

import re
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.pages.i18n import MESSAGES
from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant
from tests.learner_requests.support import recognise_tenant, stored_counts
from tests.learner_requests.test_external_evidence import claim_path

EN, NL = MESSAGES["en"], MESSAGES["nl"]


async def _holder(client: httpx.AsyncClient, tenant: Tenant) -> tuple[str, dict[str, Any]]:
    """A learner's claim link, and another achievement of the institution to ask for."""
    held = await published_achievement(client, tenant, title="Data Literacy")
    wanted = await published_achievement(client, tenant, title="Data Visualisation")
    issued = await issue(client, tenant, held["id"])
    return claim_path(issued), wanted


def _form(achievement_id: str, **fields: str) -> dict[str, str]:
    return {"lang": "en", "achievement_id": achievement_id, **fields}


async def test_the_claim_view_links_to_a_form_of_the_institutions_achievements(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    path, wanted = await _holder(client, tenant)
    view = await client.get(f"{path}?lang=en")
    assert f'href="{path}/request?lang=en"' in view.text
    form = await client.get(f"{path}/request?lang=nl")
    assert form.status_code == 200
    assert form.headers["cache-control"] == "no-store"
    assert "script" not in form.text
    assert NL["request.title"] in form.text
    assert f'<option value="{wanted["id"]}"' in form.text
    assert 'enctype="multipart/form-data"' in form.text
    assert (await client.get("/claim/nonsense/request")).status_code == 404


async def test_a_request_sent_from_the_form_names_the_claim_links_learner(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    path, wanted = await _holder(client, tenant)
    sent = await client.post(
        f"{path}/request",
        data=_form(
            wanted["id"],
            identifier="s1234567",
            evidence_text="Made the faculty's dashboards.",
            evidence_url="https://example.org/dashboards",
        ),
        files={"file": ("", b"", "application/octet-stream")},
    )
    assert sent.status_code == 200, sent.text
    assert EN["request.sent.title"] in sent.text
    assert "Data Visualisation" in sent.text

    listed = await client.get("/v1/credential-requests", headers=tenant.headers)
    (request,) = listed.json()["items"]
    assert request["source"] == "claim_page"
    assert request["evidence_url"] == "https://example.org/dashboards"
    async with sessionmaker() as session:
        actor = await session.scalar(
            text("SELECT actor FROM audit_events WHERE action = 'request.created'")
        )
    assert str(actor).startswith("learner:claim_link:")

    approved = await client.post(
        f"/v1/credential-requests/{request['id']}/approve", headers=tenant.headers
    )
    assert approved.status_code == 200, approved.text
    credential = await client.get(
        f"/v1/credentials/{approved.json()['credential_id']}", headers=tenant.headers
    )
    subject = credential.json()["credential"]["credentialSubject"]
    names = [i["identityHash"] for i in subject["identifier"] if i["identityType"] == "name"]
    assert names == ["Sanne de Vries"]
    found = await client.get("/v1/credentials?student_number=s1234567", headers=tenant.headers)
    assert len(found.json()["items"]) == 2  # the learner is found by the same digest


async def test_bad_input_shows_the_form_again_with_why_and_stores_nothing(
    client: httpx.AsyncClient, tenant: Tenant, sessionmaker: async_sessionmaker[AsyncSession]
) -> None:
    path, wanted = await _holder(client, tenant)
    before = await stored_counts(sessionmaker)
    cases = [
        (_form(wanted["id"], identifier="s0000000", evidence_text="x"), "not_this_learner"),
        (_form(wanted["id"], evidence_text="x"), "identifier_required"),
        (_form(wanted["id"], identifier="s1234567"), "no_evidence"),
        (
            _form(wanted["id"], identifier="s1234567", evidence_url="http://example.org"),
            "url_invalid",
        ),
        (_form("not-an-id", identifier="s1234567", evidence_text="x"), "achievement_required"),
        (
            _form(wanted["id"], identifier="s1234567", credential="eyJhbGciOiJFUzI1NiJ9.e30.AAAA"),
            "external_credential_unverified",
        ),
    ]
    for fields, reason in cases:
        page = await client.post(f"{path}/request", data=fields)
        assert page.status_code in (400, 404, 422), (reason, page.status_code)
        assert EN[f"request.error.{reason}"] in page.text, reason
        assert EN["request.problem.title"] in page.text
    # What the learner typed comes back, for them to correct.
    page = await client.post(f"{path}/request", data=cases[0][0])
    assert re.search(r'name="identifier" value="s0000000"', page.text)
    assert await stored_counts(sessionmaker) == before


async def test_an_uploaded_badge_from_a_recognised_issuer_is_taken_as_evidence(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> None:
    path, wanted = await _holder(client, tenant)
    await recognise_tenant(client, tenant, other_tenant)
    elsewhere = await published_achievement(client, other_tenant, title="Statistics in Practice")
    theirs = await issue(client, other_tenant, elsewhere["id"])
    badge = await client.get(f"{claim_path(theirs)}/badge.svg")
    sent = await client.post(
        f"{path}/request",
        data=_form(wanted["id"], identifier="Sanne.deVries@student.voorbeeld.nl"),
        files={"file": ("badge.svg", badge.content, "image/svg+xml")},
    )
    assert sent.status_code == 200, sent.text
    assert "Statistics in Practice" in sent.text
    listed = await client.get("/v1/credential-requests", headers=tenant.headers)
    (request,) = listed.json()["items"]
    assert request["external_credential"]["document_id"] == theirs["credential_id"]
