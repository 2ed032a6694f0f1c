"""The public GraphQL catalogue: filters, search, pages, facets, relations, limits."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import Tenant, achievement_payload, informal_badge_payload

NODE = """
  id title kind ects eqfLevel languages participationForm fieldOfStudy
  learningOutcomes { text escoSkill } assessment { type } qualityAssurance { type name }
  institution { slug displayName recognised } orgUnit { name }
  stacksInto { id title } builtFrom { id title } achievementUrl
"""
PAGE = f"""
query Page($filter: AchievementFilter, $first: Int!, $after: String) {{
  achievements(filter: $filter, first: $first, after: $after) {{
    totalCount
    pageInfo {{ hasNextPage endCursor }}
    edges {{ cursor node {{ {NODE} }} }}
  }}
}}
"""


async def gql(
    client: httpx.AsyncClient,
    query: str,
    variables: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, Any]:
    response = await client.post(
        "/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def publish(client: httpx.AsyncClient, tenant: Tenant, payload: dict[str, Any]) -> str:
    created = await client.post("/v1/achievements", json=payload, headers=tenant.headers)
    assert created.status_code == 201, created.text
    ident = str(created.json()["id"])
    assert (
        await client.post(f"/v1/achievements/{ident}/publish", headers=tenant.headers)
    ).status_code == 200
    return ident


@pytest.fixture
async def catalogue(
    client: httpx.AsyncClient, tenant: Tenant, other_tenant: Tenant
) -> dict[str, str]:
    ids = {
        "data": await publish(client, tenant, achievement_payload()),
        "care": await publish(
            client,
            tenant,
            achievement_payload(
                title="Zorgtechnologie in de wijkverpleging",
                description="Digitale zorg en domotica bij cliënten thuis.",
                learning_outcomes=[
                    {"text": "Zet zorgtechnologie in bij wijkverpleegkundige zorg."}
                ],
                ects=15,
                eqf_level=6,
                languages=["nl"],
                participation_form="onsite",
                field_of_study="0913",
                assessment={"type": "portfolio"},
            ),
        ),
        "lead": await publish(
            client,
            tenant,
            achievement_payload(
                title="Führung im Wandel",
                description="Veränderungsmanagement für Teams.",
                learning_outcomes=[{"text": "Leitet Veränderungsprozesse in Organisationen."}],
                ects=30,
                eqf_level=7,
                qf_ehea_cycle="second",
                languages=["de", "en"],
                participation_form="online",
                field_of_study="0413",
            ),
        ),
        "badge": await publish(client, tenant, informal_badge_payload()),
        "other": await publish(
            client,
            other_tenant,
            achievement_payload(
                title="Circular Economy Basics",
                ects=3,
                eqf_level=5,
                languages=["en"],
                field_of_study="0521",
            ),
        ),
    }
    draft = await client.post(
        "/v1/achievements", json=achievement_payload(title="Secret draft"), headers=tenant.headers
    )
    assert draft.status_code == 201
    return ids


def titles(body: dict[str, Any]) -> list[str]:
    assert "errors" not in body, body
    return [e["node"]["title"] for e in body["data"]["achievements"]["edges"]]


async def test_only_published_achievements_are_public(
    client: httpx.AsyncClient, catalogue: dict[str, str]
) -> None:
    body = await gql(client, PAGE, {"first": 50})
    assert "Secret draft" not in titles(body)
    assert body["data"]["achievements"]["totalCount"] == 5


@pytest.mark.parametrize(
    ("filter_", "expected"),
    [
        ({"kind": "informal"}, ["Library Research Skills"]),
        ({"eqfMin": 7}, ["Führung im Wandel"]),
        ({"eqfMax": 5}, ["Circular Economy Basics"]),
        ({"ectsMin": 10, "ectsMax": 20}, ["Zorgtechnologie in de wijkverpleging"]),
        ({"language": "de"}, ["Führung im Wandel"]),
        ({"participation": "onsite"}, ["Zorgtechnologie in de wijkverpleging"]),
        ({"assessment": "portfolio"}, ["Zorgtechnologie in de wijkverpleging"]),
        ({"fieldOfStudy": "09"}, ["Zorgtechnologie in de wijkverpleging"]),
        (
            {"escoSkill": "http://data.europa.eu/esco/skill/3f8a2a5c-1d3f-4a88-9a4c-3c3d5c3e9f1a"},
            ["Data Literacy for Policy Makers", "Circular Economy Basics"],
        ),
        (
            {"kind": "formal", "language": "en", "eqfMin": 6},
            ["Data Literacy for Policy Makers", "Führung im Wandel"],
        ),
    ],
)
async def test_filters(
    client: httpx.AsyncClient,
    catalogue: dict[str, str],
    filter_: dict[str, Any],
    expected: list[str],
) -> None:
    assert titles(await gql(client, PAGE, {"first": 50, "filter": filter_})) == expected


async def test_institution_filter(
    client: httpx.AsyncClient, catalogue: dict[str, str], other_tenant: Tenant
) -> None:
    body = await gql(client, PAGE, {"first": 50, "filter": {"institution": other_tenant.slug}})
    assert titles(body) == ["Circular Economy Basics"]


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("wijkverpleging", ["Zorgtechnologie in de wijkverpleging"]),
        ("zorgtechnologie thuis", ["Zorgtechnologie in de wijkverpleging"]),
        ("policy maker", ["Data Literacy for Policy Makers"]),
        ("Organisation", ["Führung im Wandel"]),
        ("zorg", ["Zorgtechnologie in de wijkverpleging"]),
        ("Veränderung", ["Führung im Wandel"]),
        ("l'argument & (data)", ["Data Literacy for Policy Makers", "Circular Economy Basics"]),
        ("argument", ["Data Literacy for Policy Makers", "Circular Economy Basics"]),
        ("nonexistentword", []),
    ],
)
async def test_full_text_search_in_several_languages(
    client: httpx.AsyncClient, catalogue: dict[str, str], words: str, expected: list[str]
) -> None:
    assert titles(await gql(client, PAGE, {"first": 50, "filter": {"search": words}})) == expected


async def test_pages_stay_stable_while_achievements_are_added(
    client: httpx.AsyncClient, tenant: Tenant, catalogue: dict[str, str]
) -> None:
    first = (await gql(client, PAGE, {"first": 2}))["data"]["achievements"]
    seen = [e["node"]["id"] for e in first["edges"]]
    await publish(client, tenant, achievement_payload(title="Added meanwhile"))
    cursor = first["pageInfo"]["endCursor"]
    while cursor:
        page = (await gql(client, PAGE, {"first": 2, "after": cursor}))["data"]["achievements"]
        seen.extend(e["node"]["id"] for e in page["edges"])
        cursor = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None
    assert len(seen) == len(set(seen)) == 6
    assert set(catalogue.values()) <= set(seen)


async def test_facets_count_under_the_current_filter(
    client: httpx.AsyncClient, catalogue: dict[str, str]
) -> None:
    query = """query($filter: AchievementFilter) { achievements(filter: $filter, first: 1) {
      facets { eqfLevel { value count } kind { value count } language { value count }
               participation { value count } institution { value count } } } }"""
    facets = (await gql(client, query))["data"]["achievements"]["facets"]
    assert {f["value"]: f["count"] for f in facets["kind"]} == {"formal": 4, "informal": 1}
    assert {f["value"]: f["count"] for f in facets["eqfLevel"]} == {"5": 1, "6": 2, "7": 1}
    assert {f["value"]: f["count"] for f in facets["language"]}["en"] == 4
    narrowed = (await gql(client, query, {"filter": {"language": "nl"}}))["data"]["achievements"]
    assert {f["value"]: f["count"] for f in narrowed["facets"]["participation"]} == {
        "blended": 1,
        "onsite": 1,
    }


async def test_every_eu_element_and_the_institution_are_exposed(
    client: httpx.AsyncClient, tenant: Tenant, catalogue: dict[str, str]
) -> None:
    query = """query($id: ID!) { achievement(id: $id) {
      title description criteria ects workloadHours eqfLevel qfEheaCycle participationForm
      prerequisites supervision integrationOptions languages fieldOfStudy validityMonths
      learningOutcomes { text escoSkill } assessment { type description }
      qualityAssurance { type name referenceUrl } grading { scheme passValue }
      institution { slug did countryCode recognised } achievementUrl } }"""
    node = (await gql(client, query, {"id": catalogue["data"]}))["data"]["achievement"]
    assert node["qfEheaCycle"] == "first"
    assert node["supervision"] == "supervised_onsite_verification"
    assert node["grading"] == {"scheme": "numeric", "passValue": "5.5"}
    assert node["institution"]["did"] == tenant.institution["did"]
    assert node["achievementUrl"].endswith(f"/achievements/{catalogue['data']}/versions/1")
    missing = await gql(client, query, {"id": "00000000-0000-0000-0000-000000000000"})
    assert missing["data"]["achievement"] is None


async def test_stackability_is_visible_both_ways(client: httpx.AsyncClient, tenant: Tenant) -> None:
    minor = await publish(
        client, tenant, achievement_payload(title="Minor Data & Society", ects=30)
    )
    part = await publish(
        client,
        tenant,
        achievement_payload(title="Part of the minor", stackability={"stacks_into": [minor]}),
    )
    query = (
        """query($id: ID!) { achievement(id: $id) { stacksInto { title } builtFrom { title } } }"""
    )
    assert (await gql(client, query, {"id": part}))["data"]["achievement"]["stacksInto"] == [
        {"title": "Minor Data & Society"}
    ]
    assert (await gql(client, query, {"id": minor}))["data"]["achievement"]["builtFrom"] == [
        {"title": "Part of the minor"}
    ]


async def test_institutions_and_their_achievements(
    client: httpx.AsyncClient, tenant: Tenant, catalogue: dict[str, str]
) -> None:
    query = """query($slug: String!) { institution(slug: $slug) { displayName
      achievements(first: 10) { totalCount } } institutions { slug } }"""
    data = (await gql(client, query, {"slug": tenant.slug}))["data"]
    assert data["institution"]["achievements"]["totalCount"] == 4
    assert len(data["institutions"]) == 2


async def test_limits_give_clear_errors(
    client: httpx.AsyncClient, catalogue: dict[str, str]
) -> None:
    too_big = await gql(client, PAGE, {"first": 101})
    assert too_big["errors"][0]["extensions"]["code"] == "page_too_large"
    nested = "title"
    for _ in range(10):
        nested = f"stacksInto {{ {nested} }}"
    deep = f"query {{ achievements(first: 1) {{ edges {{ node {{ {nested} }} }} }} }}"
    assert "exceeds maximum operation depth" in (await gql(client, deep))["errors"][0]["message"]
    bad_cursor = await gql(client, PAGE, {"first": 1, "after": "nonsense"})
    assert bad_cursor["errors"][0]["extensions"]["code"] == "invalid_cursor"
    introspection = await gql(client, "{ __schema { queryType { name } } }")
    assert introspection["data"]["__schema"]["queryType"]["name"] == "Query"


async def test_graphiql_only_when_enabled(client: httpx.AsyncClient) -> None:
    from app.config import get_settings
    from app.main import create_app

    html = {"Accept": "text/html"}
    assert (await client.get("/graphql", headers=html)).status_code == 404
    enabled = create_app(get_settings().model_copy(update={"graphiql": True}))
    async with (
        enabled.router.lifespan_context(enabled),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=enabled), base_url="https://stapel.test"
        ) as other,
    ):
        page = await other.get("/graphql", headers=html)
    assert page.status_code == 200
    assert "graphiql" in page.text.lower()
