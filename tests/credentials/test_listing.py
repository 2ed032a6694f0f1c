from __future__ import annotations

import httpx

from tests.credentials.helpers import issue, published_achievement
from tests.factories import Tenant


async def test_list_filters_by_learner_achievement_and_award_date(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    first = await published_achievement(client, tenant)
    second = await published_achievement(client, tenant, title="Second")
    a = await issue(client, tenant, first["id"])
    b = await issue(
        client,
        tenant,
        second["id"],
        learner={"name": "Other", "email": "other@student.voorbeeld.nl"},
        awarded_on="2026-06-01",
        assessment_date=None,
    )

    async def ids(query: str) -> list[str]:
        response = await client.get(f"/v1/credentials?{query}", headers=tenant.headers)
        assert response.status_code == 200, response.text
        return [c["id"] for c in response.json()["items"]]

    assert await ids("") == [b["id"], a["id"]]
    assert await ids("student_number=s1234567") == [a["id"]]
    assert await ids("email=OTHER@student.voorbeeld.nl") == [b["id"]]
    assert await ids(f"achievement_id={first['id']}") == [a["id"]]
    assert await ids("awarded_on=2026-06-01") == [b["id"]]
    assert await ids("state=active") == [b["id"], a["id"]]
    assert await ids("state=revoked") == []


async def test_list_pages_are_stable_while_credentials_are_added(
    client: httpx.AsyncClient, tenant: Tenant
) -> None:
    achievement = await published_achievement(client, tenant)
    issued = [
        (
            await issue(
                client, tenant, achievement["id"], learner={"name": "L", "student_number": f"s{i}"}
            )
        )["id"]
        for i in range(5)
    ]
    page = (await client.get("/v1/credentials?limit=2", headers=tenant.headers)).json()
    seen = [c["id"] for c in page["items"]]
    await issue(client, tenant, achievement["id"], learner={"name": "New", "student_number": "n"})
    while page["next_cursor"]:
        page = (
            await client.get(
                f"/v1/credentials?limit=2&cursor={page['next_cursor']}", headers=tenant.headers
            )
        ).json()
        seen.extend(c["id"] for c in page["items"])
    assert sorted(seen) == sorted(issued)
    assert len(seen) == len(set(seen))


async def test_bad_list_parameters_are_422(client: httpx.AsyncClient, tenant: Tenant) -> None:
    for query in ("limit=0", "limit=201", "state=lost", "cursor=%%%", "issued_after=yesterday"):
        response = await client.get(f"/v1/credentials?{query}", headers=tenant.headers)
        assert response.status_code == 422, query
        assert response.headers["content-type"] == "application/problem+json"
